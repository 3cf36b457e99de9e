import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from livedance.errors import LivedanceError
from livedance.runtime.bundle import Bundle


def test_load_and_run(bundle_dir):
    bundle = Bundle.load(bundle_dir)
    assert (bundle.height, bundle.width, bundle.latent_dim, bundle.window) == (120, 200, 128, 10)
    assert bundle.step_rate > 0 and bundle.generation.noise >= 0
    assert "ExecutionProvider" in bundle.provider and "\n" not in bundle.provider
    ink = np.zeros((3, 120, 200, 1), np.float32)
    ink[:, 20:100, 80:120] = 1.0
    latents = bundle.encode(ink)
    assert latents.shape == (3, 128) and latents.dtype == np.float32
    decoded = bundle.decode(latents)
    assert decoded.shape == (3, 120, 200, 1) and 0 <= decoded.min() and decoded.max() <= 1
    window = bundle.normalise(np.stack([np.repeat(latents[:1], 10, axis=0)] * 2))
    assert bundle.step(window).shape == (2, 128)
    np.testing.assert_allclose(bundle.denormalise(bundle.normalise(latents)), latents, rtol=1e-5, atol=1e-4)
    assert bundle.decode(np.zeros((0, 128), np.float32)).shape == (0, 120, 200, 1)


def test_cpu_provider_on_request(bundle_dir):
    assert Bundle.load(bundle_dir, providers=["CPUExecutionProvider"]).provider == "CPUExecutionProvider"


def test_wrong_input_shape_names_the_network(bundle_dir):
    bundle = Bundle.load(bundle_dir)
    with pytest.raises(LivedanceError, match=r"decoder\.onnx: input of shape \(2, 64\)"):
        bundle.decode(np.zeros((2, 64), np.float32))
    with pytest.raises(LivedanceError, match=r"step\.onnx"):
        bundle.step(np.zeros((1, 9, 128), np.float32))


def _edit_manifest(**changes):
    def edit(folder):
        path = folder / "manifest.json"
        manifest = json.loads(path.read_text())
        manifest.update(changes)
        path.write_text(json.dumps(manifest))

    return edit


def _remove(name):
    return lambda folder: (folder / name).unlink()


def _write(name, content: bytes):
    return lambda folder: (folder / name).write_bytes(content)


def _truncate(name):
    def truncate(folder):
        path = folder / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])

    return truncate


def _swap(a, b):
    def swap(folder):
        shutil.copy(folder / b, folder / a)

    return swap


def _unrecorded(breaks):
    """As a bundle exported before manifests recorded their networks' bytes: onnxruntime's own checks."""

    def without_record(folder):
        _edit_manifest(files=None)(folder)
        breaks(folder)

    return without_record


BROKEN = [
    ("no manifest", _remove("manifest.json"), r"manifest\.json: missing"),
    ("manifest not json", _write("manifest.json", b"{not json"), r"manifest\.json: not valid JSON"),
    ("manifest a list", _write("manifest.json", b"[1, 2]"), r"manifest\.json: expected a JSON object"),
    ("wrong format", _edit_manifest(format=2), r"manifest\.json: format 2; expected 1"),
    ("no step rate", _edit_manifest(step_rate=None), r"manifest\.json: bad or missing"),
    ("short latent std", _edit_manifest(latent_std=[1.0] * 3), r"manifest\.json: 'latent_std' must be a list of 128"),
    ("zero latent std", _edit_manifest(latent_std=[0.0] * 128), r"manifest\.json: 'latent_std' must be positive"),
    ("bad generation", _edit_manifest(generation={"noise": -1}), r"manifest\.json: 'generation' must hold"),
    (
        "bad reproject",
        _edit_manifest(generation={"reproject": "yes"}),
        r"'generation\.reproject' is 'yes'; expected true",
    ),
    (
        "bad motion gain",
        _edit_manifest(generation={"motion_gain": 0}),
        r"'generation\.motion_gain' must be a number in",
    ),
    (
        "text motion gain",
        _edit_manifest(generation={"motion_gain": "x"}),
        r"'generation\.motion_gain' must be a number in",
    ),
    ("window mismatch", _edit_manifest(window=12), r"step\.onnx: input 'window' has shape"),
    ("no encoder", _remove("encoder.onnx"), r"encoder\.onnx: missing"),
    ("no decoder", _remove("decoder.onnx"), r"decoder\.onnx: missing"),
    ("no step", _remove("step.onnx"), r"step\.onnx: missing"),
    ("junk encoder", _write("encoder.onnx", b"not a network"), r"encoder\.onnx: 13 bytes; the manifest says"),
    ("empty decoder", _write("decoder.onnx", b""), r"decoder\.onnx: 0 bytes; the manifest says \d+ \(cut short"),
    ("truncated step", _truncate("step.onnx"), r"step\.onnx: \d+ bytes; the manifest says \d+ \(cut short"),
    ("decoder as step", _swap("step.onnx", "decoder.onnx"), r"step\.onnx: (\d+ bytes|its bytes differ)"),
    (
        "junk encoder, unrecorded",
        _unrecorded(_write("encoder.onnx", b"not a network")),
        r"encoder\.onnx: not a readable ONNX network",
    ),
    (
        "empty decoder, unrecorded",
        _unrecorded(_write("decoder.onnx", b"")),
        r"decoder\.onnx: not a readable ONNX network",
    ),
    ("truncated step, unrecorded", _unrecorded(_truncate("step.onnx")), r"step\.onnx: not a readable ONNX network"),
    (
        "decoder as step, unrecorded",
        _unrecorded(_swap("step.onnx", "decoder.onnx")),
        r"step\.onnx: has inputs \['latent'\]",
    ),
]


@pytest.mark.parametrize("case, breaks, message", BROKEN, ids=[case for case, _, _ in BROKEN])
def test_broken_bundle_names_the_file(bundle_dir, tmp_path, case, breaks, message):
    folder = tmp_path / "broken"
    shutil.copytree(bundle_dir, folder)
    breaks(folder)
    with pytest.raises(LivedanceError, match=message) as caught:
        Bundle.load(folder)
    assert "\n" not in str(caught.value)


def test_missing_folder(tmp_path):
    with pytest.raises(LivedanceError, match=r"nothing: no such model bundle folder"):
        Bundle.load(tmp_path / "nothing")


SHIPPED = Path(__file__).resolve().parents[2] / "models" / "default"
# Found by tests/fuzz: each of these escaped Bundle.load as something other than a LivedanceError,
# or (infinite noise) loaded a bundle that dances to infinity.
MANIFESTS = [
    ("arrays nested deep", lambda m: "[" * 5000 + "]" * 5000, r"manifest\.json: not valid JSON \(maximum recursion"),
    (
        "an int of 5000 digits",
        lambda m: '{"format": 1, "window": ' + "9" * 5000 + "}",
        r"manifest\.json: not valid JSON",
    ),
    (
        "infinite height",
        lambda m: {**m, "frame": {"height": math.inf, "width": 200}},
        r"manifest\.json: bad or missing",
    ),
    ("huge step rate", lambda m: {**m, "step_rate": 10**400}, r"manifest\.json: bad or missing"),
    ("huge latent mean", lambda m: {**m, "latent_mean": [10**400] * 128}, r"'latent_mean' must be a list of 128"),
    ("huge noise", lambda m: {**m, "generation": {**m["generation"], "noise": 10**400}}, r"'generation' must hold"),
    (
        "infinite noise",
        lambda m: {**m, "generation": {**m["generation"], "noise": math.inf}},
        r"'generation' must hold",
    ),
    ("huge motion gain", lambda m: {**m, "generation": {**m["generation"], "motion_gain": 10**400}}, r"motion_gain"),
]


@pytest.mark.parametrize("case, edit, message", MANIFESTS, ids=[case for case, _, _ in MANIFESTS])
def test_a_manifest_nobody_wrote_is_a_one_line_error(tmp_path, case, edit, message):
    folder = tmp_path / "default"
    shutil.copytree(SHIPPED, folder)
    manifest = edit(json.loads((folder / "manifest.json").read_text()))
    (folder / "manifest.json").write_text(manifest if isinstance(manifest, str) else json.dumps(manifest))
    with pytest.raises(LivedanceError, match=message) as caught:
        Bundle.load(folder, providers=["CPUExecutionProvider"])
    assert "\n" not in str(caught.value)
