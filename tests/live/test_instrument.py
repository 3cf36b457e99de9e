"""The instrument (the live loop), driven for real: SDL's dummy video driver, real pygame surfaces and events,
the shipped ONNX bundle. Frame-by-frame checks use a virtual clock, so they are repeatable
and assert nothing about timing."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import dataclasses  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402
from virtual_clock import VirtualClock

from livedance.live import keys  # noqa: E402
from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402
from livedance.recording import sessionlog  # noqa: E402
from livedance.runtime import memory  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "models" / "default")
README = ROOT / "README.md"


def make(seed=0, size=(320, 240), dancers=1):
    instrument = build(LiveSettings(model=MODEL, dancers=dancers, seed=seed, fps=0.0), headless=True, size=size)
    instrument.clock = VirtualClock()
    return instrument


def canvas(instrument):
    return instrument.compositor.canvas.copy()


def press(instrument, key, mod=0):
    """A real KEYDOWN through pygame's queue, handled by one frame of the loop."""
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode="", scancode=0))
    instrument.run(frames=1)


@pytest.fixture
def instrument():
    inst = make()
    inst.run(frames=2)
    yield inst
    inst.close()


# --- the loop ----------------------------------------------------------------------------
def test_frames_change_over_time(instrument):
    shots = []
    for _ in range(4):
        instrument.run(frames=15)  # a quarter of a virtual second each
        shots.append(canvas(instrument))
    assert all(np.abs(a.astype(int) - b).mean() > 0.1 for a, b in zip(shots, shots[1:]))
    assert instrument.performance.frames == 62 and instrument.stats.dropped == 0  # uncapped: nothing is ever late


def test_same_seed_same_frames_and_reseed_changes_the_dancer():
    shots = []
    for reseed in (False, False, True):
        inst = make(seed=3)
        inst.run(frames=30)
        if reseed:
            press(inst, pygame.K_SPACE)
            assert inst.performance.choreographer.seed != 3 and inst.performance.last_control.startswith("reseed")
        else:
            inst.run(frames=1)
        inst.run(frames=60)  # past the crossfade
        shots.append(canvas(inst))
        inst.close()
    np.testing.assert_array_equal(shots[0], shots[1])
    assert np.abs(shots[0].astype(int) - shots[2]).mean() > 0.5


def test_freeze_holds_the_dancer(instrument):
    press(instrument, pygame.K_f)
    held = canvas(instrument)
    instrument.run(frames=30)
    np.testing.assert_array_equal(canvas(instrument), held)
    press(instrument, pygame.K_f)
    instrument.run(frames=30)
    assert np.abs(canvas(instrument).astype(int) - held).mean() > 0.1


def test_look_keys_change_the_pixels(instrument):
    press(instrument, pygame.K_f)  # hold the pose so only the look changes
    plain = canvas(instrument)
    assert plain.mean() > 128  # a dark figure on white
    press(instrument, pygame.K_i)
    assert canvas(instrument).mean() < 128  # a light figure on black
    press(instrument, pygame.K_i)
    np.testing.assert_array_equal(canvas(instrument), plain)
    press(instrument, pygame.K_b)
    instrument.run(frames=60)  # blackout is a quick fade
    assert canvas(instrument).max() == 0
    press(instrument, pygame.K_b)
    instrument.run(frames=60)
    press(instrument, pygame.K_m)
    assert not np.array_equal(canvas(instrument), plain)


def _expect(binding, inst):
    """Press each of the binding's keys; check it did what it should have."""
    c = inst.performance.choreographer
    name = binding.param or binding.action.__name__
    for key, mod in binding.keys:
        c = inst.performance.choreographer
        before = dict(
            seed=c.seed,
            frozen=c.frozen,
            speed=c.speed,
            look=dataclasses.replace(inst.performance.look),
            phase=c.phase,
            window=c.rollout.window_norm.copy(),
            hud=inst.hud.visible,
            full=inst.window.fullscreen,
            looping=c.looping,
            learning=inst.bus.learning,
            recording=inst.takes.recording,
        )
        inst.running = True
        if name == "reset":
            c.freeze(True)  # no steps: the window changes only when the new dancer comes in
        press(inst, key, mod)
        if name in ("trails", "blackout"):
            inst.run(frames=40)  # let the glide arrive
        if name == "reset":
            inst.run(seconds=0.3)  # it warms up on its own thread, and comes in 0.1 s of show time later
            c.freeze(False)
        label = f"{binding.label} ({pygame.key.name(key)})"
        if name == "reseed":
            assert c.seed != before["seed"], label
        elif name == "freeze":
            assert c.frozen != before["frozen"], label
        elif name in ("faster", "tempo_double"):
            assert c.speed > before["speed"], label
        elif name in ("slower", "tempo_half"):
            assert c.speed < before["speed"], label
        elif name in ("perturb", "reset"):
            assert not np.array_equal(c.rollout.window_norm, before["window"]), label
        elif name in ("invert", "mirror", "trails", "blackout"):
            assert getattr(inst.performance.look, name) != getattr(before["look"], name), label
        elif name == "fullscreen":
            assert inst.window.fullscreen != before["full"], label
        elif name == "hud":
            assert inst.hud.visible != before["hud"], label
        elif name == "quit_":
            assert not inst.running, label
        elif name == "loop":
            assert (c.looping is None) != (before["looping"] is None), label
        elif name == "learn_last":
            assert inst.bus.learning != before["learning"], label
        elif name == "record":
            assert "record" in inst.performance.last_control, label  # uncapped: refused with a reason
        elif name in ("mode", "auto", "camera_learn"):
            if binding.value == "generate":
                assert inst.director.mode == "generate", label
            else:
                assert "camera" in inst.performance.last_control, label  # no camera here: said, and the show goes on
        elif name == "next_tempo_source":  # only manual runs here (tests/sync cycles through more)
            assert inst.performance.last_control == "tempo_source manual", label
        elif name in ("tap", "downbeat"):
            assert inst.performance.last_control.startswith(name), label
        elif name == "preset":
            preset = keys.PRESETS[binding.value]
            assert c.seed == preset.seed and c.speed == pytest.approx(preset.speed), label
            for field, value in preset.look.items():
                assert getattr(inst.performance.look, field) == pytest.approx(value), label
        else:
            raise AssertionError(f"no check for the action of {binding.label}: {name}")
        assert inst.performance.last_control != "-"
        if name == "freeze" and c.frozen:
            c.freeze(False)
        if name == "loop" and c.looping is not None:
            c.release_loop()


def test_every_key_in_the_table_does_its_action(instrument):
    for binding in keys.BINDINGS:
        _expect(binding, instrument)
    # Plain Enter is not Alt+Enter.
    full = instrument.window.fullscreen
    press(instrument, pygame.K_RETURN)
    assert instrument.window.fullscreen == full


def test_tempo_keys_move_the_bpm_when_locked(instrument):
    instrument.performance.choreographer.set_tempo(120, 6)
    press(instrument, pygame.K_UP)
    assert instrument.performance.choreographer.tempo[0] == 124
    press(instrument, pygame.K_MINUS)
    press(instrument, pygame.K_MINUS)
    assert instrument.performance.choreographer.tempo[0] == 116


def test_the_hud_shows_the_show_s_state(instrument):
    press(instrument, pygame.K_h)
    assert instrument.hud.visible  # off by default headless
    instrument.run(frames=5)
    lines = instrument.hud_lines()
    assert any(instrument.performance.engine.provider_line in line for line in lines) and any(
        "seed" in line for line in lines
    )


def test_the_instrument_keeps_to_a_few_parts():
    """Pacing, the pipeline and the window's parts: the rest lives in the performance and its own classes."""
    instrument = make()
    try:
        assert len(vars(instrument)) <= 15, sorted(vars(instrument))
    finally:
        instrument.close()


# --- the control log over a long show ---------------------------------------------------------
def test_a_long_show_keeps_its_control_log_bounded():
    """Four simulated minutes with a control every frame: what the log holds stops growing."""
    fps = 5
    inst = build(LiveSettings(model=MODEL, fps=float(fps)), headless=True, size=(160, 120))
    inst.clock = VirtualClock(tick=0.5 / fps)  # two readings a frame: a slot a frame, never a wait
    log = inst.performance.log
    controls = [
        ("speed", 1.5),
        ("latent", 1.0, 3),
        ("fg", "red"),
        ("bpm", 110.0),
        ("mode", "generate"),
        ("loop", True),
        ("loop", False),
        ("perturb", 0.5),
    ]
    held = []
    try:
        for minute in range(4):
            for frame in range(60 * fps):
                name, value, *index = controls[frame % len(controls)]
                assert inst.bus.offer(name, value, "osc", index=index[0] if index else None)
                inst.run(frames=1)  # and a run event each: two events a frame
            held.append((len(log.events), sum(len(sessionlog.line(event)) for event in log.events)))
    finally:
        inst.close()
    window = 2 * sessionlog.SNAPSHOT_SECONDS + sessionlog.WARM_SECONDS  # the most ever held, in seconds
    assert all(count <= window * fps * 2.2 + 5 for count, _ in held), held
    assert max(size for _, size in held) <= 1.05 * held[0][1] and held[0][1] < 1_000_000, held
    assert sum(1 for e in log.events if e["type"] == "snapshot") <= 2 and log.events[1]["type"] == "snapshot"
    controls_held = [e for e in log.events if e["type"] == "control"]
    assert controls_held[-1]["frame"] == inst.performance.frames - 1  # the newest are all there


def test_a_running_show_gives_freed_memory_back_every_trim_seconds():
    """Takes, camera clips and previews free in turn, and glibc keeps what they freed until asked."""
    instrument = make()
    instrument.clock = VirtualClock(tick=0.5)  # a few readings a frame: seconds of show per frame
    try:
        before = memory.trims
        instrument.run(frames=120)  # minutes of show
        assert memory.trims - before >= 2
    finally:
        instrument.close()
