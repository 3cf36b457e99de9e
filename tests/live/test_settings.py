"""LiveSettings: what `livedance live`'s flags mean, and a bare show for everything else."""

import argparse

import pytest

from livedance.live.command import OSC_PORT, add_arguments
from livedance.live.settings import LiveSettings


def parsed(*flags: str) -> LiveSettings:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return LiveSettings.from_args(parser.parse_args(list(flags)))


def test_a_bare_show_has_no_controllers_and_no_camera():
    bare = LiveSettings()
    assert (bare.osc_port, bare.patch, bare.camera) == (None, None, None)


def test_the_command_s_defaults_listen_for_osc_and_midi_with_the_default_patch():
    settings = parsed()
    assert settings.osc_port == OSC_PORT and settings.midi and settings.patch == "default"
    assert settings.model == LiveSettings().model and settings.fps == LiveSettings().fps


@pytest.mark.parametrize(
    ("flags", "field", "value"),
    [
        (["--no-osc"], "osc_port", None),
        (["--no-midi"], "midi", False),
        (["--osc-port", "0"], "osc_port", 0),
        (["--midi-in", "a", "--midi-in", "tcp:127.0.0.1:5004"], "midi_in", ["a", "tcp:127.0.0.1:5004"]),
        (["--camera", "dance.mp4", "--camera-loop"], "camera_loop", True),
        (["--mode", "follow"], "mode", "follow"),
        (["--no-hud"], "hud", False),
        (["--dancers", "3"], "dancers", 3),
        (["--record-dir", "takes"], "record_dir", "takes"),
        (["--codec", "ffv1"], "codec", "ffv1"),
        (["--ndi", "stage left"], "ndi", "stage left"),
        (["--virtualcam"], "virtualcam", ""),
        (["--virtualcam", "/dev/video7"], "virtualcam", "/dev/video7"),
        (["--out-size", "1920x1080", "--no-alpha"], "alpha", False),
        (["--link"], "link", True),
        (["--link-quantum", "8"], "link_quantum", 8.0),
        (["--web", "0.0.0.0:8000"], "web", "0.0.0.0:8000"),
        (["--allow", "192.168.1.0/24", "--allow", "fd00::/8"], "allow", ["192.168.1.0/24", "fd00::/8"]),
        (["--no-web-preview"], "web_preview", False),
    ],
)
def test_each_flag_lands_in_its_setting(flags, field, value):
    assert getattr(parsed(*flags), field) == value
