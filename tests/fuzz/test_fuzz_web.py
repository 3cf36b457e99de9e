"""Web message fuzzing: whatever a browser (or anything speaking WebSocket) sends, into the
real message parser and the bus, and what the page gets back.

A message is refused and counted, or becomes one control within its parameter's range; it never
raises. What goes back out (`values_message`) is strict JSON (no NaN or Infinity) whatever was
applied.
"""

import json

from fuzz_budget import fuzz
from hypothesis import event, given
from hypothesis import strategies as st
from in_range import drained

from livedance.control import params as _params
from livedance.control.controls import ControlBus
from livedance.web import messages
from livedance.web.messages import MAX_MESSAGE

NUMBERS = st.one_of(
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**63, 0, 1, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-5.0, 5.0),
)
JSON = st.recursive(
    st.one_of(
        st.none(), st.booleans(), NUMBERS, st.text(max_size=12), st.sampled_from(["on", "off", "red", "#00ff00"])
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=10,
)
NAMES = st.one_of(st.sampled_from(sorted(_params.REGISTRY)), JSON)
OBJECTS = st.fixed_dictionaries(
    {"name": NAMES},
    optional={
        "value": st.one_of(JSON, st.lists(NUMBERS, max_size=200), st.lists(st.floats(-3, 3), min_size=1, max_size=130)),
        "norm": st.one_of(NUMBERS, JSON),
        "index": st.one_of(st.integers(-2, 200), JSON),
        "op": st.one_of(st.sampled_from(["set", "toggle"]), JSON),
        **{field: JSON for field in ("eval", "__proto__", "type")},
    },
)


def _dumps(value) -> str:
    return json.dumps(value)  # NaN and Infinity written as JavaScript would never send them


MESSAGES = st.one_of(
    OBJECTS.map(_dumps),
    JSON.map(_dumps),
    st.text(max_size=64),
    st.binary(max_size=64),
    st.builds(lambda n: "[" * n, st.integers(1, 1100)),
    st.builds(lambda n: '{"name": "speed", "value": ' + "9" * n + "}", st.integers(1, 5000)),
    st.builds(lambda n: " " * n + '{"name": "speed", "value": 1}', st.integers(MAX_MESSAGE - 40, MAX_MESSAGE + 5)),
)


def _strict(text: str):
    def refuse(constant):
        raise AssertionError(f"{constant} in a message to the page: {text[:200]}")

    return json.loads(text, parse_constant=refuse)


@fuzz(600)
@given(sent=st.lists(MESSAGES, min_size=1, max_size=4))
def test_a_message_is_one_control_in_range_or_one_refusal(sent):
    bus = ControlBus()
    for message in sent:
        counts = bus.count("web")
        before = (counts.received, counts.refused)
        took = messages.offer(bus, message)
        controls = drained(bus)
        after = (counts.received, counts.refused)
        if took:
            assert after == (before[0] + 1, before[1]) and len(controls) == 1
            control = controls[0]
            if control.op == "set" and control.value is not None:
                bus.publish(control.name, control.value, control.index)  # as the loop would
        else:
            assert after == (before[0], before[1] + 1) and controls == []
            assert bus.last_refusal.startswith("web: ") and "\n" not in bus.last_refusal
        event("took" if took else "refused")
    _strict(messages.values_message(messages.snapshot(bus)))


@fuzz(200)
@given(name=st.sampled_from(sorted(_params.REGISTRY)), value=JSON, index=st.one_of(st.none(), st.integers(0, 200)))
def test_feedback_of_any_value_is_strict_json(name, value, index):
    """Whatever reached `publish` (a bug upstream included), the page gets JSON it can parse."""
    _strict(messages.values_message([messages.feedback(name, value, index)]))
