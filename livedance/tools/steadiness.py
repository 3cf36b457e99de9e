"""Whether a long show's frame time got worse, judged against the show's own spread.

A window's p99 moves by several percent between windows of the same show (where a take's
encoder or a model switch happens to land), so a ratio of two windows alone cannot say "worse".
The soak's performer repeats its schedule every 10 minutes, so the k-th tenth of the first window
and the k-th tenth of the last play the same script: resampling those tenths in pairs (a paired
block bootstrap) gives the ratio's spread without pairing a take's minute with a quiet one. The
last window is worse when that interval lies wholly above 1. A line fitted through every
block's p99 (each block's place in the script keeping its own level) says whether the frame time
crept over the whole run, which two windows alone can miss.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

BLOCKS = 10  # blocks per window: the minutes of a 10-minute window
RESAMPLES = 2000
LEVEL = 0.95
LEAST_PAIRS = 5  # fewer paired blocks than this and the spread cannot be told


@dataclass
class Steadiness:
    ratio: float  # the last window's p99 over the first's
    interval: tuple[float, float] | None  # the ratio's LEVEL interval; None when too short to tell
    trend: float  # the fitted change of the blocks' p99 from the run's start to its end, over their mean
    trend_interval: tuple[float, float] | None
    block_p99_ms: list[float] = field(default_factory=list)  # every block's p99, in order

    @property
    def worse(self) -> bool | None:
        """The last window's tail is slower than the first's beyond the spread (None: can't tell)."""
        return None if self.interval is None else bool(self.interval[0] > 1.0)

    def describe(self) -> str:
        if self.interval is None:
            return f"last window's p99 / first's {self.ratio:.2f} (too few blocks to tell its spread)"
        low, high = self.interval
        verdict = "worse" if self.worse else "no worse"
        line = f"last window's p99 / first's {self.ratio:.2f} ({LEVEL:.0%} interval {low:.2f}-{high:.2f}: {verdict})"
        if self.trend_interval is not None:
            a, b = self.trend_interval
            line += f"; p99 trend over the run {self.trend:+.1%} ({a:+.1%} to {b:+.1%})"
        return line


def blocks(ended: np.ndarray, work: np.ndarray, start: float, block_s: float, count: int) -> list[np.ndarray]:
    """Each block's frame work, in ms, by the frame's end time: `count` blocks of `block_s` from `start`."""
    index = np.floor((ended - start) / block_s).astype(np.int64)
    order = np.argsort(index, kind="stable")
    index, ms = index[order], work[order].astype(np.float64) * 1000.0
    cuts = np.searchsorted(index, np.arange(count + 1))
    return [ms[cuts[k] : cuts[k + 1]] for k in range(count)]


def steadiness(
    ended: np.ndarray,
    work: np.ndarray,
    start: float,
    window_s: float,
    total_s: float,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> Steadiness:
    """The first and last whole windows' p99 compared, and the trend of every block's p99."""
    block_s = window_s / BLOCKS
    count = int(round(total_s / block_s))
    parts = blocks(ended, work, start, block_s, count)
    p99 = [float(np.percentile(b, 99)) if len(b) else float("nan") for b in parts]
    windows = count // BLOCKS
    if windows >= 2:
        first, last = parts[:BLOCKS], parts[(windows - 1) * BLOCKS : windows * BLOCKS]
    else:  # a run shorter than two windows: its halves
        half = count // 2
        first, last = parts[:half], parts[count - half :]
    ratio = _ratio(first, last)
    interval = _paired_interval(first, last, seed, resamples) if min(len(first), len(last)) >= LEAST_PAIRS else None
    trend, trend_interval = _trend(np.asarray(p99), block_s)
    return Steadiness(ratio, interval, trend, trend_interval, p99)


def _p99(parts: list[np.ndarray]) -> float:
    pooled = np.concatenate(parts) if parts else np.zeros(0)
    return float(np.percentile(pooled, 99)) if len(pooled) else float("nan")


def _ratio(first: list[np.ndarray], last: list[np.ndarray]) -> float:
    before = _p99(first)
    return _p99(last) / before if before > 0 else float("nan")


def _paired_interval(first: list[np.ndarray], last: list[np.ndarray], seed: int, resamples: int) -> tuple[float, float]:
    """The ratio's interval when the k-th block of each window is drawn together."""
    pairs = min(len(first), len(last))
    rng = np.random.default_rng(seed)
    ratios = np.empty(resamples)
    for r in range(resamples):
        pick = rng.integers(0, pairs, pairs)
        ratios[r] = _ratio([first[k] for k in pick], [last[k] for k in pick])
    tail = (1.0 - LEVEL) / 2.0
    low, high = np.nanquantile(ratios, [tail, 1.0 - tail])
    return float(low), float(high)


def _trend(p99: np.ndarray, block_s: float) -> tuple[float, tuple[float, float] | None]:
    """A line through the blocks' p99, each block's place in the 10-block script given its own
    level: the line's change over the run relative to the mean, and its interval."""
    place = np.arange(len(p99)) % BLOCKS
    t = (np.arange(len(p99)) + 0.5) * block_s
    keep = np.isfinite(p99)
    place, t, y = place[keep], t[keep], p99[keep]
    levels = np.unique(place)
    if len(y) < len(levels) + 3 or np.mean(y) <= 0:
        return 0.0, None
    design = np.column_stack([(place == k).astype(np.float64) for k in levels] + [t])
    coef, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    if rank < design.shape[1]:
        return 0.0, None
    residual = y - design @ coef
    variance = float(residual @ residual) / (len(y) - design.shape[1])
    slope_se = float(np.sqrt(variance * np.linalg.inv(design.T @ design)[-1, -1]))
    scale = (t[-1] - t[0]) / float(np.mean(y))
    trend, spread = float(coef[-1]) * scale, 1.96 * slope_se * scale
    return trend, (trend - spread, trend + spread)
