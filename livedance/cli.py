"""`livedance` command line: one subcommand per module, imported only when it runs.

Each command module has `add_arguments(parser)` and `run(args)`. Only the module of the
command being run is imported (its help included), so `render` and `live` never load
what `train` needs (TensorFlow above all), and `livedance --help` loads nothing.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from livedance import logs
from livedance.errors import LivedanceError

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("livedance.data.synth", "make a procedural dancer dataset (and optionally its BVH)"),
    "mocap": ("livedance.data.mocap", "render BVH motion capture into a silhouette dataset"),
    "ingest": ("livedance.data.ingest", "turn videos into a silhouette dataset"),
    "train": ("livedance.training.train", "train the autoencoder and the LSTM (needs the train extras)"),
    "export": ("livedance.training.export", "export a trained run to an ONNX model bundle"),
    "render": ("livedance.tools.render", "render a dance video from a model bundle"),
    "eval": ("livedance.tools.eval", "measure a model bundle: reconstruction, prediction, long generation"),
    "live": (
        "livedance.live.command",
        "play a model bundle live: a window or fullscreen, keys, or headless to a video",
    ),
    "replay": ("livedance.tools.replay", "dance a recorded performance again from its control log, at any size"),
    "midi": ("livedance.control.midi", "list MIDI inputs, or print what one sends (to write a patch by)"),
    "audio": ("livedance.audio.command", "list the audio inputs live --audio can listen to"),
    "soak": ("livedance.tools.soak", "play the whole instrument for an hour of scripted input and say if it held"),
    "bench": ("livedance.tools.bench", "measure the live path: latency, frames/s at 1920x1080, start-up, memory"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command with its help line; only `command`'s module is imported, for its arguments."""
    parser = argparse.ArgumentParser(
        prog="livedance", description="A live instrument that dreams up silhouette dance video."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        if name != command:
            sub.add_parser(name, help=help_text)
            continue
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip().splitlines()[0])
        module.add_arguments(p)
        add_diagnostics(p)
    return parser


def add_diagnostics(parser: argparse.ArgumentParser) -> None:
    """The logging options every command takes."""
    group = parser.add_argument_group("diagnostics")
    group.add_argument("--verbose", action="store_true", help="say more on the console, tracebacks included")
    group.add_argument("--log-file", metavar="FILE", help="append everything logged, with tracebacks, to FILE")


def command_named(argv: list[str]) -> str | None:
    """The command in `argv`: its first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_named(argv))
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        logs.setup(args.verbose, args.log_file)
        result = module.run(args)
    except LivedanceError as exc:
        print(f"livedance {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"livedance {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        logs.shutdown()
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
