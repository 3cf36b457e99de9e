"""Applying controls to the instrument, once per frame, on the display loop's thread.

At the top of every frame the mixer drains the control bus, holds back what an OSC bundle's
timetag says is not due yet, and applies the rest through `actions.ACTIONS`. A continuous
parameter with a smoothing time glides towards its new value (a one-pole follower, so the
glide is frame-rate independent): a 7-bit fader's steps or a jumpy network slider never
make the picture jump, and the first step of the glide is already in the next frame drawn.
Every applied value is published back to the bus (feedback, MIDI pick-up) and named on the
HUD; a value the instrument refuses is named on the HUD too, and the show goes on.

Control-to-frame latency: the time from a control's arrival (or its timetag) to the moment the
first frame that uses it has been handed to the display, kept for the last `LATENCY_SAMPLES`
controls from OSC and MIDI (what `livedance bench` reports).
"""

from __future__ import annotations

import heapq
import logging
import math
import time

import numpy as np

from livedance.control import params as _params
from livedance.control.controls import ControlBus
from livedance.errors import LivedanceError, one_line
from livedance.live.actions import ACTIONS
from livedance.live.performance import Show
from livedance.recording.sessionlog import jsonable

log = logging.getLogger(__name__)

LATENCY_SAMPLES = 4096
# Sources that move parameters on their own (the music): not what the
# HUD's "last control" or MIDI learn's "parameter touched last" should follow.
QUIET_SOURCES = frozenset({"audio"})
# Look parameters only change how the compositor draws: one that arrives while the frame is
# being dreamt and decoded still makes that frame (see `apply_late`).
LATE = frozenset(name for name, p in _params.REGISTRY.items() if p.group == "look" and name != "dancers")
SETTLED = 1e-4  # a glide this close to its target (as a share of the range) snaps onto it


class _Glide:
    __slots__ = ("param", "index", "current", "target")

    def __init__(self, param, index, current, target):
        self.param, self.index, self.current, self.target = param, index, current, target


class Mixer:
    def __init__(self, show: Show, bus: ControlBus):
        self.show = show
        self.bus = bus
        self._incoming: list = []  # reused every frame
        self._later: list = []  # heap of (due, order, control)
        self._order = 0
        self._held: list = []  # controls the late pass took that must wait for the next frame
        self._dt = 0.0  # this frame's step, for a glide that starts in the late pass
        self._glides: dict = {}
        self._settled: list = []
        self._last: float | None = None
        self._applied_at: list[tuple[float, bool]] = []  # arrival times of controls this frame uses
        self.latencies = np.zeros(LATENCY_SAMPLES, np.float64)
        self.latency_look = np.zeros(LATENCY_SAMPLES, bool)  # which samples were look controls
        self.latency_count = 0
        self.applied = 0

    # --- per frame ---------------------------------------------------------------------------
    def apply(self, now: float) -> None:
        """Everything that is due, then one step of every glide (`now`: the loop's clock)."""
        if self._held:
            for control in self._held:
                self._apply(control)
            self._held.clear()
        incoming = self.bus.drain(self._incoming)
        wall = time.perf_counter()  # timetags are on the arrival clock, `now` is the loop's
        for control in incoming:
            if control.due > wall:
                self._order += 1
                heapq.heappush(self._later, (control.due, self._order, control))
            else:
                self._apply(control)
        incoming.clear()
        while self._later and self._later[0][0] <= wall:
            self._apply(heapq.heappop(self._later)[2])
        dt = 0.0 if self._last is None else max(0.0, now - self._last)
        self._last, self._dt = now, dt
        if self._glides:
            self._step_glides(dt)

    def apply_late(self) -> None:
        """A second look at the bus after the decode, before the compositor runs: a look control
        that arrived meanwhile still makes this frame; anything else waits for the next one."""
        incoming = self.bus.drain(self._incoming)
        if not incoming:
            return
        wall = time.perf_counter()
        for control in incoming:
            if control.due > wall:
                self._order += 1
                heapq.heappush(self._later, (control.due, self._order, control))
            elif control.name in LATE:
                self._apply(control, late=True)
            else:
                self._held.append(control)
        incoming.clear()

    def frame_shown(self, shown_at: float) -> None:
        """The frame that used this frame's controls is on its way to the screen."""
        if not self._applied_at:
            return
        for arrived, look in self._applied_at:
            slot = self.latency_count % LATENCY_SAMPLES
            self.latencies[slot] = shown_at - arrived
            self.latency_look[slot] = look
            self.latency_count += 1
        self._applied_at.clear()

    def publish_all(self) -> None:
        """Every parameter's current value into the bus (for MIDI pick-up, OSC sync and feedback)."""
        for name, param in _params.REGISTRY.items():
            if not param.kind.plain:
                continue
            try:
                value = ACTIONS[name].read(self.show)
            except (AttributeError, LivedanceError):
                continue
            if value is not None:
                self.bus.publish(name, value)

    def recent_latencies(self) -> tuple[np.ndarray, np.ndarray]:
        """(seconds from arrival to frame, whether each was a look control), oldest first."""
        count = min(self.latency_count, LATENCY_SAMPLES)
        order = np.roll(np.arange(LATENCY_SAMPLES), -(self.latency_count % LATENCY_SAMPLES))[-count:]
        if count < LATENCY_SAMPLES:
            order = np.arange(count)
        return self.latencies[order], self.latency_look[order]

    # --- one control -------------------------------------------------------------------------
    def _apply(self, control, late: bool = False) -> None:
        show = self.show
        param = _params.REGISTRY.get(control.name)
        if param is None:
            return
        action = ACTIONS[control.name]
        show.performance.control_time = control.received
        try:
            value = control.value
            if control.op == "toggle":
                value = param.kind.toggled(param, action.read(show))
            started = False
            before = self._snapshot() if param.kind.fires else None
            if param.continuous and param.smoothing > 0 and value is not None:
                started = self._glide_to(param, control.index, value)
            else:
                action.write(show, value, control.index)
            self.bus.publish(param.name, value, control.index)
            if before is not None:  # a preset, a tap, a reseed... move other parameters too
                self.republish(before)
            if control.source not in QUIET_SOURCES:
                label = param.name if control.index is None else f"{param.name}/{control.index}"
                text = _params.format_value(param, value).replace(param.name, label, 1)
                show.performance.last_control = text if control.source == "key" else f"{text} ({control.source})"
                show.performance.last_param = label
            if show.performance.log is not None:
                self._log(control, value, late)
            if late and started:  # its glide's first step is this frame's, like the others'
                self._step_glides(self._dt, only=param.name if control.index is None else (param.name, control.index))
        except LivedanceError as exc:  # most refusals name their parameter already
            text = str(exc)
            show.performance.last_control = text if text.startswith(param.name) else f"{param.name}: {text}"
        except Exception as exc:  # nothing a control does may stop the frames
            log.warning("%s", one_line(exc), exc_info=True)
            show.performance.last_control = f"{param.name}: {type(exc).__name__}: {exc}"[:200]
        self.applied += 1
        if control.source != "key":
            self._applied_at.append((max(control.received, control.due), control.name in LATE))

    def _log(self, control, value, late: bool) -> None:
        """What was applied, so a replay applies the same at the same frame."""
        show = self.show
        session = show.performance.log
        if session is None:
            return
        name = control.name
        if name == "reseed":  # random: log the seed it picked
            name, value = "seed", show.performance.choreographer.seed
        event = {
            "type": "control",
            "frame": show.performance.frames,
            "name": name,
            "value": jsonable(value),
            "source": control.source,
            "received": control.received,
        }
        if control.index is not None:
            event["index"] = control.index
        if late:
            event["late"] = True
        session.add(event)

    # --- carrying on elsewhere (a replay from a session log's snapshot) --------------------------
    def snapshot(self) -> dict:
        """The glides under way and the time of the last frame (their next step's dt), as copies."""
        glides = [
            [glide.param.name, glide.index, _copy(glide.current), _copy(glide.target)]
            for glide in self._glides.values()
        ]
        return {"last": self._last, "glides": glides}

    def restore(self, state: dict) -> None:
        self._last = state["last"]
        self._glides = {}
        for name, index, current, target in state["glides"]:
            key = name if index is None else (name, index)
            self._glides[key] = _Glide(_params.REGISTRY[name], index, _copy(current), _copy(target))

    # --- glides --------------------------------------------------------------------------------
    def _glide_to(self, param, index, target) -> bool:
        """Glide towards `target`; True when this started a new glide (not yet stepped this frame)."""
        show = self.show
        key = param.name if index is None else (param.name, index)
        glide = self._glides.get(key)
        if glide is None:
            current = ACTIONS[param.name].read(show)
            if param.kind.indexed:
                if index is not None and index >= len(current):
                    raise LivedanceError(
                        f"{param.name}/{index}: this model has {len(current)} latent dimensions, numbered from 0"
                    )
                current = np.array(current, np.float32) if index is None else float(current[index])
                if index is None:  # a whole vector replaces any per-dimension glide
                    for other in [k for k in self._glides if isinstance(k, tuple) and k[0] == param.name]:
                        del self._glides[other]
            if current is None:
                ACTIONS[param.name].write(show, target, index)
                return False
            glide = self._glides[key] = _Glide(param, index, current, target)
            started = True
        else:
            started = False
        if param.kind.indexed and index is None:
            target = np.asarray(target, np.float32)
            if np.shape(target) != np.shape(glide.current):
                del self._glides[key]
                ACTIONS[param.name].write(show, target, None)  # the instrument names the length it wants
                return False
        glide.target = target
        return started

    def _snapshot(self) -> dict:
        """Every plain parameter's value now (a trigger compares before and after)."""
        show, now = self.show, {}
        for name, param in _params.REGISTRY.items():
            if param.kind.plain:
                try:
                    now[name] = ACTIONS[name].read(show)
                except (AttributeError, LivedanceError):
                    pass
        return now

    def republish(self, before: dict | None = None) -> None:
        """After a trigger (or a model swap): publish every value it changed and stop any glide
        it overrode, so MIDI pick-up and tablets see the new state. Without `before`, every
        value that differs from what was last published."""
        after = self._snapshot()
        for name, value in after.items():
            was = self.bus.values.get(name) if before is None else before.get(name)
            if value is not None and not _same(was, value):
                self._glides.pop(name, None)
                self.bus.publish(name, value)

    def _step_glides(self, dt: float, only=None) -> None:
        show = self.show
        settled = self._settled
        for key, glide in self._glides.items():
            if only is not None and key != only:
                continue
            param = glide.param
            follow = 1.0 - math.exp(-dt / param.smoothing) if dt else 0.0
            if isinstance(glide.current, np.ndarray):
                glide.current += (glide.target - glide.current) * np.float32(follow)
                done = float(np.abs(glide.target - glide.current).max()) <= SETTLED * (param.high - param.low)
                if done:
                    glide.current[...] = glide.target
            else:
                glide.current += (glide.target - glide.current) * follow
                done = abs(glide.target - glide.current) <= SETTLED * (param.high - param.low)
                if done:
                    glide.current = glide.target
            try:
                ACTIONS[param.name].write(show, glide.current, glide.index)
            except Exception as exc:  # nothing a control does may stop the frames
                log.warning("%s", one_line(exc), exc_info=True)
                show.performance.last_control = f"{param.name}: {exc}"[:200]
                done = True
            if done:
                settled.append(key)
        for key in settled:
            del self._glides[key]
        settled.clear()


def _copy(value):
    """A glide's value the snapshot may keep: a vector copied, a number as it is."""
    return np.array(value, np.float32) if isinstance(value, np.ndarray) else value


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 1e-9
        except (TypeError, ValueError):
            return False
    return a == b
