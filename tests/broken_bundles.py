"""Model bundles broken in every way a user's disk can break them, for the start-up and the
mid-show switch tests: each case breaks a copy of the shipped models/default. Networks of the
wrong shape are real ONNX files (tiny_bundle.py). FAULTS is the table docs/reliability.md quotes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tiny_bundle
from onnx import TensorProto

from livedance.runtime import integrity

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "models" / "default"


def _manifest(folder: Path, **changes) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))


def _record(folder: Path) -> None:
    """Re-record the networks' sizes and hashes, as an export of these files would have."""
    _manifest(folder, files=integrity.describe([folder / f"{name}.onnx" for name in ("encoder", "decoder", "step")]))


def remove(name):
    return lambda folder: (folder / name).unlink()


def truncate(name, record=True):
    def cut(folder):
        path = folder / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        if not record:
            _manifest(folder, files=None)

    return cut


def flip(name):
    """64 bytes at random places inverted: most land in weights, which onnxruntime loads silently."""

    def corrupt(folder):
        path = folder / name
        data = bytearray(path.read_bytes())
        for i in random.Random(name).sample(range(len(data)), 64):
            data[i] ^= 0xFF
        path.write_bytes(bytes(data))

    return corrupt


def replace(name, input_item, output_item, elem_type=TensorProto.FLOAT):
    """`name`.onnx swapped for a real network of other shapes, its record updated (so the shape
    check, not the hash, is what refuses it: a bundle re-recorded by hand, or one from before the record)."""

    def swap(folder):
        tiny_bundle.network(folder / f"{name}.onnx", name, input_item, output_item, elem_type)
        _record(folder)

    return swap


def manifest(**changes):
    return lambda folder: _manifest(folder, **changes)


def write(name, content: bytes):
    return lambda folder: (folder / name).write_bytes(content)


def empty(folder):
    for path in folder.iterdir():
        path.unlink()


def a_file(folder):
    shutil.rmtree(folder)
    folder.write_text("not a bundle\n")


def nothing(folder):
    shutil.rmtree(folder)


FRAMES, LATENT = (120, 200, 1), (128,)

# (case, how the copy is broken, the file the line names, words the line must hold)
FAULTS = [
    ("no manifest", remove("manifest.json"), "manifest.json", "missing; expected the manifest.json"),
    ("no encoder", remove("encoder.onnx"), "encoder.onnx", "missing; a bundle needs encoder.onnx"),
    ("no decoder", remove("decoder.onnx"), "decoder.onnx", "missing; a bundle needs encoder.onnx"),
    ("no step", remove("step.onnx"), "step.onnx", "missing; a bundle needs encoder.onnx"),
    ("manifest not JSON", write("manifest.json", b'{"format": 1,'), "manifest.json", "not valid JSON"),
    ("manifest cut to nothing", write("manifest.json", b""), "manifest.json", "not valid JSON"),
    ("truncated encoder", truncate("encoder.onnx"), "encoder.onnx", "bytes; the manifest says 3653422 (cut short"),
    ("truncated decoder", truncate("decoder.onnx"), "decoder.onnx", "bytes; the manifest says 6480463 (cut short"),
    ("truncated step", truncate("step.onnx"), "step.onnx", "bytes; the manifest says 3822079 (cut short"),
    ("truncated, no record", truncate("step.onnx", record=False), "step.onnx", "not a readable ONNX network"),
    ("corrupt encoder", flip("encoder.onnx"), "encoder.onnx", "its bytes differ from the manifest's sha256"),
    ("corrupt decoder", flip("decoder.onnx"), "decoder.onnx", "its bytes differ from the manifest's sha256"),
    ("corrupt step", flip("step.onnx"), "step.onnx", "its bytes differ from the manifest's sha256"),
    ("junk decoder", write("decoder.onnx", b"not a network"), "decoder.onnx", "13 bytes; the manifest says"),
    (
        "encoder input 96x160",
        replace("encoder", (96, 160, 1), LATENT),
        "encoder.onnx",
        "input 'frames' has shape ['N', 96, 160, 1]; the manifest says (N, 120, 200, 1)",
    ),
    (
        "encoder output 64",
        replace("encoder", FRAMES, (64,)),
        "encoder.onnx",
        "output 'latent' has shape ['N', 64]; the manifest says (N, 128)",
    ),
    (
        "decoder output 60x100",
        replace("decoder", LATENT, (60, 100, 1)),
        "decoder.onnx",
        "output 'frames' has shape ['N', 60, 100, 1]; the manifest says (N, 120, 200, 1)",
    ),
    (
        "step window 8",
        replace("step", (8, 128), LATENT),
        "step.onnx",
        "input 'window' has shape ['N', 8, 128]; the manifest says (N, 10, 128)",
    ),
    (
        "decoder in float64",
        replace("decoder", LATENT, FRAMES, TensorProto.DOUBLE),
        "decoder.onnx",
        "input 'latent' is tensor(double); expected tensor(float) (float32)",
    ),
    (
        "manifest latent_dim 64",
        manifest(latent_dim=64),
        "manifest.json",
        "'latent_mean' must be a list of 64 (latent_dim) finite numbers; it has 128",
    ),
    (
        "manifest latent_dim 64, stats too",
        manifest(latent_dim=64, latent_mean=[0.0] * 64, latent_std=[1.0] * 64),
        "encoder.onnx",
        "output 'latent' has shape ['N', 128]; the manifest says (N, 64)",
    ),
    (
        "manifest frame 96x160",
        manifest(frame={"height": 96, "width": 160}),
        "encoder.onnx",
        "input 'frames' has shape ['N', 120, 200, 1]; the manifest says (N, 96, 160, 1)",
    ),
    (
        "manifest window 12",
        manifest(window=12),
        "step.onnx",
        "input 'window' has shape ['N', 10, 128]; the manifest says (N, 12, 128)",
    ),
    (
        "manifest files record broken",
        manifest(files={"encoder.onnx": "yes"}),
        "manifest.json",
        "'files' must give each network's bytes",
    ),
    ("empty folder", empty, "", "an empty folder; expected a folder with manifest.json, encoder.onnx"),
    ("a file, not a folder", a_file, "", "a file, not a model bundle folder; expected a folder with"),
    ("no such folder", nothing, "", "no such model bundle folder"),
]


def broken_copy(tmp_path: Path, breaks, name: str = "broken") -> Path:
    folder = tmp_path / name
    shutil.copytree(SHIPPED, folder)
    breaks(folder)
    return folder


# --- what this user may not read: permission bits hold for root only without its capabilities ----
def _locked_folder(folder: Path) -> None:
    folder.chmod(0)


def _locked(name):
    return lambda folder: (folder / name).chmod(0)


UNREADABLE = [
    ("unreadable folder", _locked_folder, "", "cannot read the model bundle folder (Permission denied)"),
    ("unreadable manifest", _locked("manifest.json"), "manifest.json", "cannot read (Permission denied)"),
    ("unreadable decoder", _locked("decoder.onnx"), "decoder.onnx", "cannot read (Permission denied)"),
]


def without_root_s_pass() -> list[str]:
    """A command prefix under which permission bits hold: as root, setpriv drops the capabilities
    that let root read anything; as anyone else, they hold already."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): permission bits cannot be made to hold")
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "pass"], capture_output=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"setpriv cannot drop capabilities here: {probe.stderr.decode(errors='replace').strip()}")
    return prefix


def unlock(folder: Path) -> None:
    """Undo UNREADABLE's locks, so the test's tmp_path can be cleaned up."""
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)


def run_python(prefix: list[str], args: list[str]) -> subprocess.CompletedProcess:
    """`python ARGS` in a fresh process (under `prefix`), with this checkout and tests/ importable."""
    paths = [str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    return subprocess.run([*prefix, sys.executable, *args], capture_output=True, text=True, env=env, timeout=300)
