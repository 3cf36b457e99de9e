"""A real headless Chromium for the page's tests, or a skip that says what to install."""

import os
import shutil

os.environ["SDL_VIDEODRIVER"] = "dummy"

import pytest  # noqa: E402

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PHONE = (390, 844)


def chromium(size=PHONE):
    """A headless Chromium through selenium and the OS's chromedriver; skips naming what is missing."""
    try:
        from selenium import webdriver
    except ImportError:
        pytest.skip("selenium is not installed: pip install -e '.[test]'")
    browser = next((path for path in map(shutil.which, BROWSERS) if path), None)
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip("no Chromium here: apt-get install chromium chromium-driver (.ci/run does)")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={size[0]},{size[1]}",
        # two pages at once: neither is a throttled background tab
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()
