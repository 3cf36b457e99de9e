"""The audio input in a running show, end to end: a real headless instrument at 30 fps on the
real clock, an audio file written by soundfile and played at real time on the audio thread,
the shipped bundle dancing. Each test plays a few seconds of music."""

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from music import beat_error, clicks, kick_and_hat, silence, write  # noqa: E402
from waiting import wait_until  # noqa: E402

from livedance.audio.input import AudioInput  # noqa: E402
from livedance.cli import main  # noqa: E402
from livedance.control.controls import ControlBus  # noqa: E402
from livedance.errors import LivedanceError  # noqa: E402
from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "models" / "default")
FPS = 30.0


def make(audio, **settings):
    options = dict(model=MODEL, fps=FPS, hud=True, audio=str(audio), audio_patch="audio")
    options.update(settings)
    return build(LiveSettings(**options), headless=True, size=(160, 120))


def audio_of(inst) -> AudioInput:
    return next(source for source in inst.inputs if isinstance(source, AudioInput))


def play_until(inst, seconds_of_music: float) -> None:
    """Play in real time until the file has played `seconds_of_music` (the show never waits for it)."""
    audio = audio_of(inst)
    wait_until(lambda: audio.opened or audio.error, timeout=5.0)
    while audio.state is None or audio.state.time - audio.source.origin < seconds_of_music:
        inst.run(frames=3)


def clock_beat_errors(inst, bpm: float, frames: int = 12) -> list[float]:
    """Seconds from the step clock's beats to the track's, over a few frames."""
    c, origin, errors = inst.performance.choreographer, audio_of(inst).source.origin, []
    for _ in range(frames):
        inst.run(frames=1)
        beat_at = inst.stats.last_drawn - c.beat_phase * 60.0 / c.tempo[0]
        errors.append(beat_error(beat_at - origin, bpm))
    return errors


def test_a_click_track_locks_the_step_clock_to_its_tempo_and_beat(tmp_path):
    inst = make(write(tmp_path / "clicks.wav", clicks(128.0, 8.0)))
    try:
        play_until(inst, 4.0)
        tempo = inst.performance.choreographer.tempo
        assert tempo is not None and abs(tempo[0] / 128.0 - 1) < 0.01
        errors = clock_beat_errors(inst, 128.0)
        assert max(abs(e) for e in errors) < 0.03, errors
        counts = inst.bus.counts["audio"]
        assert counts.received > 0 and counts.refused == 0
        assert inst.performance.last_control == "-"  # the music moves things quietly: the HUD shows a performer's touch
    finally:
        inst.close()


def test_a_kick_with_an_off_beat_hi_hat_locks_on_the_kick(tmp_path):
    inst = make(write(tmp_path / "kick_hat.wav", kick_and_hat(128.0, 8.0), stereo=True))
    try:
        play_until(inst, 4.5)
        tempo = inst.performance.choreographer.tempo
        assert tempo is not None and abs(tempo[0] / 128.0 - 1) < 0.01
        errors = clock_beat_errors(inst, 128.0)
        assert max(abs(e) for e in errors) < 0.03, errors  # half a beat off would be 0.234 s
    finally:
        inst.close()


def test_silence_leaves_the_dancer_on_its_own_clock(tmp_path):
    inst = make(write(tmp_path / "silence.wav", silence(4.0)))
    try:
        c = inst.performance.choreographer
        play_until(inst, 3.0)
        assert c.tempo is None and c.beat_phase is None and c.accenting == 0.0
        assert "audio" not in inst.bus.counts  # no tempo, no triggers, no levels
        assert audio_of(inst).state.bpm is None
    finally:
        inst.close()


def test_the_hud_shows_the_level_and_the_tempo(tmp_path):
    inst = make(write(tmp_path / "clicks.wav", clicks(128.0, 8.0)))
    try:
        play_until(inst, 3.5)
        wait_until(lambda: "BPM" in inst.bus.status.get("audio", ""), timeout=2.0)
        inst.run(frames=10)  # the HUD's text is refreshed four times a second
        line = next(line for line in inst.hud_lines() if line.startswith("audio clicks.wav:"))
        assert " dB [" in line and "BPM locked" in line
    finally:
        inst.close()


def test_the_audio_thread_dying_keeps_the_show_playing(tmp_path):
    inst = make(write(tmp_path / "clicks.wav", clicks(128.0, 8.0)))
    try:
        audio = audio_of(inst)
        play_until(inst, 3.0)

        def broken(block, heard):  # a bug in the analysis, injected: the thread's body raises
            raise RuntimeError("analysis broke")

        audio.process = broken
        wait_until(lambda: audio.died)
        assert audio.died == "analysis broke" and not audio.alive
        frames = inst.performance.frames
        inst.run(frames=15)
        assert inst.performance.frames == frames + 15  # the show plays on ...
        assert inst.performance.choreographer.tempo is not None  # ... at the last tempo
        assert "audio clicks.wav: stopped (analysis broke); playing on without it" in inst.bus.status.values()
    finally:
        inst.close()


def test_a_missing_file_is_said_in_one_line_and_retried(tmp_path, capsys):
    path = tmp_path / "later.wav"
    inst = make(path)
    try:
        audio = audio_of(inst)
        message = capsys.readouterr().err.strip()
        assert message == (
            f"livedance live: --audio {path}: won't open (no such file); expected an audio file "
            "(.wav, .flac, .ogg, .mp3); playing on and retrying it"
        )
        inst.run(frames=5)
        assert "audio later.wav: won't open (no such file); retrying in" in inst.bus.status["audio"]
        write(path, clicks(128.0, 3.0))  # it turns up: the retry opens it
        wait_until(lambda: audio.opened, timeout=10.0)
        assert audio.error is None
    finally:
        inst.close()


def test_a_live_input_it_cannot_open_is_said_in_one_line(tmp_path, capsys, live_input_lacks):
    pytest.importorskip("soundfile")
    inst = make("default")
    try:
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"livedance live: --audio default: {live_input_lacks}")
        assert err.endswith("playing on without it") and "\n" not in err
        inst.run(frames=5)
        assert inst.bus.status["audio"].startswith("audio default: unavailable")
    finally:
        inst.close()


def test_an_empty_audio_value_refuses_the_start_in_one_line(capsys):
    with pytest.raises(LivedanceError, match=r"^--audio '': expected a device index or name"):
        AudioInput("", ControlBus())
    assert main(["live", "--headless", "--seconds", "1", "--no-osc", "--no-midi", "--audio", " "]) == 2
    assert capsys.readouterr().err.strip().startswith("livedance live: error: --audio ' ': expected")


def test_a_looping_file_plays_on_and_a_plain_one_ends(tmp_path):
    path = write(tmp_path / "short.wav", clicks(120.0, 0.5))
    bus = ControlBus()
    once = AudioInput(str(path), bus).start()
    looped = AudioInput(str(path), bus, loop=True).start()
    try:
        wait_until(lambda: once.ended, timeout=5.0)
        assert bus.status  # said on the status lines
        wait_until(lambda: looped.blocks * 512 > 2 * 0.5 * 44100, timeout=5.0)
        assert not looped.ended and looped.alive
    finally:
        once.close()
        looped.close()
    assert not once.alive and not looped.alive


def test_blocks_are_heard_at_real_time(tmp_path):
    """The file's clock: each block's time is its last sample's place in the file after the start."""
    path = write(tmp_path / "clicks.wav", clicks(120.0, 1.0))
    audio = AudioInput(str(path), ControlBus()).start()
    try:
        wait_until(lambda: audio.ended, timeout=5.0)
        assert abs(audio.state.time - audio.source.origin - 1.0) < 512 / 44100
        assert time.perf_counter() >= audio.state.time  # never handed over before it is heard
        assert len(audio.recent_costs()) == audio.blocks and np.all(audio.recent_costs() > 0)
    finally:
        audio.close()


def test_an_audio_input_unplugged_mid_show_is_said_and_comes_back(tmp_path, warned):
    """The file the input reads is cut off and removed mid-song (a sound card unplugged), then
    put back: the show draws throughout, the HUD and the log say it is lost and retried, the
    music's tempo is withdrawn meanwhile, and it is heard again once back."""
    path = write(tmp_path / "clicks.wav", clicks(128.0, 8.0))
    inst = make(path)
    try:
        audio = audio_of(inst)
        audio.retry.most = 0.1  # retry every tenth of a second, not 1, 2, 4 ... s
        rule = inst.performance.tempo_rule
        play_until(inst, 3.5)
        wait_until(lambda: rule.offered("audio") is not None, timeout=5.0)
        frames = inst.performance.frames
        os.truncate(path, 4096)  # the sound stops mid-stream ...
        path.unlink()  # ... and the device is gone
        while audio.lost == 0 or "won't reopen (no such file)" not in inst.bus.status["audio"]:
            inst.run(frames=3)
            assert inst.performance.frames - frames < 300, inst.bus.status["audio"]
        assert inst.bus.status["audio"].startswith("audio clicks.wav: lost; won't reopen (no such file); retrying in")
        assert audio.lost == 1 and "won't open (no such file)" in audio.error and "\n" not in audio.error
        assert rule.offered("audio") is None  # the music leads no tempo while it is not heard
        said = warned.about("clicks.wav")
        assert len(said) == 1 and said[0].startswith("audio clicks.wav: lost (read failed at "), said
        inst.run(frames=10)
        assert inst.performance.frames >= frames + 10  # the show drew all along
        write(tmp_path / "back.wav", clicks(128.0, 8.0))
        os.replace(tmp_path / "back.wav", path)  # plugged back in
        before = audio.blocks
        while not (audio.opened and audio.blocks > before + 20):
            inst.run(frames=3)
            assert inst.performance.frames - frames < 600, inst.bus.status["audio"]
        assert audio.error is None and audio.lost == 1
        inst.run(frames=10)  # the HUD's line is rewritten four times a second
        assert "retrying" not in inst.bus.status["audio"]
    finally:
        inst.close()
