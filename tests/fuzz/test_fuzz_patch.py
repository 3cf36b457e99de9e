"""Patch fuzzing: files broken in every way through the real loader (tomllib, the line finder,
each control's checks).

A patch either loads, with mappings that pass their own checks and that survive being saved
and loaded again, or is refused with a LivedanceError of one line that names the file; never
any other exception.
"""

import itertools
from pathlib import Path

import pytest
from fuzz_budget import fuzz
from hypothesis import HealthCheck, event, given
from toml_text import BYTES, TEXTS, controls

from livedance.control.patch import Patch
from livedance.errors import LivedanceError

BIG = [HealthCheck.too_slow, HealthCheck.data_too_large]  # megabyte files are slow to draw, by design
NUMBER = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("patches")


def load(folder: Path, raw: bytes) -> None:
    path = folder / f"fuzz{next(NUMBER)}.toml"
    path.write_bytes(raw)
    try:
        patch = Patch.load(path)
    except LivedanceError as exc:
        text = str(exc)
        assert text.startswith(f"{path}") and "\n" not in text, text
        event("refused: " + ("not TOML" if "not valid TOML" in text else "not UTF-8" if "UTF-8" in text else "checks"))
        return
    finally:
        path.unlink()
    event(f"loaded, {min(len(patch.mappings), 2)}{'+' if len(patch.mappings) >= 2 else ''} mappings")
    again = folder / f"saved{next(NUMBER)}.toml"
    patch.save(again)
    try:
        reloaded = Patch.load(again)
    finally:
        again.unlink()
    assert (reloaded.name, reloaded.channel, reloaded.mappings) == (patch.name, patch.channel, patch.mappings)


@fuzz(300, suppress_health_check=BIG)
@given(text=TEXTS)
def test_any_text_loads_or_is_one_line_naming_the_file(folder, text):
    load(folder, text.encode("utf-8", "surrogatepass"))


@fuzz(100)
@given(raw=BYTES)
def test_any_bytes_load_or_are_one_line_naming_the_file(folder, raw):
    load(folder, raw)


@fuzz(300)
@given(table=controls())
def test_one_control_line_loads_and_saves_the_same_or_is_one_line(folder, table):
    load(folder, f'name = "fuzz"\ncontrols = [\n  {table},\n]\n'.encode())
