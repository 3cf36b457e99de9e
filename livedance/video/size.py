"""Output frame sizes as users type them (1280x720)."""

from __future__ import annotations

import re

from livedance.errors import LivedanceError

MAX_SIDE = 8192


def parse_size(text: str, what: str = "--size") -> tuple[int, int]:
    """'1280x720' -> (1280, 720); even sides, as video codecs need. `what` names the input in errors."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", str(text))
    if not match:
        raise LivedanceError(f"{what} {text!r}: expected WIDTHxHEIGHT, e.g. 1280x720")
    width, height = int(match.group(1)), int(match.group(2))
    if not (16 <= width <= MAX_SIDE and 16 <= height <= MAX_SIDE) or width % 2 or height % 2:
        raise LivedanceError(f"{what} {text!r}: expected even sides between 16 and {MAX_SIDE} pixels")
    return width, height
