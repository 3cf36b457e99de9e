"""Make docs/web-phone.png: the control page (`livedance live --web`) on a phone-sized screen, in headless
Chromium, against a real headless show. Needs the web extra, selenium and Chromium with its driver
(apt-get install chromium chromium-driver). Run from the project root: python docs/web_phone.py"""

import os
import shutil
import sys
import time
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"

from selenium import webdriver  # noqa: E402

from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402
from livedance.web.server import WebServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "web-phone.png"
PHONE = {"width": 390, "height": 844, "pixelRatio": 2}  # an iPhone 12 to 15's viewport in CSS pixels


def phone() -> webdriver.Chrome:
    browser = next(path for path in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if path)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(argument)
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def main() -> int:
    settings = LiveSettings(model=str(ROOT / "models" / "default"), fps=60.0, hud=False, web="0")
    show = build(settings, headless=True, size=(1280, 720))
    server = next(source for source in show.inputs if isinstance(source, WebServer))
    for name, value in (("preset", 7), ("bpm", 124.0)):  # a show in progress: a preset, a tempo
        show.bus.offer(name, value, "key")
    show.run(frames=30)
    driver = phone()
    try:
        driver.get(server.url)
        ready = "return window.livedance.connected && window.livedance.previews > 3"
        end = time.monotonic() + 30
        while not driver.execute_script(ready) and time.monotonic() < end:
            show.run(frames=10)
        show.run(frames=60)  # the status line's next refresh, the dancer mid-move
        time.sleep(0.3)
        driver.save_screenshot(str(OUT))
    finally:
        driver.quit()
        show.finish()
        show.close()
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
