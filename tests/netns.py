"""A loopback-only network namespace, for tests of libraries that talk on the network (NDI, Link).

Not one byte of test traffic may leave the machine: such a test file re-runs itself
(`python FILE MODE`) inside a new network namespace that has only `lo` (`unshare -n`, which
needs root, then `ip link set lo up`) and reads back the JSON on the last line it prints.
Where no namespace can be made, `why_not` says why, for the test to skip with it.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def why_not(module: str, extra: str) -> str | None:
    """Why the namespace tests can't run here (None: they can): `module` missing, no root, no tools."""
    if importlib.util.find_spec(module) is None:
        return f"{module} is not installed (the {extra} extra)"
    if os.geteuid() != 0:
        return "a loopback-only network namespace needs root (unshare -n)"
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"no `{tool}` to make a loopback-only network namespace"
    made = subprocess.run(["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot make a loopback-only network namespace: {made.stderr.strip() or made.returncode}"
    return None


def run(file: str, mode: str, env: dict | None = None, timeout: float = 120) -> dict:
    """`python FILE MODE` in a new network namespace with only `lo` up; the JSON its last line prints."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(Path(__file__).parent), env.get("PYTHONPATH")])
    )  # this module
    command = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', sys.executable, file, mode]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{mode} failed in the namespace:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])
