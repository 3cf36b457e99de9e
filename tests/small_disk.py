"""A small filesystem of its own for a test that fills a disk: a tmpfs mounted in a new mount
namespace (`unshare -m`, which needs root), seen by nothing outside it and gone when it ends.

Such a test file re-runs itself (`python FILE MODE DIR ARGS...`) with a tmpfs of `size` mounted
at DIR, and reads back the JSON on the last line it prints. Where no namespace or mount can be
made, `why_not` says why, for the test to skip with it.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

MOUNT = 'mount -t tmpfs -o size="$1" tmpfs "$2" && shift 2 && exec "$@"'


def why_not() -> str | None:
    """Why a small disk can't be made here (None: it can)."""
    if os.geteuid() != 0:
        return "a tmpfs in a mount namespace needs root (unshare -m, mount)"
    for tool in ("unshare", "mount"):
        if shutil.which(tool) is None:
            return f"no `{tool}` to mount a small tmpfs"
    made = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True, text=True
    )
    if made.returncode != 0:
        return f"cannot mount a tmpfs in a mount namespace: {made.stderr.strip() or made.returncode}"
    return None


def run(file: str, mode: str, folder: Path, size: str = "3m", args: tuple[str, ...] = (), timeout: float = 120) -> dict:
    """`python FILE MODE FOLDER ARGS...` with a tmpfs of `size` at `folder`; the JSON its last line prints."""
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), env.get("PYTHONPATH")]))
    command = ["unshare", "-m", "sh", "-c", MOUNT, "sh", size, str(folder)]
    command += [sys.executable, file, mode, str(folder), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{mode} failed on a small disk:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])
