import json

import numpy as np
import onnxruntime as ort
import pytest

pytest.importorskip("tf2onnx")

from drawn_dancer import drawn_dataset  # noqa: E402

from livedance.cli import main  # noqa: E402
from livedance.runtime import integrity  # noqa: E402
from livedance.training import export  # noqa: E402


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("export")
    data = drawn_dataset().save(base / "drawn.npz")
    run = base / "run"
    assert (
        main(["train", "--data", str(data), "--out", str(run), "--epochs-ae", "1", "--epochs-lstm", "1", "--quiet"])
        == 0
    )
    return run


def test_bundle_files_and_parity(tmp_path, run_dir, capsys):
    out = tmp_path / "bundle"
    assert main(["export", str(run_dir), "--out", str(out), "--noise", "0.25", "--motion-gain", "1.3"]) == 0
    printed = capsys.readouterr().out
    for name in ("encoder", "decoder", "step"):
        assert f"{name}.onnx max |onnx - keras|" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["frame"] == {"height": 120, "width": 200}
    assert manifest["latent_dim"] == 128 and manifest["window"] == 10 and manifest["step_rate"] == 12.0
    assert len(manifest["latent_mean"]) == 128 and min(manifest["latent_std"]) > 0
    assert manifest["generation"]["noise"] == 0.25 and manifest["generation"]["motion_gain"] == 1.3
    assert manifest["generation"]["reproject"] is True
    assert manifest["architecture"]["autoencoder"]["arch"] == "default"
    assert manifest["data"][0]["hash"] and manifest["validation_clips"]
    assert max(manifest["parity"].values()) <= export.PARITY_LIMIT
    assert {"tensorflow", "tf2onnx", "onnxruntime", "keras"} <= set(manifest["versions"])
    # Each network's size and hash, which loading checks (livedance.runtime.integrity).
    assert manifest["files"] == integrity.describe([out / f"{name}.onnx" for name in ("encoder", "decoder", "step")])
    # The files are real ONNX models with the documented names and shapes.
    shapes = {"encoder": ("frames", "latent"), "decoder": ("latent", "frames"), "step": ("window", "next")}
    for name, (inp, outp) in shapes.items():
        session = ort.InferenceSession(str(out / f"{name}.onnx"), providers=["CPUExecutionProvider"])
        assert session.get_inputs()[0].name == inp and session.get_outputs()[0].name == outp
    step = ort.InferenceSession(str(out / "step.onnx"), providers=["CPUExecutionProvider"])
    assert step.run(None, {"window": np.zeros((3, 10, 128), np.float32)})[0].shape == (3, 128)


def test_parity_failure_is_an_error(tmp_path, run_dir, monkeypatch, capsys):
    monkeypatch.setattr(export, "PARITY_LIMIT", -1.0)
    assert main(["export", str(run_dir), "--out", str(tmp_path / "b")]) == 2
    assert "differs from Keras" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_bad_motion_gain_is_refused_before_converting(tmp_path, run_dir, capsys):
    assert main(["export", str(run_dir), "--out", str(tmp_path / "b"), "--motion-gain", "9"]) == 2
    assert "--motion-gain 9: expected a number in (0, 4]" in capsys.readouterr().err


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "no such run folder"),
        (lambda p: p.mkdir(), "config.json: missing"),
    ],
)
def test_bad_run_folder(tmp_path, capsys, make, message):
    make(tmp_path / "run")
    assert main(["export", str(tmp_path / "run"), "--out", str(tmp_path / "b")]) == 2
    assert message in capsys.readouterr().err
