"""A switch to a broken bundle mid-show: the load fails on the switcher's thread, the current
model keeps dancing (frames keep coming, the same engine and name), and the HUD's `last:` line
says in one line which bundle was not loaded and why. A valid bundle of another frame size
still switches. The faults: tests/broken_bundles.py; the show and how it is switched:
switch_probe.py (controls name bundles, never paths)."""

import json
from pathlib import Path

import pytest
import tiny_bundle
from broken_bundles import FAULTS, UNREADABLE, flip, run_python, without_root_s_pass
from switch_probe import make, restore, switch_to

NAME = "mymodel"  # the bundle the show starts with (--model), a copy it may break


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    folder = restore(tmp_path_factory.mktemp("show") / NAME)
    inst = make(folder)
    yield inst, folder
    inst.close()


def assert_kept_dancing(result: dict, folder: Path, file: str, words: str, name: str = NAME) -> None:
    assert result["model"] == result["model_before"] == NAME and result["same_engine"]
    assert result["frames"] >= 6  # the frames while it loaded, and five after
    last = result["last"]
    assert "\n" not in last and last.startswith(f"model {name}: not loaded: {folder / file if file else folder}: ")
    assert words in last, last
    assert f"last: {last}" in result["hud"]


@pytest.mark.parametrize("case, breaks, file, words", FAULTS, ids=[case for case, *_ in FAULTS])
def test_the_started_bundle_broken_on_disk_is_not_switched_to(show, case, breaks, file, words):
    inst, folder = show
    breaks(restore(folder))
    try:
        result = switch_to(inst, NAME)
    finally:
        restore(folder)
    assert_kept_dancing(result, folder, file, words)


def test_a_dancer_count_switch_reloads_from_disk_and_says_why_it_could_not(show):
    inst, folder = show
    flip("decoder.onnx")(restore(folder))
    try:
        result = switch_to(inst, 2, control="dancers")
    finally:
        restore(folder)
    assert result["same_engine"] and inst.performance.engine.dancers == 1 and result["frames"] >= 6
    assert result["last"].startswith(f"dancers 2: not loaded: {folder / 'decoder.onnx'}: its bytes differ")


def test_a_broken_bundle_in_models_is_not_switched_to(show, tmp_path, monkeypatch):
    inst, _ = show
    monkeypatch.chdir(tmp_path)  # ./models is looked in first
    flip("step.onnx")(restore(tmp_path / "models" / "broken"))
    result = switch_to(inst, "broken")
    assert result["model"] == NAME and result["same_engine"] and result["frames"] >= 6
    last = result["last"]
    assert last.startswith("model broken: not loaded: models/broken/step.onnx: its bytes differ"), last
    assert f"last: {last}" in result["hud"] and "\n" not in last


def test_a_bundle_this_user_cannot_read_is_not_switched_to(tmp_path):
    prefix = without_root_s_pass()
    folder = tmp_path / NAME
    probe = Path(__file__).with_name("switch_probe.py")
    run = run_python(prefix, [str(probe), str(folder), *(case for case, *_ in UNREADABLE)])
    assert run.returncode == 0, run.stderr[-2000:]
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(UNREADABLE)
    for result, (_, _, file, words) in zip(results, UNREADABLE):
        assert_kept_dancing(result, folder, file, words)


def test_a_valid_bundle_of_another_frame_size_still_switches(show, tmp_path, monkeypatch):
    inst, _ = show
    monkeypatch.chdir(tmp_path)
    tiny_bundle.bundle(tmp_path / "models" / "small", height=60, width=100)
    result = switch_to(inst, "small")
    assert result["model"] == "small" and not result["same_engine"], result["last"]
    assert result["frame_shape"] == [60, 100] and result["canvas_shape"] == [240, 320, 3]
    assert result["last"] == "model small: in" and result["frames"] >= 6
    back = switch_to(inst, NAME)  # and back, for the module's other tests
    assert back["model"] == NAME and back["frame_shape"] == [120, 200]


def test_a_name_that_is_not_there_ends_the_load_in_one_line(show):
    inst, _ = show
    result = switch_to(inst, "x" * 100)  # a name (at most 120 characters) no bundle has
    assert result["model"] == NAME and result["same_engine"] and result["frames"] >= 6
    assert result["last"].startswith("model 'xxx") and "no model bundle there; expected one of" in result["last"]
    assert "\n" not in result["last"]
