"""The documents' control tables, generated from the tables the code runs on.

Keys come from `keys.BINDINGS` (in the README), parameters and OSC addresses from
`params.REGISTRY` and controller layouts from the files in `patches/` (in
docs/controllers.md). Each lives between `<!-- generated: NAME -->` and
`<!-- end: NAME -->`; `python -m livedance.readme` rewrites them and a test fails when a
document and the code disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from livedance.config import PROJECT_ROOT
from livedance.control import osc, params
from livedance.control.patch import Patch, markdown_layout
from livedance.live.keys import markdown_keys

README = PROJECT_ROOT / "README.md"
CONTROLLERS = PROJECT_ROOT / "docs" / "controllers.md"
# Which document holds each generated section.
DOCUMENTS = {"keys": README, "parameters": CONTROLLERS, "osc": CONTROLLERS, "patches": CONTROLLERS}


def parameter_table() -> str:
    lines = ["| parameter | OSC arguments | default | what it does |", "|---|---|---|---|"]
    for group in params.GROUPS:
        for p in params.REGISTRY.values():
            if p.group == group:
                default = params.default_text(p)
                lines.append(f"| `{p.name}` | {p.kind.osc_help(p)} | {default} | {p.help} |")
    return "\n".join(lines)


def osc_table() -> str:
    lines = ["| address | arguments | what it does |", "|---|---|---|"]
    plain = {f"{osc.PREFIX}/{name}" for name in params.REGISTRY}
    for address, arguments, text in osc.address_rows():
        if address not in plain:
            lines.append(f"| `{address}` | {arguments} | {text} |")
    return "\n".join(lines)


def patch_layouts() -> str:
    parts = []
    for path in sorted((PROJECT_ROOT / "patches").glob("*.toml")):
        if path.name == "learned.toml":
            continue
        patch = Patch.load(path)
        about = " ".join(_leading_comment(path))
        parts.append(f"#### {patch.name} (`patches/{path.name}`)\n\n{about}\n\n{markdown_layout(patch)}")
    return "\n\n".join(parts)


def _leading_comment(path: Path) -> list[str]:
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return lines


SECTIONS = {"keys": markdown_keys, "parameters": parameter_table, "osc": osc_table, "patches": patch_layouts}


def sections(names: list[str] | None = None) -> dict[str, str]:
    """The generated sections (`names`, default all), as the code says them now."""
    return {name: SECTIONS[name]() for name in (SECTIONS if names is None else names)}


def render(text: str, names: list[str] | None = None) -> str:
    """`text` with its generated sections (`names`, default all) replaced by what the code says now."""
    for name, body in sections(names).items():
        pattern = re.compile(rf"(<!-- generated: {name} -->\n).*?(<!-- end: {name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"document has no <!-- generated: {name} --> section")
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text


def documents() -> dict[Path, list[str]]:
    """Each document and the generated sections it holds."""
    out: dict[Path, list[str]] = {}
    for name, path in DOCUMENTS.items():
        out.setdefault(path, []).append(name)
    return out


def main() -> int:
    for path, names in documents().items():
        path.write_text(render(path.read_text(), names))
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
