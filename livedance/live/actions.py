"""What each parameter of the registry does to a running instrument, and how to read it back.

`ACTIONS[name]` is a pair of small functions: `read(inst)` (the value now, for MIDI pick-up,
toggles, feedback and the HUD) and `write(inst, value, index)` (make it so; a trigger's value
is its amount or None). They run on the display loop's thread only, called by the mixer, so
they may touch the choreographer, the look and the window freely. A value is already coerced
to the parameter's type and range (`params.coerce`); what can still be refused (a model that
isn't there, a latent index past the model's size) raises a one-line LivedanceError, which the
mixer shows on the HUD.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from livedance.errors import LivedanceError
from livedance.live.choreographer import LOOP_CAPACITY
from livedance.live.keys import apply_preset

# Keyboard steps: four presses double or halve the speed.
SPEED_STEP = 2.0**0.25
BPM_STEP = 4.0
FREE_BEAT_BPM = 120.0  # a "beat" when the step clock runs free, for the phrase loop's length


class Action(NamedTuple):
    read: Callable
    write: Callable


def _look_field(name: str) -> Action:
    def read(inst):
        return getattr(inst.look, name)

    def write(inst, value, index=None):
        setattr(inst.look, name, value)  # the compositor re-checks a look changed in place

    return Action(read, write)


def _attribute(owner: str, name: str) -> Action:
    def read(inst):
        return getattr(getattr(inst, owner), name)

    def write(inst, value, index=None):
        setattr(getattr(inst, owner), name, value)

    return Action(read, write)


def _own(name: str) -> Action:
    """A setting the instrument itself keeps (the perturb key's amount, the loop's length)."""

    def write(inst, value, index=None):
        setattr(inst, name, value)

    return Action(lambda inst: getattr(inst, name), write)


def _trigger(fire: Callable) -> Action:
    return Action(lambda inst: None, fire)


# --- the dance -------------------------------------------------------------------------------
def _reseed(inst, value=None, index=None):
    inst.choreographer.reseed()


def _seed(inst, value, index=None):
    inst.choreographer.reseed(int(value))


def _perturb(inst, value=None, index=None):
    inst.choreographer.perturb(inst.perturb_amount if value is None else value)


def _freeze(inst, value, index=None):
    inst.choreographer.freeze(bool(value))


def _loop_read(inst):
    return inst.choreographer.looping is not None


def _loop_write(inst, value, index=None):
    c = inst.choreographer
    if value:
        c.loop(loop_steps(inst))
    else:
        c.release_loop()


def loop_steps(inst) -> int:
    """The phrase loop's length in steps: `loop_beats` beats at the current steps per beat."""
    c = inst.choreographer
    if c.tempo is not None:
        per_beat = c.tempo[1]
    else:
        per_beat = c.engine.step_rate * c.speed * 60.0 / FREE_BEAT_BPM
    return min(max(2, round(inst.loop_beats * per_beat)), LOOP_CAPACITY)


def _reset(inst, value=None, index=None):
    inst.choreographer.reset()


def _mode_write(inst, value, index=None):
    inst.director.set_mode(value)


def _auto_write(inst, value, index=None):
    inst.director.set_auto(bool(value))


def _camera_learn(inst, value=None, index=None):
    if inst.director.capture is None:
        raise LivedanceError("camera_learn: needs a camera (livedance live --camera 0|FILE); none is open")
    inst.director.capture.learn_empty()


def _latent_read(inst):
    return inst.choreographer.offset


def _latent_write(inst, value, index=None):
    if index is None:
        inst.choreographer.set_offsets(value)
    else:
        inst.choreographer.set_offset(index, value)


def _preset(inst, value=None, index=None):
    inst.last_preset = apply_preset(inst, int(value or 1))


# --- time ------------------------------------------------------------------------------------
def _bpm_read(inst):
    tempo = inst.choreographer.tempo
    return tempo[0] if tempo else inst.choreographer.last_bpm


def _bpm_write(inst, value, index=None):
    tempo = inst.choreographer.tempo
    inst.choreographer.set_tempo(value, tempo[1] if tempo else None)


def _steps_per_beat_read(inst):
    tempo = inst.choreographer.tempo
    return tempo[1] if tempo else None


def _steps_per_beat_write(inst, value, index=None):
    tempo = inst.choreographer.tempo
    inst.choreographer.set_tempo(tempo[0] if tempo else inst.choreographer.last_bpm, int(value))


def _tempo_lock_write(inst, value, index=None):
    c = inst.choreographer
    if value and c.tempo is None:
        c.set_tempo(c.last_bpm)
    elif not value:
        c.unlock_tempo()


def _tap(inst, value=None, index=None):
    bpm = inst.tap_tempo.tap(inst.control_time)
    if bpm is not None:
        _bpm_write(inst, bpm)  # set_tempo clamps to the choreographer's range


def _faster(inst, value=None, index=None, faster=True):
    c = inst.choreographer
    if c.tempo is not None:
        bpm, steps_per_beat = c.tempo
        c.set_tempo(bpm + (BPM_STEP if faster else -BPM_STEP), steps_per_beat)
    else:
        c.speed = c.speed * (SPEED_STEP if faster else 1.0 / SPEED_STEP)


def _slower(inst, value=None, index=None):
    _faster(inst, faster=False)


def _tempo_double(inst, value=None, index=None):
    inst.choreographer.tempo_double()


def _tempo_half(inst, value=None, index=None):
    inst.choreographer.tempo_half()


# --- the show --------------------------------------------------------------------------------
def _dancers_write(inst, value, index=None):
    inst.switch(dancers=int(value))


def _model_read(inst):
    return inst.model_name


def _model_write(inst, value, index=None):
    inst.switch(model=value)


def _record_read(inst):
    return inst.recording


def _record_write(inst, value, index=None):
    if value:
        inst.start_recording()
    else:
        inst.stop_recording()


def _hud_write(inst, value, index=None):
    inst.hud.visible = bool(value)


def _fullscreen_write(inst, value, index=None):
    if bool(value) != inst.fullscreen:
        inst.toggle_fullscreen()


def _learn_write(inst, value, index=None):
    inst.bus.learning = None if value == "off" else value


ACTIONS: dict[str, Action] = {
    "reseed": _trigger(_reseed),
    "seed": Action(lambda inst: inst.choreographer.seed, _seed),
    "perturb": _trigger(_perturb),
    "perturb_amount": _own("perturb_amount"),
    "noise": _attribute("choreographer", "noise"),
    "temperature": _attribute("choreographer", "temperature"),
    "freeze": Action(lambda inst: inst.choreographer.frozen, _freeze),
    "loop": Action(_loop_read, _loop_write),
    "loop_beats": _own("loop_beats"),
    "reset": _trigger(_reset),
    "mode": Action(lambda inst: inst.director.mode, _mode_write),
    "auto": Action(lambda inst: inst.director.auto, _auto_write),
    "camera_learn": _trigger(_camera_learn),
    "latent": Action(_latent_read, _latent_write),
    "preset": _trigger(_preset),
    "speed": _attribute("choreographer", "speed"),
    "bpm": Action(_bpm_read, _bpm_write),
    "steps_per_beat": Action(_steps_per_beat_read, _steps_per_beat_write),
    "tempo_lock": Action(lambda inst: inst.choreographer.tempo is not None, _tempo_lock_write),
    "tap": _trigger(_tap),
    "nudge": _attribute("choreographer", "nudge"),
    "downbeat": _trigger(lambda inst, value=None, index=None: inst.choreographer.downbeat()),
    "tempo_double": _trigger(_tempo_double),
    "tempo_half": _trigger(_tempo_half),
    "faster": _trigger(_faster),
    "slower": _trigger(_slower),
    **{
        name: _look_field(name)
        for name in ("fg", "bg", "invert", "mirror", "trails", "scale", "offset_x", "offset_y", "blackout")
    },
    "dancers": Action(lambda inst: inst.look.dancers, _dancers_write),
    "model": Action(_model_read, _model_write),
    "record": Action(_record_read, _record_write),
    "hud": Action(lambda inst: inst.hud.visible, _hud_write),
    "fullscreen": Action(lambda inst: inst.fullscreen, _fullscreen_write),
    "learn": Action(lambda inst: inst.bus.learning or "off", _learn_write),
}
