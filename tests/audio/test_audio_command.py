"""`livedance audio --list`."""

import pytest

from livedance.cli import main


def test_listing_inputs_without_portaudio_is_one_line(capsys):
    try:
        import sounddevice  # noqa: F401
    except OSError:
        pass
    else:
        pytest.skip("PortAudio is installed here")
    assert main(["audio", "--list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("livedance audio: error: live audio input needs PortAudio") and "\n" not in err
