"""What each parameter of the registry does to a running instrument, and how to read it back.

`ACTIONS[name]` is a pair of small functions: `read(show)` (the value now, for MIDI pick-up,
toggles, feedback and the HUD) and `write(show, value, index)` (make it so; a trigger's value
is its amount or None). They run on the display loop's thread only, called by the mixer, so
they may touch the choreographer, the look and the window freely. A value is already coerced
to the parameter's type and range (`params.coerce`); what can still be refused (a model that
isn't there, a latent index past the model's size) raises a one-line LivedanceError, which the
mixer shows on the HUD.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from livedance.control.params import MAX_BPM, MIN_BPM
from livedance.errors import LivedanceError
from livedance.live.choreographer import ACCENT_DEFAULT, LOOP_CAPACITY
from livedance.live.keys import apply_preset
from livedance.sync.tempo import NAMES

# Keyboard steps: four presses double or halve the speed.
SPEED_STEP = 2.0**0.25
BPM_STEP = 4.0
FREE_BEAT_BPM = 120.0  # a "beat" when the step clock runs free, for the phrase loop's length


class Action(NamedTuple):
    read: Callable
    write: Callable


def _look_field(name: str) -> Action:
    def read(show):
        return getattr(show.performance.look, name)

    def write(show, value, index=None):
        setattr(show.performance.look, name, value)  # the compositor re-checks a look changed in place

    return Action(read, write)


def _attribute(owner: str, name: str) -> Action:
    def read(show):
        return getattr(getattr(show.performance, owner), name)

    def write(show, value, index=None):
        setattr(getattr(show.performance, owner), name, value)

    return Action(read, write)


def _own(name: str) -> Action:
    """A setting the performance itself keeps (the perturb key's amount, the loop's length)."""

    def write(show, value, index=None):
        setattr(show.performance, name, value)

    return Action(lambda show: getattr(show.performance, name), write)


def _trigger(fire: Callable) -> Action:
    return Action(lambda show: None, fire)


# --- the dance -------------------------------------------------------------------------------
def _reseed(show, value=None, index=None):
    show.performance.choreographer.reseed()


def _seed(show, value, index=None):
    show.performance.choreographer.reseed(int(value))


def _perturb(show, value=None, index=None):
    show.performance.choreographer.perturb(show.performance.perturb_amount if value is None else value)


def _accent(show, value=None, index=None):
    show.performance.choreographer.accent(ACCENT_DEFAULT if value is None else value)


def _freeze(show, value, index=None):
    show.performance.choreographer.freeze(bool(value))


def _loop_read(show):
    return show.performance.choreographer.looping is not None


def _loop_write(show, value, index=None):
    c = show.performance.choreographer
    if value:
        c.loop(loop_steps(show))
    else:
        c.release_loop()


def loop_steps(show) -> int:
    """The phrase loop's length in steps: `loop_beats` beats at the current steps per beat."""
    c = show.performance.choreographer
    if c.tempo is not None:
        per_beat = c.tempo[1]
    else:
        per_beat = c.engine.step_rate * c.speed * 60.0 / FREE_BEAT_BPM
    return min(max(2, round(show.performance.loop_beats * per_beat)), LOOP_CAPACITY)


def _reset(show, value=None, index=None):
    show.performance.choreographer.reset()


def _mode_write(show, value, index=None):
    show.director.set_mode(value)


def _auto_write(show, value, index=None):
    show.director.set_auto(bool(value))


def _camera_learn(show, value=None, index=None):
    if show.director.capture is None:
        raise LivedanceError("camera_learn: needs a camera (livedance live --camera 0|FILE); none is open")
    show.director.capture.learn_empty()


def _latent_read(show):
    return show.performance.choreographer.offset


def _latent_write(show, value, index=None):
    if index is None:
        show.performance.choreographer.set_offsets(value)
    else:
        show.performance.choreographer.set_offset(index, value)


def _preset(show, value=None, index=None):
    show.performance.last_preset = apply_preset(show.performance, int(value or 1))


# --- time ------------------------------------------------------------------------------------
def _bpm_read(show):
    tempo = show.performance.choreographer.tempo
    return tempo[0] if tempo else show.performance.choreographer.last_bpm


def set_bpm(show, bpm: float, steps_per_beat: int | None = None) -> None:
    """A tempo set by hand: on the step clock where manual leads, else to the leader (tempo.py)."""
    if not show.performance.tempo_rule.hand_set(min(max(bpm, MIN_BPM), MAX_BPM)):
        show.performance.choreographer.set_tempo(bpm, steps_per_beat)


def _bpm_write(show, value, index=None):
    tempo = show.performance.choreographer.tempo
    set_bpm(show, value, tempo[1] if tempo else None)


def _steps_per_beat_read(show):
    tempo = show.performance.choreographer.tempo
    return tempo[1] if tempo else None


def _steps_per_beat_write(show, value, index=None):
    tempo = show.performance.choreographer.tempo
    show.performance.choreographer.set_tempo(tempo[0] if tempo else show.performance.choreographer.last_bpm, int(value))


def _tempo_lock_write(show, value, index=None):
    c, rule = show.performance.choreographer, show.performance.tempo_rule
    if rule.leader != "manual":  # the leader keeps the clock locked to its tempo
        if not value:
            raise LivedanceError(f"{NAMES[rule.leader]} leads the tempo; choose tempo_source manual to unlock it")
    elif value and c.tempo is None:
        c.set_tempo(c.last_bpm)
    elif not value:
        c.unlock_tempo()


def _tap(show, value=None, index=None):
    bpm = show.performance.tap_tempo.tap(show.performance.control_time)
    if bpm is not None:
        _bpm_write(show, bpm)  # set_tempo clamps to the choreographer's range


def _faster(show, value=None, index=None, faster=True):
    c = show.performance.choreographer
    if c.tempo is not None:
        bpm, steps_per_beat = c.tempo
        set_bpm(show, bpm + (BPM_STEP if faster else -BPM_STEP), steps_per_beat)
    else:
        c.speed = c.speed * (SPEED_STEP if faster else 1.0 / SPEED_STEP)


def _slower(show, value=None, index=None):
    _faster(show, faster=False)


def _scale_tempo(show, factor: float) -> None:
    c = show.performance.choreographer
    if c.tempo is not None:
        set_bpm(show, c.tempo[0] * factor, c.tempo[1])
    else:
        c.speed = c.speed * factor


def _tempo_double(show, value=None, index=None):
    _scale_tempo(show, 2.0)


def _tempo_half(show, value=None, index=None):
    _scale_tempo(show, 0.5)


def _downbeat(show, value=None, index=None):
    rule = show.performance.tempo_rule
    if rule.sets_phase:
        raise LivedanceError(f"{NAMES[rule.leader]} sets the beat; choose tempo_source manual to place it by hand")
    show.performance.choreographer.downbeat()


def _tempo_source_write(show, value, index=None):
    show.performance.tempo_rule.choose(value)


# --- the show --------------------------------------------------------------------------------
def _dancers_write(show, value, index=None):
    show.switch(dancers=int(value))


def _model_read(show):
    return show.performance.model_name


def _model_write(show, value, index=None):
    show.switch(model=value)


def _record_read(show):
    return show.takes.recording


def _record_write(show, value, index=None):
    if value:
        show.takes.start()
    else:
        show.takes.stop()


def _hud_write(show, value, index=None):
    show.hud.visible = bool(value)


def _fullscreen_write(show, value, index=None):
    if bool(value) != show.window.fullscreen:
        show.window.toggle_fullscreen()


def _learn_write(show, value, index=None):
    show.bus.learning = None if value == "off" else value


ACTIONS: dict[str, Action] = {
    "reseed": _trigger(_reseed),
    "seed": Action(lambda show: show.performance.choreographer.seed, _seed),
    "perturb": _trigger(_perturb),
    "accent": _trigger(_accent),
    "perturb_amount": _own("perturb_amount"),
    "noise": _attribute("choreographer", "noise"),
    "temperature": _attribute("choreographer", "temperature"),
    "freeze": Action(lambda show: show.performance.choreographer.frozen, _freeze),
    "loop": Action(_loop_read, _loop_write),
    "loop_beats": _own("loop_beats"),
    "reset": _trigger(_reset),
    "mode": Action(lambda show: show.director.mode, _mode_write),
    "auto": Action(lambda show: show.director.auto, _auto_write),
    "camera_learn": _trigger(_camera_learn),
    "latent": Action(_latent_read, _latent_write),
    "preset": _trigger(_preset),
    "speed": _attribute("choreographer", "speed"),
    "bpm": Action(_bpm_read, _bpm_write),
    "steps_per_beat": Action(_steps_per_beat_read, _steps_per_beat_write),
    "tempo_lock": Action(lambda show: show.performance.choreographer.tempo is not None, _tempo_lock_write),
    "tap": _trigger(_tap),
    "nudge": _attribute("choreographer", "nudge"),
    "downbeat": _trigger(_downbeat),
    "tempo_double": _trigger(_tempo_double),
    "tempo_half": _trigger(_tempo_half),
    "faster": _trigger(_faster),
    "slower": _trigger(_slower),
    "tempo_source": Action(lambda show: show.performance.tempo_rule.leader, _tempo_source_write),
    **{
        name: _look_field(name)
        for name in ("fg", "bg", "invert", "mirror", "trails", "scale", "offset_x", "offset_y", "blackout")
    },
    "dancers": Action(lambda show: show.performance.look.dancers, _dancers_write),
    "model": Action(_model_read, _model_write),
    "record": Action(_record_read, _record_write),
    "hud": Action(lambda show: show.hud.visible, _hud_write),
    "fullscreen": Action(lambda show: show.window.fullscreen, _fullscreen_write),
    "learn": Action(lambda show: show.bus.learning or "off", _learn_write),
}
