"""The tempo rule, table by table: who leads, switching without a jump, what is published.

The step clock is the real choreographer on the shipped model, driven frame by frame on a
virtual timeline (offers are stamped on the same timeline); the published values and the HUD
come from a real headless instrument. Producers are the rule's own calls, as MIDI, Link and
audio make them; Link itself is tested in test_link.py.
"""

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from pathlib import Path  # noqa: E402

import pygame  # noqa: E402
import pytest  # noqa: E402
from virtual_clock import VirtualClock  # noqa: E402

from livedance.errors import LivedanceError  # noqa: E402
from livedance.live.choreographer import Choreographer  # noqa: E402
from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402
from livedance.runtime.engine import Engine  # noqa: E402
from livedance.sync.tempo import DEFAULT_ORDER, MAX_TRIM, SOURCES, TempoRule  # noqa: E402

MODEL = str(Path(__file__).resolve().parents[2] / "models" / "default")
FRAME = 1 / 60
T0 = 100.0
# What each source offers in these tests: (bpm, beat count at T0, or None for tempo only).
OFFERS = {"link": (128.0, 10.3), "midi": (100.0, 3.7), "audio": (140.0, None)}


@pytest.fixture(scope="module")
def engine():
    return Engine(MODEL).prepare()


def offer_all(rule: TempoRule, sources=("link", "midi", "audio")) -> None:
    for source in sources:
        bpm, beat = OFFERS[source]
        rule.attach(source)
        rule.offer(source, bpm, beat, T0)


# --- who leads ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("offering", "leader"),
    [
        ((), "manual"),
        (("audio",), "audio"),
        (("audio", "midi"), "midi"),
        (("midi", "link"), "link"),
        (("audio", "midi", "link"), "link"),
    ],
)
def test_at_start_the_default_order_picks_the_leader(offering, leader):
    rule = TempoRule()
    offer_all(rule, offering)
    assert rule.leader == leader and rule.chosen is None
    assert DEFAULT_ORDER == ("link", "midi", "audio", "manual")


@pytest.mark.parametrize(
    ("events", "leader"),
    [
        ([("offer", "link"), ("offer", "midi"), ("choose", "midi")], "midi"),
        ([("offer", "link"), ("choose", "manual"), ("offer", "midi")], "manual"),  # a later offer takes nothing
        ([("offer", "midi"), ("choose", "link"), ("choose", "midi")], "midi"),
        ([("offer", "link"), ("choose", "audio")], "audio"),  # chosen with nothing offered: leads, holding
        ([("choose", "link"), ("offer", "midi"), ("withdraw", "link")], "link"),
        ([("offer", "link"), ("offer", "midi"), ("withdraw", "link")], "midi"),  # no choice: the order again
    ],
)
def test_the_last_source_chosen_leads(events, leader):
    rule = TempoRule()
    for event, source in events:
        if event == "offer":
            offer_all(rule, (source,))
        elif event == "withdraw":
            rule.withdraw(source)
        else:
            rule.choose(source)
    assert rule.leader == leader


@pytest.mark.parametrize(
    ("call", "args"),
    [("choose", ("ableton",)), ("offer", ("tap", 120.0)), ("offer", ("midi", 0.0)), ("offer", ("midi", float("nan")))],
)
def test_unknown_sources_and_broken_offers_are_refused_in_one_line(call, args):
    with pytest.raises((LivedanceError, ValueError)) as refused:
        getattr(TempoRule(), call)(*args)
    assert "\n" not in str(refused.value)


def test_a_cycling_key_visits_the_running_sources_in_turn():
    rule = TempoRule()
    rule.attach("link")
    rule.attach("midi")
    seen = []
    for _ in range(4):
        rule.choose(rule.next_source())
        seen.append(rule.leader)
    assert seen == ["midi", "link", "manual", "midi"]  # manual leads at first: nothing offered yet
    assert set(rule.available) <= set(SOURCES)


# --- following without a jump -------------------------------------------------------------------
def play(rule: TempoRule, c: Choreographer, t: float, seconds: float, positions: list) -> float:
    """Frames at 60 fps from `t`, following the rule first as the loop does; each frame's step position."""
    for _ in range(round(seconds / FRAME)):
        rule.follow(c, t)
        c.frame(t)
        positions.append((t, c.steps + c.phase, c.step_rate))
        t += FRAME
    return t


def grid_error(rule: TempoRule, c: Choreographer) -> float:
    """Steps between the step clock and the leader's beat grid (the nearer way round)."""
    target = rule.offered(rule.leader).beat_at(c.clock_time) * c.tempo[1]
    return (target - c.phase + 0.5) % 1.0 - 0.5


@pytest.mark.parametrize(
    ("first", "then"),
    [("manual", "link"), ("link", "midi"), ("midi", "audio"), ("audio", "link"), ("link", "manual")],
)
def test_switching_the_leader_never_jumps_the_step_phase(engine, first, then):
    rule, c = TempoRule(), Choreographer(engine)
    c.set_tempo(90.0)
    offer_all(rule)
    rule.choose(first)
    positions: list = []
    t = play(rule, c, T0, 3.0, positions)
    rule.choose(then)
    play(rule, c, t, 3.0, positions)
    fastest = max(bpm for bpm, _ in OFFERS.values()) * c.tempo[1] / 60.0 * (1 + MAX_TRIM)
    for (_, before, _), (_, after, _) in zip(positions, positions[1:]):
        assert 0.0 <= after - before <= fastest * FRAME + 1e-9, (before, after)  # forward, never faster than the pull
    expected = OFFERS[then][0] if then != "manual" else OFFERS[first][0]  # manual takes over the tempo in use
    assert c.tempo[0] == expected
    if then != "manual" and OFFERS[then][1] is not None:
        assert abs(grid_error(rule, c)) < 0.01  # on the leader's grid after 3 s
        assert c.trim == pytest.approx(1.0, abs=0.02)
    else:
        assert c.trim is None  # no phase to follow: the performer's nudge is back


def follow_link(engine, seconds: float = 4.0) -> tuple[Choreographer, list]:
    """A step clock that followed Link (its beat known) for `seconds` at 60 fps; each frame's step position."""
    rule, c = TempoRule(), Choreographer(engine)
    offer_all(rule, ("link",))
    positions: list = []
    play(rule, c, T0, seconds, positions)
    return c, positions


def test_a_phase_leader_puts_a_step_on_every_beat(engine):
    c, positions = follow_link(engine)
    bpm, beat0 = OFFERS["link"]
    steps_per_beat = c.tempo[1]
    for t, position, _ in positions[-60:]:
        beats = beat0 + (t - T0) * bpm / 60.0
        assert abs((beats * steps_per_beat - position + 0.5) % 1.0 - 0.5) < 0.01


def test_a_phase_leader_puts_the_clock_s_beat_on_its_own(engine):
    """Which step starts the beat follows the leader's beat too (a relabel: the picture doesn't move)."""
    c, positions = follow_link(engine)
    bpm, beat0 = OFFERS["link"]
    t = positions[-1][0]
    leader_phase = (beat0 + (t - T0) * bpm / 60.0) % 1.0
    assert abs((c.beat_phase - leader_phase + 0.5) % 1.0 - 0.5) * 60.0 / bpm < 0.002


def test_a_tempo_only_leader_leaves_the_phase_to_the_performer(engine):
    rule, c = TempoRule(), Choreographer(engine)
    offer_all(rule, ("audio",))
    c.nudge = 0.5
    play(rule, c, T0, 0.5, [])
    assert c.tempo[0] == 140.0 and c.trim is None
    assert c.step_rate == pytest.approx(140.0 * c.tempo[1] / 60.0 * 1.05)  # the nudge still bends it


# --- what the show publishes and refuses ---------------------------------------------------------
@pytest.fixture
def instrument():
    inst = build(LiveSettings(model=MODEL, fps=0.0), headless=True, size=(160, 120))
    inst.clock = VirtualClock()
    inst.run(frames=2)
    yield inst
    inst.close()


def offer_now(instrument, sources=("link", "midi", "audio")) -> None:
    """Offers stamped on the show's own (virtual) clock."""
    rule = instrument.performance.tempo_rule
    for source in sources:
        bpm, beat = OFFERS[source]
        rule.attach(source)
        rule.offer(source, bpm, beat, instrument.clock.now)


@pytest.mark.parametrize(("leader", "bpm"), [("link", 128.0), ("midi", 100.0), ("audio", 140.0), ("manual", 128.0)])
def test_bpm_is_published_with_the_leader_s_tempo_and_the_hud_names_the_leader(instrument, leader, bpm):
    bus = instrument.bus
    feedback = bus.listen()  # what OSC feedback sends
    bus.offer("bpm", 90.0, "osc")
    instrument.run(frames=2)
    assert bus.values["bpm"] == 90.0 and bus.values["tempo_source"] == "manual"
    offer_now(instrument)
    instrument.run(frames=2)
    assert bus.values["bpm"] == 128.0 and bus.values["tempo_source"] == "link"  # the default order
    bus.offer("tempo_source", leader, "osc")
    instrument.run(frames=2)
    sent = {}
    while not feedback.empty():
        name, value, _ = feedback.get()
        sent[name] = value
    assert (sent["bpm"], sent["tempo_source"]) == (bpm, leader)
    assert (bus.values["bpm"], bus.values["tempo_source"]) == (bpm, leader)
    line = f"tempo {bpm:.1f} BPM: {leader} leads (chosen)"
    assert any(text.startswith(line) for text in instrument.hud_lines()), instrument.hud_lines()


@pytest.mark.parametrize(
    ("leader", "name", "value", "refusal"),
    [
        ("midi", "bpm", 150.0, "the MIDI clock leads the tempo; choose tempo_source manual to set it by hand"),
        ("audio", "tap", None, None),  # one tap sets nothing yet: nothing to refuse
        ("audio", "faster", None, "the music leads the tempo"),
        ("midi", "tempo_lock", False, "the MIDI clock leads the tempo; choose tempo_source manual to unlock it"),
        ("link", "downbeat", None, "Ableton Link sets the beat"),
        ("manual", "bpm", 150.0, None),
    ],
)
def test_a_tempo_set_by_hand_is_refused_in_one_line_where_the_leader_cannot_take_it(
    instrument, leader, name, value, refusal
):
    offer_now(instrument)
    instrument.bus.offer("tempo_source", leader, "key")
    instrument.run(frames=2)
    before = instrument.performance.choreographer.tempo
    instrument.bus.offer(name, value, "key")
    instrument.run(frames=2)
    last = instrument.performance.last_control
    if refusal is None:
        assert last.startswith(name), last
    else:
        assert refusal in last and last.startswith(name) and "\n" not in last, last
        assert instrument.performance.choreographer.tempo == before


def test_the_s_key_hands_the_tempo_to_the_next_running_source(instrument):
    offer_now(instrument, ("midi",))
    leaders = []
    for _ in range(3):
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_s, mod=0, unicode="", scancode=0))
        instrument.run(frames=2)
        leaders.append(instrument.bus.values["tempo_source"])
    assert leaders == ["manual", "midi", "manual"]  # midi led by the default order; a key chose from there
