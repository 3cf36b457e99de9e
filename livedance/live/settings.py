"""What a show is built from: the bundle, the dance, the frame rate, the controllers and the camera.

`livedance live` fills it from its flags (`from_args`); bench, replay and the tests build one
directly. The defaults are a bare show: no OSC, no MIDI, no patch, no Link and no camera,
which each caller turns on by name.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields

from livedance.live.takes import RECORD_DIR

DEFAULT_MODEL = "models/default"
LEARN_FILE = "patches/learned.toml"


@dataclass
class LiveSettings:
    model: str = DEFAULT_MODEL
    dancers: int = 1
    seed: int = 0
    fps: float = 60.0  # 0 runs uncapped
    display: int = 0
    fullscreen: bool = False
    hud: bool | None = None  # None: on in a window, off fullscreen and headless
    record_dir: str = RECORD_DIR
    codec: str | None = None  # None: the file type's own (video.files)
    # Outputs besides the window (livedance.outputs), at `out_size` (None: the window's).
    ndi: str | None = None  # an NDI source name
    syphon: str | None = None
    spout: str | None = None
    virtualcam: str | None = None  # "" for the first free device, else a device path
    out_size: str | None = None
    alpha: bool = True  # keyed frames to the outputs that carry alpha
    # Controls: a patch maps MIDI (and OSC aliases); OSC listens when it has a port (0: any free one).
    patch: str | None = None
    osc_port: int | None = None
    osc_host: str = "127.0.0.1"
    osc_feedback: str | None = None
    midi: bool = True  # with a patch: open `midi_in`
    midi_in: list[str] | None = None  # port names, "all" or "tcp:HOST:PORT"; None: all
    learn_file: str = LEARN_FILE
    # Who may play a listener opened to the network (OSC, the page): CIDRs; this machine always.
    allow: list[str] | None = None
    # Tempo: join an Ableton Link session (the link extra), lining phases up every quantum beats.
    link: bool = False
    link_quantum: float = 4.0
    # The control page: "[HOST:]PORT" to serve it (None: no page), with the preview or without.
    web: str | None = None
    web_preview: bool = True
    # The camera: a device, or a video file standing in for one.
    camera: str | None = None
    camera_loop: bool = False
    segment: str = "mog2"
    segmenter: str | None = None
    camera_mirror: bool = False
    auto: bool = False
    mode: str = "generate"
    # Music: a live input or an audio file the dancer dances to, through an audio patch.
    audio: str | None = None
    audio_loop: bool = False
    audio_patch: str = "audio"
    audio_tempo: bool = True  # lock the step clock to the music's tempo and beat

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> LiveSettings:
        """The settings `livedance live`'s flags ask for (`--no-osc` and `--no-midi` turn them off)."""
        given = {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)}
        if getattr(args, "no_osc", False):
            given["osc_port"] = None
        given["midi"] = not getattr(args, "no_midi", False)
        given["audio_tempo"] = not getattr(args, "no_audio_tempo", False)
        return cls(**given)
