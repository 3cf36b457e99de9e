"""What this machine lacks for live audio input, for the tests of the one line that says so."""

import pytest


@pytest.fixture
def live_input_lacks() -> str:
    """The start of the one-line reason live input can't work here ("live audio input needs
    sounddevice" without the audio extra, "... needs PortAudio" without the library); skips where
    both are there."""
    try:
        import sounddevice  # noqa: F401, PLC0415  the import is the test: it loads PortAudio
    except ImportError:
        return "live audio input needs sounddevice"
    except OSError:
        return "live audio input needs PortAudio"
    pytest.skip("sounddevice and PortAudio are installed here: live input can work")
