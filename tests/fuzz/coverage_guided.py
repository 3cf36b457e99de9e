"""Coverage-guided fuzzing of the OSC packet handler and the patch parser with atheris (libFuzzer).

Not part of CI: hypothesis (test_fuzz_*.py) draws inputs from grammars; this mutates bytes
towards new branches of livedance, python-osc and tomllib, for as long as it is given. A
finding is an input that makes the handler log an exception from the code past parsing (a bug
a refusal hid), queue a control out of range, or makes the patch loader raise anything but a
LivedanceError; libFuzzer then writes it to crash-<hash> and stops.

    pip install 'livedance[fuzz]'   # atheris: Linux and macOS wheels for CPython 3.11
    PYTHONPATH=. python tests/fuzz/coverage_guided.py osc -max_total_time=180 -print_final_stats=1
    PYTHONPATH=. python tests/fuzz/coverage_guided.py patch -max_total_time=180 -print_final_stats=1

Any further arguments are libFuzzer's (a corpus folder to keep what it learned, -runs=N, ...).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import atheris

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]

with atheris.instrument_imports(include=["livedance", "pythonosc", "tomllib"]):
    import tomllib  # noqa: F401  instrumented: the patch parser's branches guide the mutations

    from caught import caught
    from in_range import drained

    from livedance.control.controls import ControlBus
    from livedance.control.osc import OscServer
    from livedance.control.patch import PATCH_DIR, Patch
    from livedance.errors import LivedanceError

HANDLING = ("_message", "_parameter", "_pong", "_sync", "translate_osc", "offer", "from_osc")


def osc_target():
    server = OscServer(ControlBus(), port=0, patch=Patch.load(PATCH_DIR / "touchosc.toml")).start()
    sender = ("127.0.0.1", 9)  # pongs and sync replies go to the discard port on loopback

    def one(data: bytes) -> None:
        with caught() as log:
            server._datagram(data, sender, time.perf_counter())
        bugs = log.raised_in(*HANDLING)
        if bugs:
            raise AssertionError(bugs)
        drained(server.bus)  # asserts every control's range

    return one


def patch_target():
    def one(data: bytes) -> None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return  # Patch.load refuses these before parsing (tests/fuzz/test_fuzz_patch.py)
        try:
            Patch.from_text(text, source="<fuzz>")
        except LivedanceError as exc:
            if "\n" in str(exc) or not str(exc).startswith("<fuzz>"):
                raise AssertionError(f"not one line naming the file: {exc}") from None

    return one


TARGETS = {"osc": osc_target, "patch": patch_target}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv.pop(1)]()
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
