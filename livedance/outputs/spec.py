"""One output as the performer names it: `--ndi "Stage,size=1920x1080,fps=30,alpha=off"`.

The name comes first (an NDI source, a Syphon or Spout server, a virtual camera's device; it
may be empty), then any of `size=WxH`, `fps=N` and `alpha=on|off`, each overriding for this
output alone what `--out-size`, the show's frame rate and `--alpha` say for all of them. So a
small preview window can feed a 1080p stream and a 720p camera at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from livedance.errors import LivedanceError
from livedance.video.size import parse_size

OPTIONS = ("size", "fps", "alpha")
SWITCH = {"on": True, "yes": True, "true": True, "1": True, "off": False, "no": False, "false": False, "0": False}


@dataclass(frozen=True)
class OutputSpec:
    name: str
    size: tuple[int, int] | None = None  # None: --out-size, or the window's
    fps: float | None = None  # None: every frame the show makes
    alpha: bool | None = None  # None: --alpha

    def resolved(self, size: tuple[int, int], alpha: bool) -> tuple[tuple[int, int], bool]:
        """This output's size and alpha, the show-wide ones where it names none."""
        return self.size or size, alpha if self.alpha is None else self.alpha


def parse_output(flag: str, text: str) -> OutputSpec:
    """`NAME[,size=WxH][,fps=N][,alpha=on|off]` -> OutputSpec; a mistake names the flag and the part."""
    name, *options = str(text).split(",")
    found: dict = {}
    for option in options:
        key, sep, value = option.partition("=")
        key, value = key.strip().lower(), value.strip()
        what = f"{flag} {text!r}"
        if not sep or key not in OPTIONS:
            raise LivedanceError(
                f"{what}: {option.strip()!r} is not an option; expected NAME then size=WxH, fps=N or alpha=on|off"
            )
        if key in found:
            raise LivedanceError(f"{what}: {key}= given twice")
        if key == "size":
            found["size"] = parse_size(value, f"{flag} size=")
        elif key == "fps":
            try:
                fps = float(value)
            except ValueError:
                fps = math.nan
            if not (math.isfinite(fps) and 0 < fps <= 1000):
                raise LivedanceError(f"{what}: fps={value!r}: expected a frame rate above 0, up to 1000")
            found["fps"] = fps
        else:
            if value.lower() not in SWITCH:
                raise LivedanceError(f"{what}: alpha={value!r}: expected on or off")
            found["alpha"] = SWITCH[value.lower()]
    return OutputSpec(name.strip(), **found)
