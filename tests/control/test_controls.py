"""The control bus: every input's hand-over to the show, counted per source, never raising."""

import threading

import pytest

from livedance.control.controls import Control, ControlBus


@pytest.mark.parametrize(
    ("name", "value", "kwargs", "taken"),
    [
        ("speed", 2.0, {}, 2.0),
        ("speed", 100.0, {}, 4.0),  # clamped to the registry's range, and counted as clamped
        ("speed", 0.5, {"norm": True}, 1.0),  # a fader's middle is the knob's centre
        ("mirror", "on", {}, True),
        ("reseed", None, {}, None),  # a trigger with no amount
        ("mirror", None, {"op": "toggle"}, None),
        ("latent", 1.5, {"index": 3}, 1.5),
    ],
)
def test_a_value_is_coerced_counted_and_queued(name, value, kwargs, taken):
    bus = ControlBus()
    assert bus.offer(name, value, "osc", **kwargs)
    (control,) = bus.drain([])
    assert (control.name, control.source, control.index) == (name, "osc", kwargs.get("index"))
    assert control.value == (pytest.approx(taken) if isinstance(taken, float) else taken)
    assert control.received > 0 and bus.count("osc").received == 1
    assert bus.count("osc").clamped == (1 if value == 100.0 else 0)


@pytest.mark.parametrize(
    ("name", "value", "kwargs", "words"),
    [
        ("sped", 1.0, {}, "sped"),
        ("speed", "fast", {}, "speed"),
        ("latent", 1.0, {"index": -1}, "latent/-1: expected a dimension index >= 0"),
        # Found by tests/fuzz: a whole vector (an OSC blob's bytes, a page's list) for one dimension.
        ("latent", b"xyz", {"index": 3}, "latent b'xyz': expected a number"),
        ("latent", [1.0, 2.0], {"index": 3}, "latent/3: expected one number for one dimension"),
        ("latent", [], {}, "latent []: expected one number per dimension"),
        # Found by tests/fuzz's long run: one number, or a 0..1 position, for the whole vector.
        ("latent", 1.5, {}, "latent: expected one number per dimension, or a dimension index"),
        ("latent", 0, {"norm": True}, "latent: expected one number per dimension, or a dimension index"),
    ],
)
def test_a_refusal_is_counted_named_and_never_raised(name, value, kwargs, words):
    bus = ControlBus()
    assert not bus.offer(name, value, "midi", **kwargs)
    assert bus.drain([]) == [] and bus.count("midi").refused == 1
    assert bus.last_refusal.startswith("midi: ") and words in bus.last_refusal


def test_drain_keeps_the_order_of_arrival_across_threads():
    bus = ControlBus()
    threads = [
        threading.Thread(target=lambda k=k: [bus.submit(Control("seed", 100 * k + i, f"t{k}")) for i in range(100)])
        for k in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    drained = bus.drain([])
    assert len(drained) == 400
    for k in range(4):  # each source's own controls in the order it sent them
        assert [c.value for c in drained if c.source == f"t{k}"] == list(range(100 * k, 100 * k + 100))


def test_published_values_reach_every_listener_until_it_stops_listening():
    bus = ControlBus()
    first, second = bus.listen(), bus.listen()
    bus.publish("speed", 2.0)
    bus.publish("latent", 0.5, 3)
    assert bus.values == {"speed": 2.0, "latent/3": 0.5}
    bus.unlisten(first)
    bus.unlisten(first)  # twice is harmless
    bus.publish("speed", 1.0)
    assert first.qsize() == 2 and second.qsize() == 3


def test_a_source_refused_before_it_became_a_parameter_is_counted_too():
    bus = ControlBus()
    bus.refuse("osc", "/livedance/nothing: no such parameter")
    assert bus.count("osc").refused == 1 and bus.last_refusal == "osc: /livedance/nothing: no such parameter"


def test_a_refusal_quoting_a_huge_value_stays_a_short_line():
    bus = ControlBus()
    assert not bus.offer("noise", "x" * 60_000, "osc")
    assert len(bus.last_refusal) <= 300 and bus.last_refusal.endswith(": expected a number from 0 to 2")
    bus.refuse("osc", "/livedance/fg " + "y" * 60_000)
    assert bus.count("osc").refused == 2 and len(bus.last_refusal) <= 300 and " ... " in bus.last_refusal
