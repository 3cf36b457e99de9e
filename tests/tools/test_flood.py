"""Floods against a running show (`livedance soak --flood`), and the flood senders themselves."""

import json
import subprocess
import sys

import pytest
from pythonosc.osc_packet import OscPacket
from pythonosc.osc_packet import ParseError as PacketError
from pythonosc.parsing.osc_types import ParseError

from livedance.cli import build_parser
from livedance.errors import LivedanceError
from livedance.tools.flood import midi_messages, osc_packets, require_loopback, web_messages
from livedance.tools.soak import soak


def flooded(kind: str, tmp_path, *extra):
    argv = ["soak", "--minutes", "0.25", "--size", "480x270", "--no-camera", "--flood", kind]
    argv += ["--flood-seconds", "4", "--flood-rate", "5000", "--record-dir", str(tmp_path), *extra]
    return soak(build_parser("soak").parse_args(argv))


def counts(report, source: str) -> dict[str, int]:
    words = report.controls[source].replace(",", "").split()  # "N received, N clamped, N refused"
    return {words[i + 1]: int(words[i]) for i in range(0, len(words), 2)}


@pytest.mark.parametrize("address", ["10.0.0.1", "192.168.1.20", "8.8.8.8", "::ffff:10.1.1.1"])
def test_a_flood_refuses_any_target_but_loopback(address):
    with pytest.raises(LivedanceError, match="loopback only"):
        require_loopback(address)


def test_a_flood_command_aimed_off_loopback_sends_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "livedance.tools.flood", "osc", "--host", "10.0.0.1", "--port", "9", "--seconds", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "loopback only" in done.stderr and done.stdout == ""


def test_the_osc_mix_is_mostly_wrong():
    parsed = 0
    for packet in osc_packets():
        try:
            OscPacket(packet)
            parsed += 1
        except (ParseError, PacketError):
            pass
    assert 0 < parsed < len(osc_packets())  # some valid, some that do not even parse


def test_the_midi_and_web_mixes_hold_what_breaks_things():
    assert any(m.type == "sysex" and len(m.data) >= 1000 for m in midi_messages())
    assert any(m.type == "clock" for m in midi_messages())
    texts = [m for m in web_messages() if isinstance(m, str)]
    assert any(len(m) > 1024 for m in texts) and any(isinstance(m, bytes) for m in web_messages())
    assert sum(1 for m in texts if m.startswith("{") and '"name"' in m) >= 3


def test_an_osc_flood_is_served_and_refused_while_the_show_plays(tmp_path):
    report = flooded("osc", tmp_path, "--no-web")
    flood = report.floods[0]
    assert flood["kind"] == "osc" and flood["sent"] > 1000
    osc = counts(report, "osc")
    assert osc["refused"] > 0 and osc["received"] > report.played["messages"]
    assert report.problems == [] and report.flood_fps > 0
    json.dumps(report.floods)


def test_a_midi_flood_reaches_the_mapping_and_the_show_plays_on(tmp_path):
    report = flooded("midi", tmp_path, "--no-web")
    assert report.floods[0]["sent"] > 1000
    assert counts(report, "midi")["received"] > 0
    assert report.problems == [] and report.out_of_range == []


def test_a_web_client_sending_garbage_is_refused_and_the_show_plays_on(tmp_path):
    report = flooded("web", tmp_path)
    assert report.floods[0]["sent"] > 0 and report.floods[0]["connections"] >= 1
    assert counts(report, "web")["refused"] > 0
    assert report.problems == [] and report.out_of_range == []
