"""Where the dancer comes from: generate, follow, continue, and auto's hysteresis.

The camera's side is its latest-value slot (`Capture.latest()`); here a `Slot` holds real
`CaptureState`s written by the test, so each rule is checked at exact times. The camera
thread itself is tested with real video in test_capture.py and test_live_camera.py."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from livedance.camera.capture import CaptureState  # noqa: E402
from livedance.errors import LivedanceError  # noqa: E402
from livedance.live.modes import ARRIVE_SECONDS, FOLLOW_SECONDS, LEAVE_SECONDS, Director  # noqa: E402
from livedance.recording.sessionlog import SessionLog, from_json  # noqa: E402

T0 = 100.0
FPS = 60


class Slot:
    """The capture's latest-value slot."""

    def __init__(self, dim: int, window: int):
        self.dim, self.window, self.state = dim, window, None
        self.seq = 0

    def latest(self):
        return self.state

    def put(self, latent, present=True, filled=None):
        self.seq += 1
        latent = np.asarray(latent, np.float32)
        window = np.tile(latent, (self.window, 1))
        self.state = CaptureState(
            ink=np.zeros((120, 200), np.float32),
            latent=latent,
            window=window,
            filled=self.window if filled is None else filled,
            present=present,
            seq=self.seq,
            time=0.0,
            preview=np.zeros((8, 8), np.uint8),
            fps=30.0,
        )


@pytest.fixture
def slot(engine):
    return Slot(engine.latent_dim, engine.window)


def director(show, slot=None, auto=False):
    show.director = Director(show.performance, capture=slot, auto=auto)
    return show.director


def frames(d, start, seconds):
    """Ask for the latents once per display frame; returns the time after the last."""
    t = start
    for _ in range(round(seconds * FPS)):
        d.latents(t)
        t += 1 / FPS
    return t


def test_without_a_camera_it_generates_and_refuses_the_camera_modes(show):
    d = director(show)
    assert d.latents(T0).shape == (1, show.performance.engine.latent_dim)
    for mode in ("follow", "continue"):
        with pytest.raises(LivedanceError, match="needs a camera"):
            d.set_mode(mode)
    with pytest.raises(LivedanceError, match="expected one of generate, follow, continue"):
        d.set_mode("dance")
    assert d.mode == "generate"


def following(show, slot):
    """A director following a dancer who was at zeros at T0 and is at ones from then on."""
    d = director(show, slot)
    d.set_mode("follow")
    slot.put(np.zeros(slot.dim))
    d.latents(T0)
    slot.put(np.ones(slot.dim))
    return d


def test_follow_glides_to_the_captured_latent_with_its_time_constant(show, slot):
    d = following(show, slot)
    shown = d.latents(T0 + FOLLOW_SECONDS)  # one time constant later: 1 - 1/e of the way
    assert shown[0, 0] == pytest.approx(1 - np.exp(-1), rel=1e-5)
    frames(d, T0 + FOLLOW_SECONDS, 1.0)
    assert np.allclose(d.latents(T0 + 1.1), 1.0, atol=1e-4)


def test_a_latent_encoded_for_another_model_is_not_followed(show, slot):
    d = director(show, slot)
    d.set_mode("follow")
    slot.put(np.zeros(slot.dim + 3))  # from before a model switch
    assert d.latents(T0) is not slot.state.latent and d.latents(T0).shape[-1] == slot.dim


def test_continue_needs_something_captured_and_logs_the_window_it_starts_from(show, slot):
    d = director(show, slot)
    with pytest.raises(LivedanceError, match="nothing captured yet"):
        d.set_mode("continue")
    show.performance.log = SessionLog(model="m", dancers=1, seed=0, fps=60, size=[160, 120])
    slot.put(np.full(slot.dim, 0.5), filled=2)  # two captured: the rest of the window holds the first
    d.set_mode("continue")
    assert d.mode == "continue" and d.switches == 1
    event = show.performance.log.events[-1]
    assert event["type"] == "mode" and event["mode"] == "continue"
    assert from_json(event["window"]).shape == (slot.window, slot.dim)  # padded to the model's window


def test_auto_follows_after_arriving_and_continues_after_leaving(show, slot):
    d = director(show, slot, auto=True)
    slot.put(np.zeros(slot.dim), present=True)
    t = frames(d, T0, ARRIVE_SECONDS - 0.1)
    assert d.mode == "generate"  # not yet: someone may only be passing
    t = frames(d, t, 0.2)
    assert d.mode == "follow" and "someone is here" in show.performance.last_control
    slot.put(np.zeros(slot.dim), present=False)
    t = frames(d, t, LEAVE_SECONDS - 0.1)
    assert d.mode == "follow"  # not yet: an arm out of frame, a shadow
    frames(d, t, 0.2)
    assert d.mode == "continue" and "they left" in show.performance.last_control


def test_auto_rides_out_a_flickering_mask(show, slot):
    d = director(show, slot, auto=True)
    slot.put(np.zeros(slot.dim), present=True)
    t = frames(d, T0, ARRIVE_SECONDS + 0.1)
    assert d.mode == "follow"
    for _ in range(10):  # gone for under LEAVE_SECONDS, back, gone again...
        slot.put(np.zeros(slot.dim), present=False)
        t = frames(d, t, LEAVE_SECONDS / 2)
        slot.put(np.zeros(slot.dim), present=True)
        t = frames(d, t, 0.1)
    assert d.mode == "follow" and d.switches == 1


def test_auto_falls_back_to_generate_when_there_is_nothing_to_continue(show, slot):
    d = director(show, slot, auto=True)
    slot.put(np.zeros(slot.dim), present=True, filled=1)
    t = frames(d, T0, ARRIVE_SECONDS + 0.1)
    slot.put(np.zeros(slot.dim), present=False, filled=1)
    frames(d, t, LEAVE_SECONDS + 0.1)
    assert d.mode == "generate"


def test_a_restored_director_follows_on_from_the_same_pose(show, slot):
    import json

    from livedance.recording.sessionlog import arrays, line

    d = following(show, slot)
    d.latents(T0 + 0.02)  # part of the way: the glide is under way
    state = arrays(json.loads(line(d.snapshot())))
    assert state["mode"] == "follow" and state["auto"] is False
    again = Director(show.performance, capture=slot)
    again.restore(state)
    for t in (T0 + 0.04, T0 + 0.07, T0 + 0.2):
        np.testing.assert_array_equal(again.latents(t), d.latents(t))
    assert 0.0 < d.latents(T0 + 0.21)[0, 0] < 1.0
