"""The control page: generated from the registry, then played in a real headless Chromium against a
real headless instrument (the shipped bundle, SDL's dummy video driver, OSC over loopback)."""

import base64
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from waiting import wait_until

from livedance.control import params
from livedance.control.controls import ControlBus
from livedance.control.kinds import Kind
from livedance.control.osc import OscServer
from livedance.control.params import Param
from livedance.live.command import build
from livedance.live.keys import browser_keys
from livedance.live.settings import LiveSettings
from livedance.web.page import STATIC, PageOptions, render, static_file, widget
from livedance.web.server import WebServer

MODEL = str(Path(__file__).resolve().parents[2] / "models" / "default")
OPTIONS = PageOptions(choices={"model": ("default", "other")}, latent_dims=4, keys=browser_keys())


# --- generated from the registry ------------------------------------------------------------------
def test_every_parameter_is_on_the_page_in_its_group():
    page = render(OPTIONS)
    sections = re.findall(r'<section class="group" data-group="(\w+)">(.*?)</section>', page, re.S)
    assert [group for group, _ in sections] == list(params.GROUPS)
    for group, body in sections:
        names = re.findall(r'<div class="control[^"]*" data-name="(\w+)"', body)
        assert names == [p.name for p in params.REGISTRY.values() if p.group == group]


@pytest.mark.parametrize(
    "name, control, options",
    [
        ("speed", "fader", None),
        ("scale", "fader", None),
        ("steps_per_beat", "fader", None),
        ("seed", "number", None),
        ("dancers", "buttons", [1, 2, 3, 4, 5, 6, 7, 8]),
        ("freeze", "toggle", None),
        ("record", "toggle", None),
        ("reseed", "trigger", None),
        ("tap", "trigger", None),
        ("perturb", "trigger", None),
        ("preset", "buttons", list(range(1, 10))),
        ("mode", "buttons", ["generate", "follow", "continue"]),
        ("model", "buttons", ["default", "other"]),
        ("learn", "select", None),
        ("fg", "colour", None),
        ("latent", "vector", [0, 1, 2, 3]),
    ],
)
def test_each_kind_gets_the_control_it_plays_best_with(name, control, options):
    w = widget(params.REGISTRY[name], OPTIONS)
    assert w.control == control
    if options is not None:
        assert [value for _, value in w.options] == options


def test_a_kind_the_page_does_not_know_is_a_text_field():
    class Odd(Kind):
        name = "odd"
        positional = lambda self, param: False  # noqa: E731

    assert widget(Param("odd", Odd(), "a new kind", "show"), OPTIONS).control == "text"


def test_the_window_s_keys_are_embedded_as_data_not_code():
    page = render(OPTIONS)
    embedded = re.search(r'<script type="application/json" id="keys">(.*?)</script>', page, re.S).group(1)
    keys = json.loads(embedded)
    assert keys[" "] == {"name": "reseed"} and keys["f"] == {"name": "freeze", "op": "toggle"}
    assert keys["4"] == {"name": "preset", "value": 4} and "q" not in keys  # quit stays at the window
    assert "http" not in page.replace('"http', "")  # nothing from a CDN: the page works offline


def test_the_page_s_files_come_from_the_package_and_only_those():
    assert all(static_file(name) for name in STATIC)
    assert b"eval(" not in static_file("app.js") and b"innerHTML" not in static_file("app.js")
    with pytest.raises(KeyError):
        static_file("../server.py")


# --- in a real browser, against a real show -------------------------------------------------------
@pytest.fixture(scope="module")
def show(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    settings = LiveSettings(model=MODEL, fps=30.0, hud=False, osc_port=0, web="0", record_dir=str(folder))
    instrument = build(settings, headless=True, size=(320, 240))
    instrument.run(frames=2)
    yield instrument
    instrument.finish()
    instrument.close()


def server_of(show) -> WebServer:
    return next(source for source in show.inputs if isinstance(source, WebServer))


def play_until(show, predicate, timeout=20.0):
    """Run the show a few frames at a time until `predicate()` holds (the loop runs on this thread)."""

    def step():
        show.run(frames=3)
        return predicate()

    return wait_until(step, timeout, message=getattr(predicate, "__doc__", None))


def open_page(browser, url):
    browser.get(url)
    wait_until(lambda: browser.execute_script("return window.livedance && window.livedance.connected"), 10)


def fader(browser, name):
    return browser.find_element(By.CSS_SELECTOR, f'[data-name="{name}"] input[type="range"]')


def click(browser, css):
    """Tap a button as a finger would: scrolled clear of the sticky header first."""
    button = browser.find_element(By.CSS_SELECTOR, css)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def pressed(browser, name):
    return browser.find_element(By.CSS_SELECTOR, f'[data-name="{name}"] button').get_attribute("aria-pressed")


def logged(show, name):
    return [e for e in show.performance.log.events if e["type"] == "control" and e["name"] == name]


def test_moving_a_fader_plays_the_show(show, browser):
    open_page(browser, server_of(show).url)
    fader(browser, "scale").send_keys(Keys.END)  # the browser moves it to the top and fires its input event
    play_until(show, lambda: show.performance.look.scale == pytest.approx(2.0, abs=1e-3))
    assert logged(show, "scale")[-1]["value"] == pytest.approx(2.0) and logged(show, "scale")[-1]["source"] == "web"
    assert fader(browser, "scale").get_attribute("value") == "1"


def test_an_osc_message_moves_the_fader_on_the_page(show, browser):
    open_page(browser, server_of(show).url)
    osc = next(source for source in show.inputs if isinstance(source, OscServer))
    SimpleUDPClient("127.0.0.1", osc.port).send_message("/livedance/trails", 0.475)
    play_until(show, lambda: float(fader(browser, "trails").get_attribute("value")) == pytest.approx(0.5, abs=2e-3))
    output = browser.find_element(By.CSS_SELECTOR, '[data-name="trails"] output').text
    assert output == "0.475"


def test_the_window_s_keys_play_on_the_page(show, browser):
    open_page(browser, server_of(show).url)
    inverted = show.performance.look.invert
    browser.find_element(By.TAG_NAME, "body").send_keys("i")
    play_until(show, lambda: show.performance.look.invert != inverted)
    play_until(show, lambda: pressed(browser, "invert") == str(not inverted).lower())


def test_two_pages_stay_in_sync_and_a_new_one_starts_from_the_state(show, browser):
    url = server_of(show).url
    open_page(browser, url)
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    open_page(browser, url)
    second = browser.current_window_handle
    try:
        mirrored = show.performance.look.mirror
        click(browser, '[data-name="mirror"] button')
        play_until(show, lambda: show.performance.look.mirror != mirrored)
        click(browser, '[data-name="mode"] button[data-value=\'"generate"\']')
        fader(browser, "offset_x").send_keys(Keys.HOME)
        play_until(show, lambda: show.performance.look.offset_x == pytest.approx(-1.0, abs=1e-3))
        browser.switch_to.window(first)
        play_until(show, lambda: pressed(browser, "mirror") == str(not mirrored).lower())
        play_until(show, lambda: fader(browser, "offset_x").get_attribute("value") == "0")
        browser.refresh()  # a page that reconnects gets the current state
        wait_until(lambda: browser.execute_script("return window.livedance.connected"), 10)
        wait_until(lambda: fader(browser, "offset_x").get_attribute("value") == "0", 10)
        assert pressed(browser, "mirror") == str(not mirrored).lower()
    finally:
        browser.switch_to.window(second)
        browser.close()
        browser.switch_to.window(first)


PREVIEW_PIXELS = """
const image = document.getElementById("preview");
if (!image.complete || !image.naturalWidth) return null;
const canvas = document.createElement("canvas");
canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
canvas.getContext("2d").drawImage(image, 0, 0);
return [window.livedance.previews, canvas.toDataURL("image/png")];
"""


def preview(browser):
    got = browser.execute_script(PREVIEW_PIXELS)
    if not got:
        return None
    count, url = got
    png = np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8)
    return count, cv2.imdecode(png, cv2.IMREAD_GRAYSCALE)


def test_the_preview_shows_the_dancer_moving(show, browser):
    open_page(browser, server_of(show).url)
    show.bus.offer("freeze", False, "key")
    first = play_until(show, lambda: preview(browser))
    assert first[1].shape == (240, 320)  # 320 px wide, the window's shape

    def moved():
        later = preview(browser)
        return later is not None and later[0] > first[0] and np.abs(later[1].astype(int) - first[1]).mean() > 0.5

    play_until(show, moved)
    sink = next(sink for sink in show.feed.sinks if sink.kind == "preview")
    assert sink.sent >= 2


def test_the_status_line_is_the_hud_s(show, browser):
    open_page(browser, server_of(show).url)
    play_until(show, lambda: "fps" in browser.find_element(By.ID, "status").text)
    assert "dropped" in browser.find_element(By.ID, "status").text


def test_a_page_without_the_token_is_refused_when_open_to_the_network(browser):
    bus = ControlBus()
    with WebServer(bus, render(OPTIONS), port=0, token=True) as server:  # as a network host gets it, on loopback
        browser.get(f"http://127.0.0.1:{server.port}/")
        assert "refused" in browser.find_element(By.TAG_NAME, "body").text
        assert bus.count("web").refused >= 1 and "token" in bus.last_refusal  # the page (and its favicon)
        open_page(browser, server.url)  # the URL with the token: the page, its files and its socket
        click(browser, '[data-name="reseed"] button')
        wait_until(lambda: bus.count("web").received == 1)
        assert [c.name for c in bus.drain([])] == ["reseed"]
