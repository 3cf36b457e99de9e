"""List the machine's audio inputs, for `livedance live --audio N|NAME`.

    livedance audio --list

Live input goes through PortAudio (the `audio` extra); where it is missing this says so in
one line. Audio files need nothing of it: `livedance live --audio song.wav`.
"""

from __future__ import annotations

import argparse

from livedance.audio.source import input_devices, sounddevice_module
from livedance.errors import LivedanceError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--list", action="store_true", help="print the audio inputs, one per line (the default)")


def run(args: argparse.Namespace) -> int:
    sd = sounddevice_module()
    try:
        devices = input_devices(sd)
        default = sd.default.device[0]
    except Exception as exc:  # PortAudio's own errors
        raise LivedanceError(f"audio inputs: PortAudio could not list them ({exc})") from None
    for index, name, channels in devices:
        mark = "   (default)" if index == default else ""
        print(f"{index:3d}  {name}  ({channels} ch){mark}")
    if not devices:
        print("no audio inputs (an audio file still works: --audio song.wav)")
    return 0
