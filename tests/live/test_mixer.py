"""The mixer: glides, triggers, toggles, timetags and the late pass, on a show without its loop."""

import math
import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from livedance.control.params import REGISTRY  # noqa: E402
from livedance.live.mixer import Mixer  # noqa: E402

T0 = 100.0


def play(mixer, seconds, fps, start=T0):
    """Apply the mixer once per frame for `seconds` at `fps`; returns the last frame's time."""
    frames = round(seconds * fps)
    for i in range(1, frames + 1):
        mixer.apply(start + i / fps)
    return start + frames / fps


@pytest.mark.parametrize("fps", [30, 60, 240])
def test_a_glide_follows_a_one_pole_curve_whatever_the_frame_rate(show, fps):
    mixer = Mixer(show, show.bus)
    tau = REGISTRY["offset_x"].smoothing
    show.bus.offer("offset_x", 0.5, "osc")
    mixer.apply(T0)  # the control arrives: the glide starts from where the look is
    assert show.performance.look.offset_x == 0.0
    play(mixer, 0.1, fps)
    assert show.performance.look.offset_x == pytest.approx(0.5 * (1 - math.exp(-0.1 / tau)), rel=1e-6)


def test_a_glide_lands_exactly_on_its_target_and_publishes_it(show):
    mixer = Mixer(show, show.bus)
    show.bus.offer("scale", 1.5, "midi")
    mixer.apply(T0)
    play(mixer, 2.0, 60)
    assert show.performance.look.scale == 1.5
    assert show.bus.values["scale"] == 1.5
    show.performance.look.scale = 1.2  # nothing glides any more: a later frame leaves it alone
    play(mixer, 0.1, 60, start=T0 + 2.0)
    assert show.performance.look.scale == 1.2


def test_a_new_value_mid_glide_turns_it_around_without_a_jump(show):
    mixer = Mixer(show, show.bus)
    show.bus.offer("offset_y", 0.4, "osc")
    mixer.apply(T0)
    t = play(mixer, 0.05, 60)
    midway = show.performance.look.offset_y
    assert 0.0 < midway < 0.4
    show.bus.offer("offset_y", 0.0, "osc")
    mixer.apply(t + 1 / 60)
    assert 0.0 < show.performance.look.offset_y < midway  # on its way back from where it was


def test_a_step_control_acts_at_once(show):
    mixer = Mixer(show, show.bus)
    show.bus.offer("nudge", 0.6, "osc")  # no smoothing declared
    mixer.apply(T0)
    assert show.performance.choreographer.nudge == pytest.approx(0.6, rel=1e-6)
    assert show.performance.last_control.endswith("(osc)") and "nudge" in show.performance.last_control


def test_a_trigger_publishes_every_value_it_moved_and_stops_the_glides_it_overrode(show):
    mixer = Mixer(show, show.bus)
    mixer.publish_all()
    show.bus.offer("trails", 0.2, "osc")
    mixer.apply(T0)
    play(mixer, 0.02, 60)
    show.bus.offer("preset", 4, "osc")  # neon: trails 0.6, black ground, seed 42
    t = play(mixer, 1 / 60, 60, start=T0 + 0.02)
    look = show.performance.look
    assert look.trails == 0.6 and look.bg == (0, 0, 0) and show.performance.choreographer.seed == 42
    assert show.bus.values["trails"] == 0.6 and show.bus.values["seed"] == 42
    play(mixer, 0.5, 60, start=t)
    assert look.trails == 0.6  # the glide towards 0.2 did not carry on under the preset


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [
        ("mirror", False, True),  # a switch flips
        ("trails", 0.0, 0.85),  # a number goes to its toggle value...
        ("blackout", 0.0, 1.0),
    ],
)
def test_a_toggle_flips_a_switch_or_swaps_a_number_with_its_toggle_value(show, name, before, after):
    mixer = Mixer(show, show.bus)
    assert getattr(show.performance.look, name) == before
    show.bus.offer(name, op="toggle", source="key")
    mixer.apply(T0)
    play(mixer, 2.0, 60)
    assert getattr(show.performance.look, name) == after
    show.bus.offer(name, op="toggle", source="key")  # ...and back to its default
    mixer.apply(T0 + 2.1)
    play(mixer, 2.0, 60, start=T0 + 2.1)
    assert getattr(show.performance.look, name) == before


def test_a_number_with_no_toggle_value_is_refused_on_the_hud(show):
    mixer = Mixer(show, show.bus)
    show.bus.offer("speed", op="toggle", source="key")
    mixer.apply(T0)
    assert show.performance.last_control == "speed: cannot be toggled; send a value"
    assert show.performance.choreographer.speed == 1.0


def test_a_refused_value_is_named_and_the_next_control_still_acts(show):
    mixer = Mixer(show, show.bus)
    dim = show.performance.engine.latent_dim
    show.bus.offer("latent", 1.0, "osc", index=dim + 5)
    show.bus.offer("nudge", 0.7, "osc")
    mixer.apply(T0)
    assert show.performance.choreographer.nudge == pytest.approx(0.7, rel=1e-6)
    show.bus.offer("latent", 1.0, "osc", index=dim + 5)
    mixer.apply(T0 + 0.2)
    assert f"{dim} latent dimensions" in show.performance.last_control


def test_a_timetagged_control_waits_for_its_time(show):
    mixer = Mixer(show, show.bus)
    show.bus.offer("mirror", True, "osc", due=float("inf"))  # a bundle timetagged far in the future
    mixer.apply(T0)
    play(mixer, 0.1, 60)
    assert show.performance.look.mirror is False


def test_the_late_pass_takes_look_controls_and_holds_the_rest_for_the_next_frame(show):
    mixer = Mixer(show, show.bus)
    mixer.apply(T0)
    show.bus.offer("invert", True, "osc")  # arrives while the frame is being decoded
    show.bus.offer("nudge", 0.5, "osc")
    mixer.apply_late()
    assert show.performance.look.invert is True  # drawn this frame
    assert show.performance.choreographer.nudge == 0.0  # this frame is already dreamt
    mixer.apply(T0 + 1 / 60)
    assert show.performance.choreographer.nudge == pytest.approx(0.5, rel=1e-6)


def test_latency_is_counted_for_controls_that_reached_a_shown_frame(show):
    mixer = Mixer(show, show.bus)
    show.bus.offer("offset_x", 0.1, "osc", received=50.0)
    show.bus.offer("seed", 3, "key", received=50.0)  # keys are not counted: their latency is the keyboard's
    mixer.apply(T0)
    mixer.frame_shown(50.25)
    latencies, look = mixer.recent_latencies()
    assert list(latencies) == [0.25] and list(look) == [True]


def test_a_latent_vector_glides_as_a_whole(show):
    mixer = Mixer(show, show.bus)
    dim = show.performance.engine.latent_dim
    target = np.linspace(-1, 1, dim).astype(np.float32)
    show.bus.offer("latent", target, "osc")
    mixer.apply(T0)
    play(mixer, 3.0, 60)
    np.testing.assert_allclose(show.performance.choreographer.offset, target, atol=1e-3)


def test_a_restored_mixer_carries_its_glides_on_exactly(show, engine, tmp_path):
    import json

    from bare_show import BareShow

    from livedance.recording.sessionlog import arrays, line

    mixer = Mixer(show, show.bus)
    show.bus.offer("scale", 1.5, "osc")
    show.bus.offer("latent", [0.5] * engine.latent_dim, "osc")
    show.bus.offer("speed", 2.0, "osc")
    mixer.apply(T0)
    t = play(mixer, 0.05, 60)  # all three under way
    state = arrays(json.loads(line({"mixer": mixer.snapshot(), "performance": show.performance.snapshot()})))
    other = BareShow(engine, tmp_path / "other")
    other.performance.restore(state["performance"])
    again = Mixer(other, other.bus)
    again.restore(state["mixer"])
    values = []
    for s in (show, other):
        for i in range(1, 30):
            (mixer if s is show else again).apply(t + i / 60)
            c = s.performance.choreographer
            values.append((s is show, i, s.performance.look.scale, c.speed, tuple(c.offset)))
    ours = [v[2:] for v in values if v[0]]
    theirs = [v[2:] for v in values if not v[0]]
    assert ours == theirs and 1.0 < ours[0][0] < ours[-1][0] <= 1.5  # still gliding when restored
