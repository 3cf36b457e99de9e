"""Export a trained run to an ONNX model bundle (needs the `train` extras).

The bundle (models/NAME/) is what render, eval and the live instrument load, with no
TensorFlow:
  encoder.onnx   frames [N,120,200,1] ink (1 = figure)  -> latent [N,128] raw
  decoder.onnx   latent [N,128] raw                      -> frames [N,120,200,1] ink
  step.onnx      window [N,10,128] normalised latents    -> next [N,128] normalised
  manifest.json  how it was made and how to play it (frame size, latent stats, step rate...)
                 and each network's size and SHA-256, checked at load (livedance.runtime.integrity)

The step model takes the whole window rather than carrying LSTM state: it matches how the
model was trained, and any window (a seed, a captured dancer) can be swapped in at once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
from pathlib import Path

import numpy as np

from livedance import __version__
from livedance.config import MAX_MOTION_GAIN, RunConfig, to_dict
from livedance.errors import LivedanceError
from livedance.runtime import integrity

PARITY_LIMIT = 1e-4
OPSET = 17


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="runs/NAME", help="a run folder made by livedance train")
    parser.add_argument("--out", required=True, metavar="models/NAME", help="bundle folder to write")
    parser.add_argument("--noise", type=float, default=None, help="generation noise to store as the bundle's default")
    parser.add_argument(
        "--motion-gain",
        type=float,
        default=None,
        help="generation motion gain to store as the bundle's default (1 = as the LSTM predicts)",
    )


def _load(run: Path, name: str):
    import keras

    path = run / f"{name}.keras"
    if not path.is_file():
        raise LivedanceError(f"{path}: missing; expected a finished `livedance train` run")
    return keras.models.load_model(path, compile=False)


def _convert(model, input_name: str, shape: tuple, path: Path) -> None:
    import tensorflow as tf
    import tf2onnx

    spec = [tf.TensorSpec(shape, tf.float32, name=input_name)]
    tf2onnx.convert.from_keras(model, input_signature=spec, opset=OPSET, output_path=str(path))


def _parity(model, path: Path, sample: np.ndarray) -> float:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: sample})[0]
    want = model(sample, training=False).numpy()
    return float(np.abs(got - want).max())


def _versions() -> dict:
    import keras
    import onnx
    import onnxruntime
    import tensorflow as tf
    import tf2onnx

    return {
        "livedance": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "tf2onnx": tf2onnx.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def export(run: Path, out: Path, noise: float | None = None, motion_gain: float | None = None) -> dict:
    config_path = run / "config.json"
    if not config_path.is_file():
        raise LivedanceError(f"{config_path}: missing; expected a run folder made by livedance train")
    described = json.loads(config_path.read_text())
    cfg = RunConfig.from_dict(described)
    latents_path = run / "latents.npz"
    if not latents_path.is_file():
        raise LivedanceError(f"{latents_path}: missing; the run's LSTM phase has not started")
    with np.load(latents_path) as z:
        latents, mean, std = z["latents"], z["mean"], z["std"]
    encoder, decoder, predictor = (_load(run, n) for n in ("encoder", "decoder", "predictor"))

    ae = cfg.autoencoder
    w = cfg.predictor.window
    tmp = out.with_name(out.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rng = np.random.default_rng(0)
    norm = ((latents - mean) / std).astype(np.float32)
    picks = rng.integers(0, max(len(latents) - w, 1), 4)
    samples = {
        "encoder": rng.random((4, ae.height, ae.width, 1), dtype=np.float32),
        "decoder": latents[picks].astype(np.float32),
        "step": np.stack([norm[i : i + w] for i in picks]).astype(np.float32)
        if len(norm) >= w
        else rng.standard_normal((4, w, ae.latent_dim), dtype=np.float32),
    }
    parity = {}
    for name, model, input_name, shape in (
        ("encoder", encoder, "frames", (None, ae.height, ae.width, 1)),
        ("decoder", decoder, "latent", (None, ae.latent_dim)),
        ("step", predictor, "window", (None, w, ae.latent_dim)),
    ):
        path = tmp / f"{name}.onnx"
        _convert(model, input_name, shape, path)
        parity[name] = _parity(model, path, samples[name])
        print(f"livedance export: {name}.onnx max |onnx - keras| = {parity[name]:.2e}")
    worst = max(parity, key=parity.__getitem__)
    if parity[worst] > PARITY_LIMIT:
        shutil.rmtree(tmp, ignore_errors=True)
        raise LivedanceError(
            f"{worst}.onnx differs from Keras by {parity[worst]:.2e}; expected at most {PARITY_LIMIT:g}"
        )

    generation = cfg.generation
    if noise is not None:
        generation.noise = float(noise)
    if motion_gain is not None:
        generation.motion_gain = float(motion_gain)
    manifest = {
        "format": 1,
        "name": out.name,
        "frame": {"height": ae.height, "width": ae.width},
        "latent_dim": ae.latent_dim,
        "window": w,
        "step_rate": float(described.get("fps", 12.0)),
        "latent_mean": [float(v) for v in mean],
        "latent_std": [float(v) for v in std],
        "generation": to_dict(generation),
        "architecture": {"autoencoder": to_dict(ae), "predictor": to_dict(cfg.predictor)},
        "training": to_dict(cfg.train),
        "data": described.get("sources", []),
        "validation_clips": described.get("validation_clips", []),
        "parity": parity,
        integrity.FILES: integrity.describe([tmp / f"{name}.onnx" for name in ("encoder", "decoder", "step")]),
        "eval": {},
        "versions": _versions(),
        "credits": sorted(
            {
                s["meta"].get("credit")
                for s in described.get("sources", [])
                if isinstance(s.get("meta"), dict) and s["meta"].get("credit")
            }
        ),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return manifest


def run(args) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    run_dir, out = Path(args.run_dir), Path(args.out)
    if not run_dir.is_dir():
        raise LivedanceError(f"{run_dir}: no such run folder; expected one made by livedance train")
    if args.motion_gain is not None and not (0 < args.motion_gain <= MAX_MOTION_GAIN):
        raise LivedanceError(f"--motion-gain {args.motion_gain:g}: expected a number in (0, {MAX_MOTION_GAIN:g}]")
    export(run_dir, out, args.noise, args.motion_gain)
    print(f"livedance export: wrote {out}/ (encoder.onnx, decoder.onnx, step.onnx, manifest.json)")
    return 0
