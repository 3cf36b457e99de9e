"""What the page and the show say to each other over the WebSocket, as JSON, checked on the way in.

In: one JSON object per message, `{"name": parameter, "value"?: ..., "norm"?: 0..1, "index"?: i,
"op"?: "set" | "toggle"}`. Its shape is checked here (size, JSON, fields and their types), and
what it says about the parameter by the `ControlBus` against the registry, exactly as an OSC
message is: an unknown name, a wrong type or a value out of range is refused (or clamped) and
counted against "web", and the last refusal shows on the HUD. JSON is parsed, never evaluated.

Out: every value the loop applies, as OSC feedback sends it (the natural value, and where it
means something its 0..1 position), plus the text the HUD would show.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from livedance.control import params as _params
from livedance.control.controls import ControlBus
from livedance.control.kinds import FLOAT

SOURCE = "web"
MAX_MESSAGE = 1024  # characters: the longest sensible message is a latent vector of 64 numbers
MAX_VALUES = 64  # numbers in one value (a colour is 3, a latent vector one per dimension)
FIELDS = frozenset({"name", "value", "norm", "index", "op"})
OPS = ("set", "toggle")
# The page's messages hold one object and at most one array; more brackets than this is no
# message of the page's, and is refused before json's recursion (whose limit varies) is reached.
MAX_BRACKETS = 16


class Refused(ValueError):
    """A message the page sent that is not a control (one line: what was wrong)."""


@dataclass(frozen=True)
class Request:
    """One control from the page, its shape checked; the bus checks the rest against the registry."""

    name: str
    value: object = None
    norm: bool = False
    index: int | None = None
    op: str = "set"


def _no_constants(text: str) -> object:
    raise Refused(f"{text}: expected a finite number")


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def parse(message: str | bytes) -> Request:
    """A message's text -> a Request, or Refused naming what was expected."""
    if not isinstance(message, str):
        raise Refused("binary message: expected JSON text")
    if len(message) > MAX_MESSAGE:
        raise Refused(f"message of {len(message)} characters: expected at most {MAX_MESSAGE}")
    if message.count("[") + message.count("{") > MAX_BRACKETS:
        raise Refused("not JSON this page sends: arrays or objects nested too deep")
    try:
        data = json.loads(message, parse_constant=_no_constants)
    except ValueError as exc:
        raise Refused(f"not JSON ({exc})") from None
    except RecursionError:  # a thousand nested arrays fit in MAX_MESSAGE
        raise Refused("not JSON this page sends: arrays or objects nested too deep") from None
    if not isinstance(data, dict):
        raise Refused(f"{type(data).__name__}: expected a JSON object with a name")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise Refused(f"field {unknown[0]!r}: expected only {', '.join(sorted(FIELDS))}")
    name, op, index = data.get("name"), data.get("op", "set"), data.get("index")
    if not isinstance(name, str) or not name:
        raise Refused(f"name {name!r}: expected a parameter's name")
    if op not in OPS:
        raise Refused(f"{name}: op {op!r}: expected one of {', '.join(OPS)}")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
        raise Refused(f"{name}: index {index!r}: expected a dimension index >= 0")
    if "norm" in data:
        if "value" in data:
            raise Refused(f"{name}: expected a value or a norm, not both")
        norm = data["norm"]
        if isinstance(norm, bool) or not isinstance(norm, (int, float)):
            raise Refused(f"{name}: norm {norm!r}: expected a number from 0 to 1")
        return Request(name, norm, True, index, op)
    value = data.get("value")
    if isinstance(value, list):
        if len(value) > MAX_VALUES or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise Refused(f"{name}: expected a list of at most {MAX_VALUES} numbers")
    elif not _scalar(value):
        raise Refused(f"{name}: value of type {type(value).__name__}: expected a number, text, on/off or a list")
    return Request(name, value, False, index, op)


def offer(bus: ControlBus, message: str | bytes) -> bool:
    """Parse a message and hand it to the bus; False when refused (counted against "web")."""
    try:
        request = parse(message)
    except Refused as exc:
        bus.refuse(SOURCE, str(exc))
        return False
    return bus.offer(request.name, request.value, SOURCE, norm=request.norm, index=request.index, op=request.op)


# --- out ----------------------------------------------------------------------------------------
def _plain(value: object) -> object:
    """A value as JSON can carry it (NaN and infinities as null)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, str) else str(value)


def feedback(name: str, value: object, index: int | None = None) -> dict:
    """One applied value as the page takes it: natural value, 0..1 position (or null) and HUD text."""
    param = _params.REGISTRY.get(name)
    norm = None
    text = f"{value}"
    if param is not None:
        text = param.kind.text(value)
        if index is None:
            try:
                norm = _params.to_norm(param, value)
            except (TypeError, ValueError):
                norm = None
        elif param.numeric:
            norm = FLOAT.to_norm(param, value)  # one dimension of a vector sits on the vector's range
    if param is not None and param.kind.name == "colour" and isinstance(value, tuple):
        value = text  # BGR inside; the page's colour picker reads #rrggbb
    if norm is not None and not math.isfinite(norm):
        norm = None
    return {"name": name, "index": index, "value": _plain(value), "norm": norm, "text": text}


def values_message(changes: list[dict]) -> str:
    return json.dumps({"type": "values", "values": changes}, separators=(",", ":"))


def status_message(lines: list[str]) -> str:
    return json.dumps({"type": "status", "lines": lines}, separators=(",", ":"))


def snapshot(bus: ControlBus) -> list[dict]:
    """Every value the show has published, as feedback: what a page that (re)connects starts from."""
    changes = []
    for key, value in list(bus.values.items()):
        name, _, dimension = key.partition("/")
        changes.append(feedback(name, value, int(dimension) if dimension.isdigit() else None))
    return changes
