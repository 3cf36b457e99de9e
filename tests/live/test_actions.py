"""What each registry parameter does to a show: written, then read back, one table row each."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from bare_show import BareShow  # noqa: E402

from livedance.control.params import REGISTRY  # noqa: E402
from livedance.errors import LivedanceError  # noqa: E402
from livedance.live.actions import ACTIONS, SPEED_STEP, loop_steps  # noqa: E402


def test_every_parameter_of_the_registry_has_an_action():
    assert set(ACTIONS) == set(REGISTRY)


# (parameter, a value to write, what reading it back gives): every readable parameter whose
# write stays inside the show (model and dancers ask the switcher: see the next test).
ROUND_TRIPS = [
    ("seed", 5, 5),
    ("perturb_amount", 0.5, 0.5),
    ("noise", 0.2, 0.2),
    ("temperature", 0.7, 0.7),
    ("freeze", True, True),
    ("loop", True, True),
    ("loop_beats", 8.0, 8.0),
    ("mode", "generate", "generate"),
    ("auto", False, False),
    ("speed", 2.0, 2.0),
    ("bpm", 128.0, 128.0),
    ("steps_per_beat", 4, 4),
    ("tempo_lock", True, True),
    ("nudge", 0.5, 0.5),
    ("fg", (0, 0, 255), (0, 0, 255)),
    ("bg", (255, 0, 0), (255, 0, 0)),
    ("invert", True, True),
    ("mirror", True, True),
    ("trails", 0.5, 0.5),
    ("scale", 1.5, 1.5),
    ("offset_x", 0.2, 0.2),
    ("offset_y", -0.1, -0.1),
    ("blackout", 0.5, 0.5),
    ("hud", True, True),
    ("fullscreen", True, True),
    ("learn", "speed", "speed"),
    ("learn", "off", "off"),
]


@pytest.mark.parametrize(("name", "value", "read"), ROUND_TRIPS, ids=[f"{n}={v}" for n, v, _ in ROUND_TRIPS])
def test_a_written_value_reads_back(show, name, value, read):
    ACTIONS[name].write(show, value)
    got = ACTIONS[name].read(show)
    assert got == (pytest.approx(read, rel=1e-6) if isinstance(read, float) else read)


def test_a_latent_offset_is_written_one_dimension_or_all(show):
    dim = show.performance.engine.latent_dim
    ACTIONS["latent"].write(show, 1.5, 3)
    assert ACTIONS["latent"].read(show)[3] == pytest.approx(1.5)
    ACTIONS["latent"].write(show, np.full(dim, 0.25, np.float32))
    assert np.all(ACTIONS["latent"].read(show) == 0.25)


@pytest.mark.parametrize(
    ("name", "value", "asked"),
    [("model", "salsa", ("salsa", None)), ("dancers", 3, (None, 3))],
    ids=["model", "dancers"],
)
def test_model_and_dancers_ask_the_show_to_switch(show, name, value, asked):
    ACTIONS[name].write(show, value)
    assert show.switches == [asked]


def test_record_starts_a_take_and_stops_it(show, tmp_path):
    ACTIONS["record"].write(show, True)
    assert ACTIONS["record"].read(show) is True
    ACTIONS["record"].write(show, False)
    show.takes.finish()
    assert ACTIONS["record"].read(show) is False


def test_record_is_refused_without_a_frame_rate(engine, tmp_path):
    show = BareShow(engine, tmp_path, fps=0.0)
    with pytest.raises(LivedanceError, match="needs a frame rate"):
        ACTIONS["record"].write(show, True)


@pytest.mark.parametrize(
    ("name", "value"), [("camera_learn", None), ("mode", "follow"), ("mode", "continue"), ("auto", True)]
)
def test_camera_controls_without_a_camera_say_what_they_need(show, name, value):
    with pytest.raises(LivedanceError, match="needs a camera"):
        ACTIONS[name].write(show, value)


def test_reseed_picks_a_new_dance_and_seed_names_one(show):
    choreographer = show.performance.choreographer
    ACTIONS["reseed"].write(show)
    assert choreographer.seed != 0
    ACTIONS["seed"].write(show, 7)
    assert choreographer.seed == 7


def test_perturb_moves_the_window_by_the_set_amount(show):
    rollout = show.performance.choreographer.rollout
    before = rollout.window_norm.copy()
    ACTIONS["perturb_amount"].write(show, 0.0)
    ACTIONS["perturb"].write(show)
    assert np.array_equal(rollout.window_norm, before)  # amount 0: nothing moves
    ACTIONS["perturb"].write(show, 0.5)  # a trigger's own amount wins
    assert not np.array_equal(rollout.window_norm, before)


def test_the_phrase_loop_is_its_beats_at_the_steps_per_beat(show):
    ACTIONS["bpm"].write(show, 120.0)
    ACTIONS["steps_per_beat"].write(show, 6)
    ACTIONS["loop_beats"].write(show, 4.0)
    assert loop_steps(show) == 24
    ACTIONS["loop_beats"].write(show, 0.0)
    assert loop_steps(show) == 2  # never shorter than two steps


def test_two_taps_half_a_second_apart_set_120_bpm(show):
    for t in (10.0, 10.5):
        show.performance.control_time = t
        ACTIONS["tap"].write(show)
    assert ACTIONS["bpm"].read(show) == pytest.approx(120.0)
    assert ACTIONS["tempo_lock"].read(show) is True


@pytest.mark.parametrize(
    ("locked", "trigger", "expect"),
    [
        (False, "faster", ("speed", SPEED_STEP)),
        (False, "slower", ("speed", 1 / SPEED_STEP)),
        (False, "tempo_double", ("speed", 2.0)),
        (False, "tempo_half", ("speed", 0.5)),
        (True, "faster", ("bpm", 124.0)),
        (True, "slower", ("bpm", 116.0)),
        (True, "tempo_double", ("bpm", 240.0)),
        (True, "tempo_half", ("bpm", 60.0)),
    ],
)
def test_tempo_triggers_move_speed_when_free_and_bpm_when_locked(show, locked, trigger, expect):
    if locked:
        ACTIONS["bpm"].write(show, 120.0)
    ACTIONS[trigger].write(show)
    name, value = expect
    assert ACTIONS[name].read(show) == pytest.approx(value)


def test_a_preset_sets_look_speed_and_seed_from_its_defaults(show):
    ACTIONS["mirror"].write(show, True)
    ACTIONS["preset"].write(show, 4)
    look = show.performance.look
    assert (look.fg, look.bg, look.trails, look.mirror) == ((102, 0, 255), (0, 0, 0), 0.6, False)
    assert show.performance.choreographer.seed == 42 and show.performance.choreographer.speed == 1.25
    assert show.performance.last_preset.startswith("preset 4")


def test_freeze_and_reset(show):
    ACTIONS["freeze"].write(show, True)
    assert show.performance.choreographer.frozen
    ACTIONS["reset"].write(show)
    ACTIONS["freeze"].write(show, False)
    assert not show.performance.choreographer.frozen
