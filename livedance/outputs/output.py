"""What the feed hands the show's frames to: a stream (`Sink`), a recording, anything with these five.

Each output says the picture it wants (`size`, and `channels`: 3 for BGR, 4 for keyed BGRA)
and takes frames through `offer`, which must never wait: a stream drops what it could not
send (latest-value slot), a recording leaves out what its queue could not hold; both count.
`repeat` is how many display slots the frame covered (a late frame stands for those it
missed): a file keeps the show's timing with it, a live stream needs only the newest frame.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Output(Protocol):
    kind: str  # what the HUD and the summary call it: "ndi", "record"...
    size: tuple[int, int]  # (width, height) of the frames it takes
    channels: int  # 3: BGR; 4: BGRA, the figure keyed over transparent

    def wants(self, t: float) -> bool:
        """Whether a frame shown at `t` would be taken: the feed draws an output's own size only then."""
        ...

    def offer(self, frame: np.ndarray, t: float, repeat: int = 1) -> bool:
        """Take the frame shown at show time `t`, or count it lost; never waits."""
        ...

    def status(self) -> str:
        """One line for the HUD."""
        ...
