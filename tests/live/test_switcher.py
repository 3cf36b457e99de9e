"""Model switches: the bundle is found and loaded on the switcher's thread; the old dancers dissolve out."""

import pytest
from bare_show import MODEL
from waiting import wait_until

from livedance.errors import LivedanceError
from livedance.live.choreographer import Choreographer
from livedance.live.switcher import FADE_SECONDS, Crossfade, Switcher, find_bundle
from livedance.runtime.bundle import shipped_bundles


def settled(switcher):
    """Poll as the display loop does until the load finished: what it handed over."""
    return wait_until(switcher.poll, 30, 1 / 60)


def test_a_model_is_found_by_name_or_index_or_as_the_bundle_the_user_named(tmp_path):
    names = shipped_bundles()
    assert "default" in names
    assert find_bundle("default").name == "default"
    assert find_bundle(names.index("default")).name == "default"
    mine = tmp_path / "mine"  # --model named it: a control may name it back
    assert find_bundle("mine", named=mine) == mine
    with pytest.raises(LivedanceError, match=r"expected one of default, .*mine, by name"):
        find_bundle("yours", named=mine)


@pytest.mark.parametrize("model", [str(MODEL), "../../etc", "models/default", "/etc", ".."])
def test_a_path_is_never_a_model_s_name(model):
    """A control (OSC, the page, MIDI) picks among the bundles by name, never loads from a path."""
    with pytest.raises(LivedanceError, match=r"no model bundle there; expected one of .*, by name$"):
        find_bundle(model, named=MODEL)


@pytest.mark.parametrize(
    ("model", "words"),
    [(99, "numbered from 0"), (-1, "numbered from 0"), ("nothing-here", "no model bundle there; expected one of")],
)
def test_a_model_that_is_not_there_is_named_in_one_line(model, words):
    with pytest.raises(LivedanceError) as error:
        find_bundle(model)
    assert words in str(error.value) and "\n" not in str(error.value)


def test_a_load_hands_over_a_ready_engine_and_choreographer():
    switcher = Switcher()
    switcher.request("default", 2, 7, "dancers 2")
    assert switcher.pending == "dancers 2" and switcher.busy
    engine, choreographer, what = settled(switcher)
    assert engine.dancers == 2 and choreographer.seed == 7 and what == "dancers 2"
    assert switcher.pending is None and not switcher.busy
    switcher.close()


def test_a_failed_load_comes_back_as_an_error_not_an_exception():
    switcher = Switcher()
    switcher.request("nothing-here", 1, 0, "model nothing-here")
    ready = settled(switcher)
    assert isinstance(ready, LivedanceError) and "nothing-here" in str(ready)
    switcher.close()


def test_requests_made_while_loading_collapse_to_the_newest():
    switcher = Switcher()
    switcher.request("default", 1, 0, "dancers 1")
    for count in (2, 3, 4):  # a fader swept over the dancer count
        switcher.request("default", count, 0, f"dancers {count}")
    first = settled(switcher)
    last = settled(switcher)
    assert first[0].dancers == 1 and last[0].dancers == 4 and switcher.poll() is None
    switcher.close()


def test_the_crossfade_eases_from_the_old_dancers_to_the_new(engine):
    fade = Crossfade(engine, Choreographer(engine, seed=1), start=10.0)
    shares = [fade.frame(10.0 + FADE_SECONDS * k / 10)[1] for k in range(11)]
    assert shares[0] == 0.0 and shares[-1] == 1.0 and shares[5] == pytest.approx(0.5)
    assert all(b > a for a, b in zip(shares, shares[1:]))
    assert shares[1] < 0.1  # eased: slow out of the old...
    assert not fade.done(10.0 + FADE_SECONDS * 0.9) and fade.done(10.0 + FADE_SECONDS)
