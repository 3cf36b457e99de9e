"""The control page, generated from the registry: every parameter in its group, as its kind plays best.

A number that glides is a fader over its natural range (0..1 positions on the wire, so a
geometric speed knob sits at 1 in the middle, as MIDI's does); a whole number with a few values,
a choice and a preset are rows of buttons; a switch is a toggle button, a trigger a button; a
colour is a colour picker; a latent vector is a fader per dimension. A kind the page does not
know yet is a text field that sends what is typed, so a parameter added to the registry is on
the page without touching this file. The window's keys are on the page too: the table
`live.keys` builds is embedded as JSON (read by the script with JSON.parse, never evaluated).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from importlib import resources

from livedance.control import params as _params
from livedance.control.params import Param

MAX_BUTTONS = 9  # a whole number or a choice with at most this many values is a row of buttons
STATIC = ("app.js", "style.css")  # what the server serves from static/, and nothing else


@dataclass(frozen=True)
class PageOptions:
    """What only the running show knows: choices it supplies (models), labels for values (preset
    names), the latent size of the model and the keys (browser key -> control message)."""

    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    labels: dict[str, dict[int, str]] = field(default_factory=dict)
    latent_dims: int = 0
    keys: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class Widget:
    """One parameter's control on the page: `control` names what the script wires up, `options`
    are (label, value) for rows of buttons and lists."""

    param: Param
    control: str  # fader, buttons, select, toggle, trigger, colour, number, vector, text
    options: tuple[tuple[str, object], ...] = ()


def widget(param: Param, options: PageOptions) -> Widget:
    """The control a parameter gets, from its kind's flags and its range."""
    kind = param.kind
    labels = options.labels.get(param.name, {})
    if kind.fires:
        if param.numeric and kind.whole(param):
            low, high = int(param.low or 0), int(param.high or 0)
            return Widget(param, "buttons", tuple((labels.get(n, str(n)), n) for n in range(low, high + 1)))
        return Widget(param, "trigger")
    if kind.switch:
        return Widget(param, "toggle")
    if kind.indexed:
        return Widget(param, "vector", tuple((str(i), i) for i in range(options.latent_dims)))
    if kind.number and kind.whole(param):
        low, high = int(param.low or 0), int(param.high or 0)
        if high - low < MAX_BUTTONS:
            return Widget(param, "buttons", tuple((str(n), n) for n in range(low, high + 1)))
        return Widget(param, "fader" if high - low <= 100 else "number")
    if kind.number:
        return Widget(param, "fader")
    if kind.name == "colour":
        return Widget(param, "colour")
    choices = options.choices.get(param.name, param.choices)
    if kind.by_program and choices:  # a choice: by name
        rows = tuple((labels.get(i, name), name) for i, name in enumerate(choices))
        return Widget(param, "buttons" if len(choices) <= MAX_BUTTONS else "select", rows)
    return Widget(param, "text")


def _attrs(**values: object) -> str:
    return " ".join(f'{name.replace("_", "-")}="{html.escape(str(value))}"' for name, value in values.items())


def _fader(name: str, label: str, index: int | None = None, note: str = "") -> str:
    index_attr = "" if index is None else f' data-index="{index}"'
    return (
        f'<label class="fader"><span class="name">{html.escape(label)} <small>{html.escape(note)}</small></span>'
        f'<output></output><input type="range" min="0" max="1" step="0.001" {_attrs(data_name=name)}{index_attr}>'
        "</label>"
    )


def _box(head: str, inner: str, wide: bool = True) -> str:
    return f'<div class="control{" wide" if wide else ""}" {head}>{inner}</div>'


def _labelled(name: str, inner: str) -> str:
    return f'<label><span class="name">{html.escape(name)}</span>{inner}</label>'


def render_widget(w: Widget) -> str:
    """One widget's HTML: the element the script finds by data-name and data-control."""
    p = w.param
    name, control = p.name, w.control
    head = _attrs(data_name=name, data_control=control, title=p.help)
    if control == "fader":
        glide = f", glide {p.smoothing:g} s" if p.smoothing else ""
        return _box(head, _fader(name, name, note=f"{p.low:g} .. {p.high:g}{glide}"))
    if control == "vector":  # folded: a phone's screen would be all latent faders
        faders = "".join(_fader(name, f"{name} {i}", i) for i in range(len(w.options)))
        return _box(head, f'<details><summary class="name">{name} ({len(w.options)})</summary>{faders}</details>')
    if control in ("toggle", "trigger"):
        return _box(head, f'<button type="button">{html.escape(name)}</button>', wide=False)
    if control == "buttons":
        buttons = "".join(
            f'<button type="button" {_attrs(data_value=json.dumps(value))}>{html.escape(label)}</button>'
            for label, value in w.options
        )
        return _box(head, f'<span class="name">{name}</span><div class="row">{buttons}</div>')
    if control == "select":
        items = "".join(f"<option {_attrs(value=value)}>{html.escape(label)}</option>" for label, value in w.options)
        return _box(head, _labelled(name, f"<select>{items}</select>"))
    if control == "colour":
        return _box(head, _labelled(name, '<input type="color">'), wide=False)
    if control == "number":
        bounds = _attrs(min=f"{p.low:g}", max=f"{p.high:g}", step=1)
        return _box(head, _labelled(name, f'<input type="number" inputmode="numeric" {bounds}>'), wide=False)
    return _box(head, _labelled(name, '<input type="text">'), wide=False)


def render(options: PageOptions) -> str:
    """The whole page: status and preview, then the registry's groups in its order."""
    sections = []
    for group in _params.GROUPS:
        widgets = [render_widget(widget(p, options)) for p in _params.REGISTRY.values() if p.group == group]
        sections.append(f'<section class="group" data-group="{group}"><h2>{group}</h2>{"".join(widgets)}</section>')
    keys = json.dumps(options.keys, separators=(",", ":")).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>livedance</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<header>
<h1>livedance <span id="connection" class="offline">offline</span></h1>
<img id="preview" alt="what the show plays">
<pre id="status"></pre>
</header>
<main>
{"".join(sections)}
</main>
<script type="application/json" id="keys">{keys}</script>
<script src="/static/app.js"></script>
</body>
</html>
"""


def static_file(name: str) -> bytes:
    """One of the page's static files, from the package (no path from a request reaches here)."""
    if name not in STATIC:
        raise KeyError(name)
    return resources.files("livedance.web").joinpath("static", name).read_bytes()
