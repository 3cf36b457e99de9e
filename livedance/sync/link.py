"""Ableton Link: join the session on the network, follow its tempo and beat, propose ours.

`livedance live --link` starts a `LinkSession`: a thread that reads the session's tempo and
beat every `POLL_SECONDS` and offers them to the tempo rule as the "link" source, so the
display loop never calls Link (it extrapolates the latest offer to each frame's time). Link's
clock is not perf_counter's (on Linux it is CLOCK_MONOTONIC_RAW), so each reading samples
both clocks around Link's and stamps the beat with perf_counter's time: no offset to track.
A tempo set by hand while Link leads is `propose`d: the thread commits it to the session, and
every peer, livedance included, then follows it. The peers count is the status line.

The quantum (beats to a bar, `--link-quantum`) is where Link lines the peers' phases up:
joining peers keep their beat within the bar where the others have it.

Licence: linkpython-extern (the `link` extra) wraps Ableton Link, both GPL-2.0-or-later, unlike
this project's MIT licence: it is imported only when a session starts, so livedance runs and
is distributed without it, and whoever installs livedance[link] takes its terms with it.
"""

from __future__ import annotations

import logging
import math
import queue
import time
from typing import Any

from livedance.errors import LivedanceError, one_line
from livedance.sync.tempo import TempoRule
from livedance.worker import Worker

log = logging.getLogger(__name__)

MISSING_EXTRA = "--link: needs the link extra: pip install 'livedance[link]'"
SOURCE = "link"
STATUS = "link"  # the status line's key
POLL_SECONDS = 0.01  # how often the thread reads the session (a reading costs a few microseconds)


class LinkSession(Worker):
    """A Link peer on its own thread, offering the session's tempo and beat to `rule`.

    `status` (the control bus's status lines) gets "Link: N peers"; `bpm` is the tempo the
    session starts at when no peer is there yet (joining one takes its tempo).
    """

    def __init__(self, rule: TempoRule, status: dict[str, str] | None = None, quantum: float = 4.0, bpm: float = 120.0):
        quantum = float(quantum)
        if not (math.isfinite(quantum) and quantum > 0):
            raise LivedanceError(f"--link-quantum {quantum:g}: expected a number of beats above 0, e.g. 4")
        super().__init__("livedance-link", join_timeout=1.0)
        self.rule = rule
        self.status = status if status is not None else {}
        self.quantum = quantum
        self.bpm = float(bpm)
        self.peers = 0
        self._link: Any = None  # link.Link while open
        self._proposals: queue.SimpleQueue[float] = queue.SimpleQueue()

    # --- the lifecycle -----------------------------------------------------------------------
    def _open(self) -> None:
        try:
            # linkpython-extern is the optional `link` extra (GPL): imported only here.
            import link  # noqa: PLC0415
        except ImportError as exc:
            raise LivedanceError(MISSING_EXTRA) from exc
        self._link = link.Link(self.bpm)
        self._link.enabled = True
        self.rule.attach(SOURCE, propose=self.propose)
        self._read()  # the first offer is there before start() returns
        self._show()

    def _run(self) -> None:
        try:
            while not self._stopping.wait(POLL_SECONDS):
                self._commit()
                self._read()
                peers = self._link.numPeers()
                if peers != self.peers:
                    self.peers = peers
                    self._show()
        except Exception as exc:  # Worker logs it and keeps the reason in `died`; the HUD says so
            self.status[STATUS] = f"Link: stopped ({one_line(exc)})"
            raise
        finally:
            self.rule.withdraw(SOURCE)

    def _close(self) -> None:
        if self._link is not None:
            self.rule.detach(SOURCE)
            self._link.enabled = False
            self._link = None
        self.status.pop(STATUS, None)

    # --- the session -------------------------------------------------------------------------
    def propose(self, bpm: float) -> None:
        """A tempo set by hand (any thread): the thread commits it to the session."""
        self._proposals.put(float(bpm))

    def _commit(self) -> None:
        bpm = None
        while not self._proposals.empty():
            bpm = self._proposals.get_nowait()  # only the newest counts
        if bpm is None:
            return
        state = self._link.captureAppSessionState()
        state.setTempo(bpm, self._link.clock().micros())
        self._link.commitAppSessionState(state)

    def _read(self) -> None:
        """Offer the session's tempo and beat now, stamped on perf_counter's clock."""
        link = self._link
        state = link.captureAppSessionState()
        before = time.perf_counter()
        micros = link.clock().micros()
        after = time.perf_counter()
        self.rule.offer(SOURCE, state.tempo(), state.beatAtTime(micros, self.quantum), (before + after) / 2.0)

    def _show(self) -> None:
        peers = f"{self.peers} peer" + ("" if self.peers == 1 else "s")
        self.status[STATUS] = f"Link: {peers}, quantum {self.quantum:g}"
