"""Music for the audio tests, made with numpy and written with soundfile: clicks, a kick with an
off-beat hi-hat, a loudness ramp, noise and silence. Every hit starts at `offset` + k x beat."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

RATE = 44100
OFFSET = 0.1  # seconds before the first beat


def clicks(bpm: float, seconds: float, offset: float = OFFSET, accent_every: int = 0) -> np.ndarray:
    """A 1 kHz click on every beat (louder on every `accent_every`th, if set)."""
    out = np.zeros(int(RATE * seconds), np.float32)
    n = np.arange(400)
    click = (np.sin(2 * np.pi * 1000 * n / RATE) * np.exp(-n / 80)).astype(np.float32)
    for k, start in enumerate(_starts(bpm, seconds, offset)):
        gain = 0.8 if accent_every and k % accent_every == 0 else 0.4
        _add(out, start, click * gain)
    return out


def kick(length: float = 0.15) -> np.ndarray:
    t = np.arange(int(length * RATE)) / RATE
    return (np.sin(2 * np.pi * (50 + 80 * np.exp(-t * 30)) * t) * np.exp(-t * 20) * 0.8).astype(np.float32)


def hihat(level: float = 0.9, seed: int = 0) -> np.ndarray:
    """Noise above 6 kHz, decaying in 10 ms: louder than the kick in a full-band onset function."""
    n = int(0.05 * RATE)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    spectrum[np.fft.rfftfreq(n, 1 / RATE) < 6000] = 0
    hat = np.fft.irfft(spectrum, n)
    return (hat / np.abs(hat).max() * level * np.exp(-np.arange(n) / (0.01 * RATE))).astype(np.float32)


def kick_and_hat(bpm: float, seconds: float, offset: float = OFFSET, kick_accent_every: int = 0) -> np.ndarray:
    """A kick on every beat and a hi-hat halfway between (the kick louder every `kick_accent_every`th)."""
    out = np.zeros(int(RATE * seconds), np.float32)
    beat, hit, hat = 60.0 / bpm, kick(), hihat()
    for k, start in enumerate(_starts(bpm, seconds, offset)):
        _add(out, start, hit if not kick_accent_every or k % kick_accent_every == 0 else hit * 0.4)
        _add(out, start + int(beat / 2 * RATE), hat)
    return out


def ramp(seconds: float, low_db: float = -55.0, high_db: float = -3.0) -> np.ndarray:
    """A tone whose level rises steadily in dB (bin-centred, so a window's RMS has no ripple)."""
    t = np.arange(int(RATE * seconds)) / RATE
    db = low_db + (high_db - low_db) * t / seconds
    return (10 ** (db / 20) * np.sin(2 * np.pi * (24 * RATE / 1024) * t)).astype(np.float32)


def noise(seconds: float, level: float = 0.3, seed: int = 1) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(RATE * seconds)) * level).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), np.float32)


def write(path: Path, samples: np.ndarray, stereo: bool = False) -> Path:
    soundfile.write(path, np.stack([samples, samples], axis=1) if stereo else samples, RATE)
    return path


def beat_error(time: float, bpm: float, offset: float = OFFSET) -> float:
    """Seconds from `time` to the nearest beat of the track (negative: before it)."""
    beat = 60.0 / bpm
    return ((time - offset) / beat - round((time - offset) / beat)) * beat


def _starts(bpm: float, seconds: float, offset: float) -> list[int]:
    beat = 60.0 / bpm
    return [int((offset + k * beat) * RATE) for k in range(int((seconds - offset) / beat) + 1)]


def _add(out: np.ndarray, start: int, sound: np.ndarray) -> None:
    end = min(start + len(sound), len(out))
    if start < end:
        out[start:end] += sound[: end - start]
