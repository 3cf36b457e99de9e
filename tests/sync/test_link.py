"""Ableton Link, end to end: `livedance live --link` as the command builds it, and a second Link
peer (another app on the network) in the same process.

Link finds its peers over the network, so every byte of test traffic stays on loopback: the
session runs in this file re-run inside a new network namespace that has only `lo` (see
tests/netns.py), and nothing here enables Link outside it. Without root, `unshare`, `ip` or
linkpython-extern the session tests skip, saying which.

`python tests/sync/test_link.py session` (inside such a namespace) prints the session's figures.
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"

import netns  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402
from livedance.sync.link import MISSING_EXTRA, LinkSession  # noqa: E402
from livedance.sync.tempo import TempoRule  # noqa: E402

MODEL = str(Path(__file__).resolve().parents[2] / "models" / "default")
QUANTUM = 4.0
TIMEOUT = 10.0  # seconds any one wait may take before the scenario gives up on it


# --- inside the namespace -----------------------------------------------------------------------
def _frames_until(instrument, predicate) -> float | None:
    """Play frames until `predicate()`; the seconds it took (None: not within TIMEOUT)."""
    began = time.perf_counter()
    while not predicate():
        if time.perf_counter() - began > TIMEOUT:
            return None
        instrument.run(frames=1)
    return time.perf_counter() - began


def _phase_ms(a_beat: float, b_beat: float, bpm: float) -> float:
    """How far apart two beat counts are within the bar, in milliseconds (the nearer way round)."""
    apart = (a_beat - b_beat + QUANTUM / 2) % QUANTUM - QUANTUM / 2
    return abs(apart) * 60_000.0 / bpm


def session() -> dict:
    """livedance (a headless instrument with --link) and another peer: tempo, phase, changes both ways."""
    import link

    settings = LiveSettings(model=MODEL, fps=60.0, hud=True, link=True, link_quantum=QUANTUM)
    instrument = build(settings, headless=True, size=(160, 120))
    ours = next(source for source in instrument.inputs if isinstance(source, LinkSession))
    show, result = instrument.performance, {}
    peer = link.Link(100.0)
    peer.enabled = True
    try:
        result["joined_s"] = _frames_until(instrument, lambda: ours.peers >= 1 and peer.numPeers() >= 1)
        instrument.run(frames=120)  # two seconds to settle onto the grid
        result["leader"] = show.tempo_rule.leader
        result["hud"] = instrument.hud_lines()

        # The two peers at one instant: tempo, and beat phase within the bar.
        theirs = peer.captureAppSessionState()
        mine = ours._link.captureAppSessionState()
        micros = peer.clock().micros()
        result["tempo_peer"], result["tempo_livedance"] = theirs.tempo(), mine.tempo()
        result["phase_apart_ms"] = _phase_ms(
            mine.beatAtTime(micros, QUANTUM), theirs.beatAtTime(micros, QUANTUM), theirs.tempo()
        )
        # What the loop sees: the rule's offer carried to now, against the peer's beat now.
        before = time.perf_counter()
        micros = peer.clock().micros()
        now = (before + time.perf_counter()) / 2
        beat = peer.captureAppSessionState().beatAtTime(micros, QUANTUM)
        result["offer_apart_ms"] = _phase_ms(show.tempo_rule.offered("link").beat_at(now), beat, theirs.tempo())
        # The step clock against the peer's grid, at the time of the last frame it drew.
        c = show.choreographer
        bpm, steps_per_beat = c.tempo
        before = time.perf_counter()
        micros = peer.clock().micros()
        link_now = (before + time.perf_counter()) / 2
        beat = peer.captureAppSessionState().beatAtTime(micros - round((link_now - c.clock_time) * 1e6), QUANTUM)
        steps_apart = (beat * steps_per_beat - c.phase + 0.5) % 1.0 - 0.5
        result["steps_apart_ms"] = abs(steps_apart) * 60_000.0 / (bpm * steps_per_beat)
        result["step_clock_bpm"] = bpm

        # The other peer changes the tempo: the step clock follows.
        state = peer.captureAppSessionState()
        state.setTempo(140.0, peer.clock().micros())
        peer.commitAppSessionState(state)
        result["their_change_s"] = _frames_until(instrument, lambda: abs(c_tempo(instrument) - 140.0) < 0.1)
        result["published_after_their_change"] = instrument.bus.values.get("bpm")

        # A tempo set in livedance (OSC here; tap, faders and keys take the same path) reaches the peer.
        instrument.bus.offer("bpm", 93.0, "osc")
        began = time.perf_counter()
        reached = _frames_until(instrument, lambda: abs(peer.captureAppSessionState().tempo() - 93.0) < 0.1)
        result["our_change_s"] = reached
        result["our_change_back_s"] = _frames_until(instrument, lambda: abs(c_tempo(instrument) - 93.0) < 0.1)
        result["our_change_total_s"] = time.perf_counter() - began
        result["dropped"] = instrument.stats.dropped
        result["frames"] = show.frames
    finally:
        peer.enabled = False
        instrument.finish()
        instrument.close()
    result["closed_status"] = instrument.bus.status.get("link")
    result["sources_after_close"] = list(show.tempo_rule.available)
    return result


def recorded() -> dict:
    """`livedance live --link --record` while the other peer changes the tempo, then `livedance replay`
    of its control log: the replay has no Link to ask, only what the log says the step clock was given."""
    import link
    from videos import read_video

    from livedance.cli import main

    peer = link.Link(100.0)
    peer.enabled = True
    folder = Path(tempfile.mkdtemp())
    video, again = folder / "show.mkv", folder / "again.mkv"

    def change_tempo() -> None:
        time.sleep(1.5)
        state = peer.captureAppSessionState()
        state.setTempo(150.0, peer.clock().micros())
        peer.commitAppSessionState(state)

    changer = threading.Thread(target=change_tempo)
    changer.start()
    flags = ["--headless", "--seconds", "3", "--fps", "20", "--size", "160x120", "--no-osc", "--no-midi"]
    try:
        code = main(["live", "--model", MODEL, *flags, "--record", str(video), "--link"])
    finally:
        changer.join()
        peer.enabled = False
    events = [json.loads(line) for line in video.with_suffix(".jsonl").read_text().splitlines()]
    tempo = [e for e in events if e["type"] == "tempo"]
    replayed = main(["replay", str(video.with_suffix(".jsonl")), "--out", str(again)])
    a, b = read_video(video), read_video(again)
    scores = [_psnr(x, y) for x, y in zip(a, b)]
    return {
        "code": code,
        "replayed": replayed,
        "frames": [len(a), len(b)],
        "tempos": sorted({e["bpm"] for e in tempo if e["leader"] == "link"}),
        "tempo_events": len(tempo),
        "min_psnr": min(scores, default=0.0),
    }


def _psnr(a, b) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * math.log10(255.0**2 / mse)


def c_tempo(instrument) -> float:
    tempo = instrument.performance.choreographer.tempo
    return tempo[0] if tempo else float("nan")


# --- the tests ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared():
    reason = netns.why_not("link", "link")
    if reason:
        pytest.skip(reason)
    return netns.run(__file__, "session")


def test_livedance_joins_the_session_and_link_leads(shared):
    assert shared["joined_s"] is not None, shared
    assert shared["leader"] == "link"
    assert any(line.startswith("Link: 1 peer, quantum 4") for line in shared["hud"]), shared["hud"]
    assert any(": link leads (default order" in line for line in shared["hud"]), shared["hud"]


def test_the_peers_agree_on_tempo_and_beat_phase(shared):
    assert abs(shared["tempo_peer"] - shared["tempo_livedance"]) < 0.1, shared
    assert abs(shared["step_clock_bpm"] - shared["tempo_peer"]) < 0.1, shared
    assert shared["phase_apart_ms"] < 5.0, shared
    assert shared["offer_apart_ms"] < 5.0, shared  # Link's clock carried onto the loop's


def test_the_step_clock_lands_on_the_session_s_beat_grid(shared):
    assert shared["steps_apart_ms"] < 5.0, shared


def test_a_tempo_change_on_the_other_peer_reaches_the_step_clock(shared):
    assert shared["their_change_s"] is not None and shared["their_change_s"] < 0.5, shared
    assert shared["published_after_their_change"] == pytest.approx(140.0, abs=0.1)


def test_a_tempo_set_in_livedance_reaches_the_other_peer(shared):
    assert shared["our_change_s"] is not None and shared["our_change_s"] < 0.5, shared
    assert shared["our_change_back_s"] is not None, shared


def test_closing_leaves_the_session_and_the_rule(shared):
    assert shared["closed_status"] is None and shared["sources_after_close"] == ["manual"], shared


def test_a_show_that_followed_link_replays_to_the_same_frames():
    reason = netns.why_not("link", "link")
    if reason:
        pytest.skip(reason)
    result = netns.run(__file__, "recorded", timeout=300)
    assert result["code"] == 0 and result["replayed"] == 0, result
    assert result["frames"][0] == result["frames"][1] >= 50, result
    assert 150.0 in result["tempos"] and len(result["tempos"]) >= 2, result  # the peer's tempos, logged
    assert result["min_psnr"] >= 40.0, result


def test_a_missing_extra_refuses_in_one_line_and_the_show_goes_on():
    """No linkpython-extern (blocked in a fresh interpreter): --link says so in one line and the show plays."""
    code = (
        "import os, sys; sys.modules['link'] = None; os.environ['SDL_VIDEODRIVER'] = 'dummy'\n"
        "from livedance.live.command import build\n"
        "from livedance.live.settings import LiveSettings\n"
        f"show = build(LiveSettings(model={MODEL!r}, fps=0.0, link=True), headless=True, size=(160, 120))\n"
        "show.run(frames=5)\n"
        "print(show.performance.frames, show.bus.status['link'], show.performance.tempo_rule.available)\n"
        "show.close()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == f"livedance live: {MISSING_EXTRA}; playing on without Link"
    assert done.stdout.splitlines() == [f"5 no Link: {MISSING_EXTRA} ('manual',)"]


def test_a_quantum_that_is_no_number_of_beats_is_refused():
    with pytest.raises(Exception, match=r"--link-quantum 0: expected a number of beats above 0"):
        LinkSession(TempoRule(), quantum=0)


if __name__ == "__main__":  # session, recorded: inside the namespace only (Link talks on the network)
    print(json.dumps({"session": session, "recorded": recorded}[sys.argv[1]](), default=str))
