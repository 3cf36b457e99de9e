"""The disk fills while the show records: the show plays on, the recording stops cleanly saying
'disk full' (one line on the HUD, one in the log), and what was written plays back.

The disk is a 3 MB tmpfs of the test's own (`small_disk`: a mount namespace, root only); the
show records onto it with `--record FILE` (each container the recorder offers) or the record
control (a take), and once the recording has frames, another writer fills every byte that is
left, as a second program on a shared disk would. This file re-runs itself on the small disk
(`python test_full_disk.py record DIR EXT`)."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import errno  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import av  # noqa: E402
import pytest  # noqa: E402
import small_disk  # noqa: E402
from said import Said  # noqa: E402

from livedance.live.command import build, start_recorder  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402
from livedance.live.takes import control_log_path  # noqa: E402
from livedance.recording.sessionlog import read  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "models" / "default")
FPS = 30.0
SMALL_DISK = 16 << 20  # the most fill() will fill
MOST_FRAMES = 600  # a bound on every loop below: 20 s of show
BEFORE = 75  # frames recorded before the disk fills: 2.5 s, two whole clusters or fragments


# --- on the small disk ----------------------------------------------------------------------------
def fill(folder: Path) -> int:
    """Write a file into `folder` until the disk has no byte left; the bytes it took. Only ever
    on a small disk: never the machine's own, should the mount not be there."""
    total = shutil.disk_usage(folder).total
    if total > SMALL_DISK:
        raise RuntimeError(f"{folder} is on a disk of {total} bytes, not the small one: not filling it")
    taken, chunk = 0, b"\0" * 65536
    with open(folder / "filler", "wb", buffering=0) as filler:
        while len(chunk):
            try:
                taken += filler.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                chunk = chunk[: len(chunk) // 2]
    return taken


def decoded(path: Path) -> dict:
    """Frames PyAV decodes from the start of `path`, and what stopped it short, if anything."""
    frames, error = 0, None
    try:
        with av.open(str(path)) as video:
            for _ in video.decode(video=0):
                frames += 1
    except av.FFmpegError as exc:
        error = str(exc)
    return {"frames": frames, "error": error}


def record(folder: str, ext: str) -> dict:
    """Play the show recording onto `folder`, fill the disk, play on; what happened."""
    folder_path = Path(folder)
    warnings = Said()
    logging.getLogger("livedance").addHandler(warnings)  # a process of its own: heard to its end
    inst = build(LiveSettings(model=MODEL, fps=FPS, hud=True, record_dir=folder), headless=True, size=(320, 240))
    takes = inst.takes
    takes.min_free_mb = 0.25  # the disk is 3 MB: stop only when it is all but full
    result: dict = {}
    try:
        if ext == "take":
            takes.start()
        else:
            start_recorder(inst, str(folder_path / f"show{ext}"))
        shown = 0
        while (takes.recorder is None or takes.recorder.written < BEFORE) and shown < MOST_FRAMES:
            inst.run(frames=3)
            shown += 3
        recorder = takes.recorder
        result["written_before"] = recorder.written
        result["filled"] = fill(folder_path)
        before = inst.performance.frames
        while recorder.stopped is None and inst.performance.frames - before < MOST_FRAMES:
            inst.run(frames=3)
        inst.run(frames=30)
        result["frames_during"] = inst.performance.frames - before
        result["stopped"] = recorder.stopped
        result["hud"] = [line for line in inst.hud_lines() if "record" in line or "disk" in line]
        result["written"] = recorder.written
        result["finished"] = inst.finish()
        kept = [p for p in sorted(folder_path.iterdir()) if p.suffix != ".jsonl" and p.name != "filler"]
        result["files"] = {p.name: decoded(p) for p in kept}
        result["names"] = sorted(p.name for p in folder_path.iterdir())
        log = control_log_path(recorder.out)
        events = read(log) if log.exists() else []
        result["log_events"] = [event["type"] for event in events]
    finally:
        inst.close()
    result["warnings"] = warnings.lines
    result["dropped"] = inst.stats.dropped
    return result


# --- the tests --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    reason = small_disk.why_not()
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("ext", [".mkv", ".mp4", ".mov", ".avi", "take"])
def test_a_disk_filling_mid_recording_stops_the_recording_not_the_show(small, tmp_path, ext):
    disk = tmp_path / "disk"
    result = small_disk.run(__file__, "record", disk, "3m", (ext,))
    seen = json.dumps(result, indent=1)
    assert result["filled"] > 0 and result["written_before"] >= BEFORE, seen
    # The show played on: frames after the disk filled, up to the stop and 30 past it.
    assert result["frames_during"] >= 30, seen
    stopped = result["stopped"]
    assert stopped is not None and stopped.startswith(f"disk full: 0 MB free in {disk}; recording stopped after"), seen
    assert "\n" not in stopped
    disk_lines = [line for line in result["warnings"] if "disk full" in line]
    assert len(disk_lines) == 1 and stopped in disk_lines[0], seen
    assert any(stopped in line for line in result["hud"]) or any(stopped in line for line in result["finished"]), seen
    assert "stopped early: disk full" in result["finished"][0], seen
    # What was written plays: the kept video decodes from its start, up to the cluster or
    # fragment (a second) that was being written when the disk filled.
    videos = result["files"]
    assert videos and all(".recording" not in name and ".joining" not in name for name in result["names"]), seen
    assert sum(got["frames"] for got in videos.values()) >= result["written_before"] - 2 * FPS, seen
    # The control log reads (a line cut off by the full disk is its last).
    assert result["log_events"][:1] == ["session"], seen


if __name__ == "__main__":
    modes = {"record": record}
    print(json.dumps(modes[sys.argv[1]](*sys.argv[2:]), default=str))
