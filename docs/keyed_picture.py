"""Make docs/keyed.png: the dancer rendered keyed (`livedance render --alpha`) laid over another layer
through its alpha, as a VJ's mixer does. Run from the project root: python docs/keyed_picture.py"""

import subprocess
import sys
import tempfile
from pathlib import Path

import av
import cv2
import numpy as np

SIZE = (960, 540)
SECONDS_IN = (0.9, 2.1, 3.3)  # three moments of the same dance, one per panel


def layer(width: int, height: int) -> np.ndarray:
    """Another layer in the mix: stage-light gradients and a grid, BGR."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    hue = ((x / width * 120 + y / height * 60) % 180).astype(np.uint8)
    hsv = np.dstack(
        [hue, np.full_like(hue, 200), (90 + 120 * np.exp(-((x - width * 0.7) ** 2) / 6e4)).astype(np.uint8)]
    )
    picture = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    picture[::48] = picture[::48] // 2
    picture[:, ::48] = picture[:, ::48] // 2
    return picture


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "key.mov"
        command = [sys.executable, "-m", "livedance", "render", "--alpha", "--seed", "7", "--seconds", "4"]
        command += ["--fps", "30", "--size", f"{SIZE[0]}x{SIZE[1]}", "--fg", "#ffffff", "--out", str(key)]
        subprocess.run(command, check=True)
        with av.open(str(key)) as file:
            frames = [f.to_ndarray(format="bgra") for f in file.decode(video=0)]
    panels = []
    under = layer(*SIZE).astype(np.float32)
    for seconds in SECONDS_IN:
        frame = frames[round(seconds * 30)].astype(np.float32)
        alpha = frame[..., 3:] / 255.0  # straight alpha: colour x alpha over the layer x (1 - alpha)
        panels.append(np.round(frame[..., :3] * alpha + under * (1.0 - alpha)).astype(np.uint8))
    strip = np.concatenate(
        [cv2.resize(p, (SIZE[0] // 2, SIZE[1] // 2), interpolation=cv2.INTER_AREA) for p in panels], 1
    )
    cv2.imwrite(str(Path(__file__).with_name("keyed.png")), strip)
    return 0


if __name__ == "__main__":
    sys.exit(main())
