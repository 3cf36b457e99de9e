"""Syphon, Spout and the virtual camera refuse in one line where they cannot run, and a refused sink stays safe.

These tests run on Linux without a display, a GPU, v4l2loopback or the extras: they check the
refusals (the platform, the missing extra, a missing v4l2loopback device) and that a refused
start leaves nothing behind. Publishing frames needs the real thing and is not tested here:
Syphon only on a Mac, Spout only on Windows, the virtual camera on a machine with
v4l2loopback loaded or OBS's virtual camera installed. pyvirtualcam's refusal on Linux
without v4l2loopback is checked with the real package when it is installed (it is an extra,
GPL-2.0, so not in the test set).
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from livedance.errors import LivedanceError
from livedance.outputs import spout, syphon, virtualcam
from livedance.outputs.spout import SpoutSink
from livedance.outputs.syphon import SyphonSink
from livedance.outputs.virtualcam import VirtualCamSink

SIZE = (64, 48)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the refusals checked are Linux's")


def make(kind):
    return {
        "syphon": lambda: SyphonSink("livedance", SIZE),
        "spout": lambda: SpoutSink("livedance", SIZE),
        "virtualcam": lambda: VirtualCamSink(SIZE, 30.0),
    }[kind]()


def refused(sink) -> str:
    """start() must fail with a LivedanceError; its text."""
    with pytest.raises(LivedanceError) as caught:
        sink.start()
    return str(caught.value)


def assert_unstarted_and_closable(sink):
    assert sink.threads == () and not sink.alive
    assert not sink.offer(_frame(sink), 0.0) and sink.offered == 0
    sink.close()
    sink.close()  # twice is safe
    assert sink.closed


def _frame(sink):
    return np.zeros((SIZE[1], SIZE[0], sink.channels), np.uint8)


# (kind, what the line must say besides the flag)
ON_THE_WRONG_OS = [
    ("syphon", ["macOS only", "--spout", "--ndi"]),
    ("spout", ["Windows only", "--syphon", "--ndi"]),
]


@pytest.mark.parametrize("kind, says", ON_THE_WRONG_OS, ids=[k for k, _ in ON_THE_WRONG_OS])
def test_a_texture_sink_on_the_wrong_os_refuses_in_one_line(kind, says):
    sink = make(kind)
    line = refused(sink)
    assert "\n" not in line and line.startswith(f"--{kind}: ")
    assert all(part in line for part in says), line
    assert line == {"syphon": syphon.NOT_HERE, "spout": spout.NOT_HERE}[kind]
    assert_unstarted_and_closable(sink)


def test_a_refused_sink_can_be_tried_again_and_refuses_the_same_way():
    sink = make("syphon")
    assert refused(sink) == refused(sink) == syphon.NOT_HERE
    sink.close()


# (kind, the platform the subprocess pretends to be, modules made unimportable, the line)
MISSING_EXTRA = [
    (
        "virtualcam",
        None,
        ["pyvirtualcam"],
        "--virtualcam: needs the virtualcam extra: pip install 'livedance[virtualcam]'",
    ),
    (
        "syphon",
        "darwin",
        ["syphon", "objc", "Metal"],
        "--syphon: needs the syphon extra: pip install 'livedance[syphon]'",
    ),
    ("spout", "win32", ["SpoutGL"], "--spout: needs the spout extra: pip install 'livedance[spout]'"),
]

CHILD = """
import json, sys
kind, platform, blocked = json.loads(sys.argv[1])
for name in blocked:
    sys.modules[name] = None  # import fails for real: ImportError, as without the extra
from livedance.errors import LivedanceError
from livedance.outputs.spout import SpoutSink
from livedance.outputs.syphon import SyphonSink
from livedance.outputs.virtualcam import VirtualCamSink
if platform:
    sys.platform = platform  # past the OS check, on to the import
sink = {"syphon": lambda: SyphonSink("x", (64, 48)), "spout": lambda: SpoutSink("x", (64, 48)),
        "virtualcam": lambda: VirtualCamSink((64, 48), 30.0)}[kind]()
try:
    sink.start()
except LivedanceError as exc:
    sink.close()
    print(json.dumps({"line": str(exc), "threads": len(sink.threads), "closed": sink.closed}))
else:
    print(json.dumps({"line": None}))
"""


@pytest.mark.parametrize("kind, platform, blocked, line", MISSING_EXTRA, ids=[k for k, *_ in MISSING_EXTRA])
def test_a_missing_extra_is_named_with_its_install_command(kind, platform, blocked, line):
    args = json.dumps([kind, platform, blocked])
    result = subprocess.run([sys.executable, "-c", CHILD, args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got == {"line": line, "threads": 0, "closed": True}
    assert line == {"virtualcam": virtualcam, "syphon": syphon, "spout": spout}[kind].MISSING_EXTRA


def test_the_real_pyvirtualcam_without_v4l2loopback_refuses_in_one_line():
    pytest.importorskip("pyvirtualcam", reason="the virtualcam extra is not installed")
    if any("loopback" in path.read_text().lower() for path in Path("/sys/class/video4linux").glob("*/name")):
        pytest.skip("this machine has a v4l2loopback device")
    sink = make("virtualcam")
    assert refused(sink) == virtualcam.NO_LOOPBACK
    assert_unstarted_and_closable(sink)
