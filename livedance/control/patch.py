"""Patches: a controller's layout as data (patches/NAME.toml), mapped onto the parameter registry.

A patch says which control (a CC, a note, the pitch wheel, program change or an OSC alias)
drives which parameter of `params.REGISTRY`, and how: a value curve, a sub-range, soft
takeover for faders that don't sit where the value is, toggle or momentary buttons. The file
is TOML read by `tomllib`: data only, nothing in it is ever run. Each control is one inline
table on one line, so a mistake is reported as "<file>:<line>: <reason>".

MIDI and OSC threads call `translate` / `translate_osc`; both offer controls to the bus and
never raise. MIDI learn adds mappings at run time (`learn`) and writes the patch back (`save`).
This module is the file and the routing of messages to mappings; one line's rules and curves
are in `mapping`, what a control event does to its value (soft takeover, buttons) in `takeover`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import tomllib
from pathlib import Path

from livedance.config import PROJECT_ROOT
from livedance.control import params as _params
from livedance.control import takeover as _takeover
from livedance.control.mapping import (
    BUTTONS,
    CURVES,
    OPTIONS,
    SOURCES,
    TAKEOVERS,
    Mapping,
    _how,
    _is_number,
    _show,
    _whole,
    check_mapping,
    mapping_from_table,
)
from livedance.control.takeover import PICKUP_TOLERANCE
from livedance.errors import LivedanceError, one_line

log = logging.getLogger(__name__)

# Names other modules and tests take from here (the mapping and takeover names are re-exported).
__all__ = [
    "BUTTONS",
    "CURVES",
    "DEFAULT_PATCH",
    "EXAMPLE",
    "OPTIONS",
    "PATCH_DIR",
    "PICKUP_TOLERANCE",
    "PROJECT_ROOT",
    "SOURCES",
    "TAKEOVERS",
    "TOP_KEYS",
    "Mapping",
    "Patch",
    "check_mapping",
    "mapping_from_table",
    "markdown_layout",
    "resolve_patch_path",
]

PATCH_DIR = PROJECT_ROOT / "patches"
DEFAULT_PATCH = PATCH_DIR / "default.toml"

TOP_KEYS = ("name", "channel", "controls")
EXAMPLE = '{ cc = 7, param = "speed" }'


# --- where things are in the file (tomllib gives values, not lines) -------------------------
_NAME = r'(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+))'
_KEY = re.compile(r"[ \t]*" + _NAME + r"[ \t]*[=.]")
_HEADER = re.compile(r"[ \t]*\[(\[?)[ \t]*" + _NAME)


def _layout(text: str) -> tuple[dict[str, int], list[int]]:
    """Lines of the top-level keys and of each element of a top-level array (the controls).

    Only called on text tomllib accepted, so it can be lenient: it tracks strings, comments
    and brackets just well enough to find where statements and array elements start."""
    keys: dict[str, int] = {}
    elements: list[int] = []
    line, i, n = 1, 0, len(text)
    stack: list[str] = []  # open brackets and braces
    at_start, in_root, expecting = True, True, False
    while i < n:
        if at_start and not stack:
            at_start = False
            header = _HEADER.match(text, i)
            if header:
                name = next(g for g in header.groups()[1:] if g is not None)
                in_root = False
                keys.setdefault(name, line)
                if header.group(1) and name == "controls":
                    elements.append(line)
                i = text.find("\n", i)
                if i < 0:
                    break
                continue
            key = _KEY.match(text, i)
            if key and in_root:
                keys.setdefault(next(g for g in key.groups() if g is not None), line)
        c = text[i]
        if c == "\n":
            line, at_start = line + 1, True
        elif c == "#":
            i = text.find("\n", i)
            if i < 0:
                break
            continue
        elif c in " \t\r":
            pass
        elif c == "," and stack == ["["]:
            expecting = True
        elif c in "]}":
            stack.pop()
            expecting = False
        else:
            if expecting and stack == ["["]:
                elements.append(line)
                expecting = False
            if c in "\"'":
                end = _string_end(text, i)
                line += text.count("\n", i, end)
                i = end
                continue
            if c in "[{":
                stack.append(c)
                expecting = stack == ["["]
        i += 1
    return keys, elements


def _string_end(text: str, i: int) -> int:
    """The index just past the string that opens at text[i]."""
    quote = text[i]
    triple = text.startswith(quote * 3, i)
    j = i + (3 if triple else 1)
    while j < len(text):
        if quote == '"' and text[j] == "\\":
            j += 2
            continue
        if triple and text.startswith(quote * 3, j):
            j += 3
            for _ in range(2):  # up to two more quotes belong to the content
                if j < len(text) and text[j] == quote:
                    j += 1
            return j
        if not triple and text[j] == quote:
            return j + 1
        j += 1
    return j


def _nesting_line(text: str, deep: int = 100) -> int:
    """The line where brackets first nest `deep` levels (strings and comments not told apart:
    only for text tomllib could not parse)."""
    depth = 0
    for at, c in enumerate(text):
        depth += (c in "[{") - (c in "]}")
        if depth >= deep:
            return text.count("\n", 0, at) + 1
    return 1


def _toml_error(source: str, text: str, exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    found = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", message, re.S)
    if found:
        reason, line, column = found.group(1), found.group(2), found.group(3)
        where = f" at column {column}"
    else:
        reason = re.sub(r" \(at end of document\)$", "", message)
        line, where = str(max(len(text.splitlines()), 1)), " at the end"
    reason = reason[:1].lower() + reason[1:]
    return f"{source}:{line}: not valid TOML: {reason}{where}; a control looks like {EXAMPLE}"


# --- the patch ------------------------------------------------------------------------------
class Patch:
    """A controller layout: name, MIDI channel (0 = any) and mappings."""

    def __init__(self, name: str, channel: int = 0, mappings=(), path: Path | None = None):
        self.name = name
        self.channel = channel
        self.mappings: list[Mapping] = list(mappings)
        self.path = path
        for mapping in self.mappings:
            check_mapping(mapping)
        self._lock = threading.Lock()
        self._index()

    def __repr__(self) -> str:
        return f"Patch({self.name!r}, channel={self.channel}, {len(self.mappings)} mappings)"

    def _index(self) -> None:
        self._midi: dict[tuple, list] = {}
        self._osc: dict[str, list] = {}
        for mapping in self.mappings:
            entry = (mapping, _takeover.State())
            if mapping.source == "audio":
                continue  # the audio input plays these (`audio_mappings`)
            if mapping.source == "osc":
                self._osc.setdefault(mapping.address, []).append(entry)
            else:
                self._midi.setdefault((mapping.source, mapping.number), []).append(entry)

    # --- reading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path) -> "Patch":
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise LivedanceError(f"{path}: no such patch file") from None
        except IsADirectoryError:
            raise LivedanceError(f"{path}: is a folder; expected a patch file (.toml)") from None
        except UnicodeDecodeError as exc:
            raise LivedanceError(f"{path}: not UTF-8 text (byte {exc.start}); expected a TOML patch") from None
        except OSError as exc:
            raise LivedanceError(f"{path}: cannot read the patch ({exc.strerror})") from None
        patch = cls.from_text(text, source=str(path))
        patch.path = path
        return patch

    @classmethod
    def from_text(cls, text: str, source: str = "<text>") -> "Patch":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LivedanceError(_toml_error(source, text, exc)) from None
        except RecursionError:  # tomllib parses nested arrays and tables by recursing
            raise LivedanceError(
                f"{source}:{_nesting_line(text)}: not valid TOML here: arrays or tables nested too deep; "
                f"a control looks like {EXAMPLE}"
            ) from None
        keys, elements = _layout(text)

        def bad(line: int, reason: str) -> LivedanceError:
            return LivedanceError(f"{source}:{line}: {reason}")

        for key in data:
            if key not in TOP_KEYS:
                raise bad(keys.get(key, 1), f"unknown key {key!r}; a patch has {', '.join(TOP_KEYS)}")
        name = data.get("name", Path(source).stem)
        if not isinstance(name, str) or not name.strip():
            raise bad(keys.get("name", 1), f"name = {_show(name)}: expected the controller's name in quotes")
        channel = data.get("channel", 0)
        try:
            _whole(channel, "channel", 0, 16)
        except LivedanceError as exc:
            raise bad(keys.get("channel", 1), f"{exc} (0 = any, or the controller's MIDI channel 1-16)") from None
        controls = data.get("controls", [])
        controls_line = keys.get("controls", 1)
        if not isinstance(controls, list):
            raise bad(controls_line, f"controls: expected an array of inline tables, one per line, like [ {EXAMPLE}, ]")
        lines = elements if len(elements) == len(controls) else [controls_line] * len(controls)
        mappings = []
        for number, (table, line) in enumerate(zip(controls, lines), 1):
            if not isinstance(table, dict):
                raise bad(line, f"control {number} = {_show(table)}: expected an inline table like {EXAMPLE}")
            try:
                mappings.append(mapping_from_table(table, line))
            except LivedanceError as exc:
                raise bad(line, str(exc)) from None
        return cls(name, channel, mappings)

    # --- playing ---------------------------------------------------------------------------
    def translate(self, msg, bus, received: float) -> int:
        """Offer the controls a MIDI message moves; returns how many the bus took. Never raises.

        0 also when nothing is mapped there, the channel differs, or a pick-up is still waiting."""
        try:
            kind = msg.type
            if kind == "control_change":
                where, raw = ("cc", msg.control), msg.value
            elif kind in ("note_on", "note_off"):
                where, raw = ("note", msg.note), (msg.velocity if kind == "note_on" else 0)
            elif kind == "pitchwheel":
                where, raw = ("pitchbend", None), msg.pitch
            elif kind == "program_change":
                where, raw = ("program", None), msg.program
            else:
                return 0
            channel = msg.channel + 1
            offered = 0
            with self._lock:
                for mapping, state in self._midi.get(where, ()):
                    wanted = self.channel if mapping.channel is None else mapping.channel
                    if wanted and wanted != channel:
                        continue
                    offered += _takeover.on_midi(mapping, state, raw, bus, received)
            return offered
        except Exception as exc:  # a malformed message or a bug must never reach the MIDI thread
            log.warning("%s", one_line(exc), exc_info=True)
            _refuse(bus, "midi", f"{msg}: {exc}")
            return 0

    def translate_osc(self, address: str, args: list, bus, received: float) -> bool:
        """Offer the controls an OSC alias drives; False when `address` is no alias here. Never raises."""
        try:
            with self._lock:
                entries = self._osc.get(address)
                if not entries:
                    return False
                x = None
                if args:
                    value = args[0]
                    if not (_is_number(value) or isinstance(value, bool)):
                        bus.refuse("osc", f"{address} {value!r}: expected a number from 0 to 1")
                        return True
                    x = min(max(float(value), 0.0), 1.0)
                for mapping, state in entries:
                    pressed = x is None or x >= 0.5
                    _takeover.on_control(mapping, state, x, pressed, False, bus, received, "osc")
            return True
        except Exception as exc:
            log.warning("%s", one_line(exc), exc_info=True)
            _refuse(bus, "osc", f"{address}: {exc}")
            return True

    def audio_mappings(self) -> list[Mapping]:
        """The lines an audio feature drives, for the audio input (livedance.audio) to play."""
        with self._lock:
            return [mapping for mapping in self.mappings if mapping.source == "audio"]

    # --- MIDI learn ------------------------------------------------------------------------
    def learn(self, param: str, msg) -> str | None:
        """Map the control that sent `msg` to `param` ("latent/5": dimension 5), replacing any
        mapping on the same control and channel. None for a message that is no control, or a
        control that can't drive that parameter."""
        name, _, index_text = str(param).partition("/")
        spec = _params.REGISTRY.get(name)
        if spec is None or (index_text and not (spec.kind.indexed and index_text.isdigit())):
            return None
        index = (int(index_text) if index_text else 0) if spec.kind.indexed else None
        kind = getattr(msg, "type", None)
        if kind == "control_change":
            source, number = "cc", msg.control
        elif kind == "note_on" and msg.velocity > 0:
            source, number = "note", msg.note
        elif kind == "pitchwheel":
            source, number = "pitchbend", None
        elif kind == "program_change":
            source, number = "program", None
        else:
            return None
        channel = msg.channel + 1
        mapping = Mapping(source, name, number, channel=None if channel == self.channel else channel, index=index)
        try:
            check_mapping(mapping)
        except LivedanceError:
            return None
        with self._lock:
            self.mappings = [
                old
                for old in self.mappings
                if not (
                    old.source == source
                    and old.number == number
                    and (self.channel if old.channel is None else old.channel) in (0, channel)
                )
            ] + [mapping]
            self._index()
        return f"{mapping.control_text()} ch {channel} -> {mapping.key}"

    # --- writing ---------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the patch in its own format (comments of a hand-written file are not kept)."""
        path = Path(path)
        with self._lock:
            mappings = list(self.mappings)
        lines = [
            (
                "# Written by livedance MIDI learn: one control per line; "
                "the options are described in patches/default.toml."
            ),
            f"name = {_toml_string(self.name)}",
            f"channel = {self.channel}  # the controller's MIDI channel 1-16; 0 = any",
            "",
            "controls = [",
            *(f"  {_toml_table(m)}," for m in mappings),
            "]",
            "",
        ]
        partial = path.with_name(path.name + ".partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text("\n".join(lines), encoding="utf-8")
            os.replace(partial, path)
        except OSError as exc:
            raise LivedanceError(f"{path}: cannot write the patch ({exc.strerror or exc})") from None


def _refuse(bus, source: str, reason: str) -> None:
    try:
        bus.refuse(source, reason)
    except Exception:
        log.debug("caught", exc_info=True)
        pass


# --- the TOML writer (this format only) -----------------------------------------------------
def _toml_string(text: str) -> str:
    """JSON's string escapes are TOML basic-string escapes; TOML also wants DEL escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_number(value) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _toml_table(m: Mapping) -> str:
    if m.source in ("cc", "note"):
        parts = [f"{m.source} = {m.number}"]
    elif m.source == "osc":
        parts = [f"osc = {_toml_string(m.address)}"]
    elif m.source == "audio":
        parts = [f"audio = {_toml_string(m.feature)}"]
    else:
        parts = [f"{m.source} = true"]
    if m.channel is not None:
        parts.append(f"channel = {m.channel}")
    parts.append(f"param = {_toml_string(m.param)}")
    if m.index is not None:
        parts.append(f"index = {m.index}")
    if m.curve is not None:
        parts.append(f"curve = {_toml_string(m.curve)}")
    if m.range is not None:
        parts.append(f"range = [{_toml_number(m.range[0])}, {_toml_number(m.range[1])}]")
    for key in ("invert", "relative"):
        if getattr(m, key):
            parts.append(f"{key} = true")
    for key in ("takeover", "button"):
        if getattr(m, key) is not None:
            parts.append(f"{key} = {_toml_string(getattr(m, key))}")
    for key in ("amount", "attack", "release", "sensitivity"):
        if getattr(m, key) is not None:
            parts.append(f"{key} = {_toml_number(getattr(m, key))}")
    return "{ " + ", ".join(parts) + " }"


# --- documentation and lookup ---------------------------------------------------------------
def markdown_layout(patch: Patch) -> str:
    """A README table of one patch: control | parameter | how."""
    lines = ["| control | parameter | how |", "|---|---|---|"]
    for m in patch.mappings:
        control = m.control_text()
        if m.channel is not None:
            control += f" ch {m.channel}" if m.channel else " any channel"
        cells = (control, f"`{m.key}`", _how(m))
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def resolve_patch_path(text: str) -> Path:
    """A patch file as given, else one shipped in patches/ ("nanokontrol2" or "patches/x.toml"),
    found from any working directory."""
    path = Path(text).expanduser()
    if path.is_file():
        return path
    candidates = []
    if not path.is_absolute():
        candidates.append(PROJECT_ROOT / path)
        if len(path.parts) == 1:
            candidates.append(PATCH_DIR / (path.name if path.suffix == ".toml" else f"{path.name}.toml"))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    shipped = ", ".join(sorted(p.stem for p in PATCH_DIR.glob("*.toml")))
    raise LivedanceError(f"{text}: no such patch file; expected a .toml path or a patch in patches/ ({shipped})")
