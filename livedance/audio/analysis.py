"""Per-hop analysis of the incoming sound: loudness, three band levels and two onset functions.

Blocks of any size are cut into hops (`window` / 4 samples, about 6 ms) and each hop looks at
the last `window` samples (about 23 ms) through a Hann window. What comes out, per hop:

- loudness: the RMS level in dBFS (a full-scale sine is 0 dB), and 0..1 over -60 .. 0 dBFS.
  Absolute, so a fader on the mixer moves it.
- bass / mid / high: each band's level 0..1 over the `BAND_RANGE_DB` below its own recent
  peak (which falls slowly): auto-gain, so a quiet loopback and a hot DJ mixer both move
  them over their whole range. Silence (below `SILENCE_DB`) is 0 whatever the gain.
- low_flux: spectral flux of the log-magnitude in the kick's band. The beat tracker reads
  this and only this: an off-beat hi-hat has next to nothing there, so it cannot pull the
  phase half a beat (what the full-band onset functions of aubio's default methods did).
- onset: the full-band flux against its own recent mean; an onset fires on the hop it first
  rises past `ONSET_RATIO` x that mean (not at its peak a few hops later: lower latency),
  with a strength 0..1 against the recent strongest.

Buffers are made once; the work per hop is a few small numpy calls (`livedance bench --audio`
measures it per block).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

SILENCE_DB = -70.0  # quieter than this is silence: no bands, no onsets, no beat
LOUDNESS_FLOOR_DB = -60.0  # loudness 0 .. 1 spans this .. 0 dBFS
BAND_RANGE_DB = 24.0  # a band's 0 .. 1 spans this far below its recent peak
PEAK_FALL_DB_PER_S = 3.0  # how fast a band's remembered peak falls
PEAK_FLOOR_DB = -50.0  # the auto-gain never turns a band up past this
ONSET_RATIO = 1.5  # an onset: full-band flux this many times its recent mean ...
ONSET_MIN_GAP_S = 0.06  # ... at least this long after the last, and having fallen back since
ONSET_MEAN_S = 0.25  # the recent mean's time constant
ONSET_PEAK_S = 3.0  # how long the strongest recent onset sets the scale of strength
LOG_GAIN = 100.0  # log(1 + gain x magnitude): compresses the spectrum so soft hits count


@dataclass(frozen=True)
class AnalysisConfig:
    """Bands in Hz (the kick's band is where the beat tracker listens) and the window's length."""

    window_seconds: float = 0.023
    kick: tuple[float, float] = (30.0, 150.0)
    bass: tuple[float, float] = (30.0, 150.0)
    mid: tuple[float, float] = (150.0, 2000.0)
    high: tuple[float, float] = (2000.0, 16000.0)


class Features:
    """One hop's measurements (reused: the analyser overwrites it every hop)."""

    __slots__ = ("time", "loudness_db", "loudness", "bass", "mid", "high", "low_flux", "onset", "sounding")

    def __init__(self):
        self.time = 0.0  # when the hop's newest sample was heard (the caller's clock)
        self.loudness_db = -math.inf
        self.loudness = self.bass = self.mid = self.high = 0.0
        self.low_flux = 0.0
        self.onset = 0.0  # an onset's strength on the hop it fires, else 0
        self.sounding = False  # above SILENCE_DB


class Analyser:
    """Blocks in (`hops`), one `Features` per hop out; see the module docstring."""

    def __init__(self, samplerate: int, config: AnalysisConfig | None = None):
        if not samplerate > 0:
            raise ValueError(f"samplerate {samplerate}: expected a positive number of samples per second")
        config = config or AnalysisConfig()
        self.samplerate = int(samplerate)
        self.window = 2 ** max(6, round(math.log2(config.window_seconds * samplerate)))
        self.hop = self.window // 4
        self.hop_seconds = self.hop / self.samplerate
        self.features = Features()
        self._samples = np.zeros(self.window, np.float32)
        self._filled = 0  # new samples since the last hop
        self._hann = np.hanning(self.window).astype(np.float32)
        freqs = np.fft.rfftfreq(self.window, 1.0 / self.samplerate)

        def bins(band: tuple[float, float]) -> slice:
            low, high = np.searchsorted(freqs, band)
            return slice(int(max(low, 1)), int(max(high, low + 1, 2)))

        self._kick, self._bands = bins(config.kick), [bins(config.bass), bins(config.mid), bins(config.high)]
        # A full-scale sine's power through the Hann window, summed over its main lobe: 0 dB.
        self._reference = 1.5 * (self.window / 4.0) ** 2
        self._log = np.zeros(len(freqs), np.float32)
        self._last_log = np.zeros(len(freqs), np.float32)
        self._rise = np.zeros(len(freqs), np.float32)
        self._peaks = [PEAK_FLOOR_DB] * 3
        self._fall = PEAK_FALL_DB_PER_S * self.hop_seconds
        self._mean_follow = 1.0 - math.exp(-self.hop_seconds / ONSET_MEAN_S)
        self._peak_keep = math.exp(-self.hop_seconds / ONSET_PEAK_S)
        self._flux_mean = 0.0
        self._onset_peak = 0.0
        self._since_onset = math.inf
        self._armed = True  # the flux fell back under the threshold since the last onset

    def hops(self, block: np.ndarray, end_time: float) -> Iterator[float]:
        """Take a mono block whose last sample was heard at `end_time`; yield the time of each
        hop it completes, with `features` filled in for that hop."""
        block = np.asarray(block, np.float32).reshape(-1)
        n, start = len(block), 0
        while start < n:
            take = min(self.hop - self._filled, n - start)
            samples = self._samples
            samples[:-take] = samples[take:]
            samples[-take:] = block[start : start + take]
            start += take
            self._filled += take
            if self._filled == self.hop:
                self._filled = 0
                time = end_time - (n - start) / self.samplerate
                self._analyse(time)
                yield time

    def _analyse(self, time: float) -> None:
        f, samples = self.features, self._samples
        f.time = time
        rms = float(np.sqrt(np.mean(samples * samples)))
        f.loudness_db = 20.0 * math.log10(rms * math.sqrt(2.0)) if rms > 1e-9 else -math.inf
        f.sounding = f.loudness_db > SILENCE_DB
        f.loudness = min(max((f.loudness_db - LOUDNESS_FLOOR_DB) / -LOUDNESS_FLOOR_DB, 0.0), 1.0)
        magnitude = np.abs(np.fft.rfft(samples * self._hann))
        power = magnitude * magnitude
        levels = []
        for i, band in enumerate(self._bands):
            energy = float(power[band].sum())
            db = 10.0 * math.log10(energy / self._reference) if energy > 0 else -math.inf
            self._peaks[i] = max(db, self._peaks[i] - self._fall, PEAK_FLOOR_DB)
            level = 1.0 + (db - self._peaks[i]) / BAND_RANGE_DB if f.sounding else 0.0
            levels.append(min(max(level, 0.0), 1.0))
        f.bass, f.mid, f.high = levels
        self._last_log, self._log = self._log, self._last_log
        np.log1p(magnitude * LOG_GAIN, out=self._log)
        np.subtract(self._log, self._last_log, out=self._rise)
        np.maximum(self._rise, 0.0, out=self._rise)
        f.low_flux = float(self._rise[self._kick].mean()) if f.sounding else 0.0
        self._onset(f, float(self._rise.mean()) if f.sounding else 0.0)

    def _onset(self, f: Features, flux: float) -> None:
        """Fire on the hop the full-band flux first rises well past its recent mean."""
        self._since_onset += self.hop_seconds
        threshold = ONSET_RATIO * self._flux_mean + 1e-3
        f.onset = 0.0
        if flux <= threshold:
            self._armed = True
        elif self._armed and self._since_onset >= ONSET_MIN_GAP_S:
            self._onset_peak = max(self._onset_peak, flux)
            f.onset = min(flux / self._onset_peak, 1.0)
            self._since_onset, self._armed = 0.0, False
        self._onset_peak *= self._peak_keep
        self._flux_mean += (flux - self._flux_mean) * self._mean_follow
