"""A switch to a broken bundle mid-show: the load fails on the switcher's thread, the current
model keeps dancing (frames keep coming, the same engine and name), and the HUD's `last:` line
says in one line which bundle was not loaded and why. A valid bundle of another frame size
still switches. The faults: tests/broken_bundles.py; the instrument: switch_probe.py."""

import json
from pathlib import Path

import pytest
import tiny_bundle
from broken_bundles import FAULTS, UNREADABLE, broken_copy, run_python, unlock, without_root_s_pass
from switch_probe import make, switch_to


@pytest.fixture(scope="module")
def instrument():
    inst = make()
    yield inst
    inst.close()


def assert_kept_dancing(result: dict, folder: Path, file: str, words: str) -> None:
    assert result["model"] == result["model_before"] == "default" and result["same_engine"]
    assert result["frames"] >= 6  # the frames while it loaded, and five after
    last = result["last"]
    assert "\n" not in last and f"model {folder}: not loaded: " in last, last
    assert f"{folder / file if file else folder}: " in last and words in last, last
    assert f"last: {last}" in result["hud"]


@pytest.mark.parametrize("case, breaks, file, words", FAULTS, ids=[case for case, *_ in FAULTS])
def test_a_switch_to_a_broken_bundle_keeps_the_model_dancing(instrument, tmp_path, case, breaks, file, words):
    folder = broken_copy(tmp_path, breaks)
    result = switch_to(instrument, folder)
    if case == "no such folder":  # found missing before any load: the line lists what is there
        assert result["model"] == "default" and result["same_engine"] and result["frames"] >= 6
        assert f"model {folder}: no model bundle there; expected one of default" in result["last"]
        return
    assert_kept_dancing(result, folder, file, words)


def test_a_switch_to_a_bundle_this_user_cannot_read_keeps_the_model_dancing(tmp_path):
    prefix = without_root_s_pass()
    cases = {
        case: (broken_copy(tmp_path, breaks, case.replace(" ", "-")), file, words)
        for case, breaks, file, words in UNREADABLE
    }
    try:
        probe = Path(__file__).with_name("switch_probe.py")
        run = run_python(prefix, [str(probe), *(str(folder) for folder, _, _ in cases.values())])
    finally:
        for folder, _, _ in cases.values():
            unlock(folder)
    assert run.returncode == 0, run.stderr[-2000:]
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(cases)
    for result, (folder, file, words) in zip(results, cases.values()):
        assert_kept_dancing(result, folder, file, words)


def test_a_valid_bundle_of_another_frame_size_still_switches(instrument, tmp_path):
    folder = tiny_bundle.bundle(tmp_path / "small", height=60, width=100)
    result = switch_to(instrument, folder)
    assert result["model"] == "small" and not result["same_engine"], result["last"]
    assert result["frame_shape"] == [60, 100] and result["canvas_shape"] == [240, 320, 3]
    assert result["last"] == f"model {folder}: in" and result["frames"] >= 6
    back = switch_to(instrument, "default")  # and back, for the module's other tests
    assert back["model"] == "default" and back["frame_shape"] == [120, 200]


def test_a_name_the_filesystem_refuses_ends_the_load_too(instrument):
    """An OSError while looking for the bundle (a name longer than any file name) must still end
    the load: a switcher that never reports would leave the show 'loading' for ever."""
    result = switch_to(instrument, "x" * 300)
    assert result["model"] == "default" and result["same_engine"] and result["frames"] >= 6
    assert result["last"].startswith("model xxx") and ": not loaded: OSError: " in result["last"]
    assert "\n" not in result["last"] and len(result["last"]) < 600
