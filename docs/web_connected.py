"""Ten minutes of the show at 1920x1080, 60 fps, with a browser on the control page and the preview on,
counted from when the page is connected (docs/benchmarks.md). The browser is a headless Chromium at
nice 19, a phone's stand-in on the same machine. Needs the web extra, selenium and Chromium with its
driver. Run from the project root: python docs/web_connected.py [SECONDS]"""

import os
import sys
import time
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"

from web_phone import phone  # noqa: E402

from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402
from livedance.web.server import WebServer  # noqa: E402
from livedance.worker import lower_priority, run_nicer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _nice_phone():
    lower_priority(19)  # the browser's processes, started from this thread, inherit it
    return phone()


def main(seconds: float) -> int:
    settings = LiveSettings(model=str(ROOT / "models" / "default"), fps=60.0, hud=False, web="127.0.0.1:0", midi=False)
    show = build(settings, headless=True, size=(1920, 1080))
    server = next(source for source in show.inputs if isinstance(source, WebServer))
    driver = run_nicer(_nice_phone)
    try:
        driver.get(server.url)
        began = time.monotonic()
        while not server.watching and time.monotonic() - began < 60:
            show.run(seconds=0.5)
        show.run(seconds=3.0)  # the page settles
        preview = next(sink for sink in show.feed.sinks if sink.kind == "preview")
        frames, dropped, sent = show.performance.frames, show.stats.dropped, preview.sent
        show.run(seconds=seconds)
        print(
            f"{show.performance.frames - frames} frames in {seconds:g} s with a browser connected, "
            f"{show.stats.dropped - dropped} dropped; preview sent {preview.sent - sent}, dropped {preview.dropped}"
        )
    finally:
        driver.quit()
        show.finish()
        show.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 600.0))
