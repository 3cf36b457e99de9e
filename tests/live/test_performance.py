"""The performance: the performer's settings and last touch outlive a model switch; the model's name follows its engine."""

import dataclasses

from livedance.live.choreographer import Choreographer
from livedance.live.performance import Performance, Show
from livedance.video.look import Look


def test_a_new_performance_starts_from_the_documented_defaults(engine):
    show = Performance(engine, Choreographer(engine), Look())
    assert (show.frames, show.perturb_amount, show.loop_beats, show.last_control) == (0, 1.0, 4.0, "-")
    assert show.model_name == "default" and show.log is None


def test_swapping_the_dancer_keeps_the_performer_s_settings(engine):
    show = Performance(engine, Choreographer(engine), Look(), perturb_amount=0.3, loop_beats=8.0)
    show.last_control = "speed 2"
    show.choreographer = Choreographer(engine, seed=9)
    assert (show.perturb_amount, show.loop_beats, show.last_control) == (0.3, 8.0, "speed 2")


def test_the_show_interface_is_narrow():
    """What a control may reach: not the loop's pacing, counters or compositor."""
    members = set(Show.__annotations__) | {"switch"}
    assert members == {"performance", "bus", "director", "hud", "window", "takes", "running", "switch"}
    assert "frames" in {f.name for f in dataclasses.fields(Performance)}
