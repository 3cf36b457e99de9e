"""A damaged model bundle stops `livedance render` and `livedance live --headless` at start with
one line naming the bundle's file and what was expected: exit code 2, no traceback, no video
(the faults: tests/broken_bundles.py)."""

import json
from pathlib import Path

import pytest
from broken_bundles import FAULTS, ROOT, UNREADABLE, broken_copy, run_python, unlock, without_root_s_pass

from livedance.cli import main
from livedance.runtime import integrity

COMMANDS = {
    "render": lambda model, out: ["render", "--model", str(model), "--seconds", "0.5", "--out", str(out / "r.mp4")],
    "live": lambda model, out: [
        "live",
        "--headless",
        "--model",
        str(model),
        "--seconds",
        "0.5",
        "--out",
        str(out / "l.mp4"),
    ],
}


def assert_one_line(command: str, err: str, folder: Path, file: str, words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith(f"livedance {command}: error: {folder / file if file else folder}"), line
    assert words in line and "Traceback" not in line, line


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case, breaks, file, words", FAULTS, ids=[case for case, *_ in FAULTS])
def test_a_broken_bundle_stops_the_command_with_one_line(tmp_path, capsys, command, case, breaks, file, words):
    folder = broken_copy(tmp_path, breaks)
    out = tmp_path / "out"
    out.mkdir()
    assert main(COMMANDS[command](folder, out)) == 2
    assert_one_line(command, capsys.readouterr().err, folder, file, words)
    assert list(out.iterdir()) == []  # no video was begun


def test_the_shipped_bundles_pass_their_own_record():
    """The record is checked at every load; the shipped bundles carry one (a stale one would stop every show)."""
    for name in ("default", "salsa"):
        folder = ROOT / "models" / name
        recorded = json.loads((folder / "manifest.json").read_text())[integrity.FILES]
        assert recorded == integrity.describe([folder / f"{n}.onnx" for n in ("encoder", "decoder", "step")])


# --- what this user may not read (as root, in a process without root's capabilities) -----------
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case, breaks, file, words", UNREADABLE, ids=[case for case, *_ in UNREADABLE])
def test_a_bundle_this_user_cannot_read_stops_the_command_with_one_line(tmp_path, command, case, breaks, file, words):
    prefix = without_root_s_pass()
    out = tmp_path / "out"
    out.mkdir()
    folder = broken_copy(tmp_path, breaks)
    try:
        run = run_python(prefix, ["-m", "livedance", *COMMANDS[command](folder, out)])
    finally:
        unlock(folder)
    assert run.returncode == 2, run.stderr
    assert_one_line(command, run.stderr, folder, file, words)
    assert list(out.iterdir()) == []
