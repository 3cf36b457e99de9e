"""A trained model bundle (models/NAME/): three ONNX networks and the manifest that ties them.

Render, eval and the live engine play bundles through onnxruntime alone, so a player never
pays TensorFlow's import time or memory. Latents come in two units: *raw* (what the encoder
emits and the decoder eats) and *normalised* ((z - mean) / std, what the LSTM step reads and
writes); `normalise` / `denormalise` convert between them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import GenerationConfig, from_dict
from .errors import LivedanceError

MANIFEST = "manifest.json"
FORMAT = 1
# name -> (input name, output name)
NETWORKS = {
    "encoder": ("frames", "latent"),
    "decoder": ("latent", "frames"),
    "step": ("window", "next"),
}
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"


def _import_onnxruntime():
    import onnxruntime

    # Warnings (severity 2) about providers and graph fusions are noise to a player.
    onnxruntime.set_default_logger_severity(3)
    return onnxruntime


def _session_options(onnxruntime, threads: int):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def _open_session(onnxruntime, path: Path, threads: int, providers: list[str]):
    """Open one network; a file onnxruntime cannot read becomes an error naming it."""
    try:
        return onnxruntime.InferenceSession(str(path), _session_options(onnxruntime, threads), providers=providers)
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf/RuntimeError types
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LivedanceError(f"{path}: not a readable ONNX network ({reason[:160]})") from None


def _open_with_cuda_probe(onnxruntime, path: Path, threads: int):
    """Try CUDA for the first network, quietly; the providers it really got decide the rest.

    onnxruntime-gpu lists CUDA as available on machines without a GPU (or without its CUDA
    libraries), logs a red error at severity 3 and falls back to CPU. The error is silenced by
    raising the logger's threshold to fatal for this one attempt only.
    """
    if CUDA not in onnxruntime.get_available_providers():
        return _open_session(onnxruntime, path, threads, [CPU]), [CPU]
    onnxruntime.set_default_logger_severity(4)
    try:
        session = _open_session(onnxruntime, path, threads, [CUDA, CPU])
    finally:
        onnxruntime.set_default_logger_severity(3)
    if CUDA in session.get_providers():
        return session, [CUDA, CPU]
    return session, [CPU]


def _float_list(manifest: dict, key: str, size: int, path: Path) -> np.ndarray:
    values = manifest.get(key)
    try:
        array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError):
        array = None
    if array is None or array.shape != (size,) or not np.all(np.isfinite(array)):
        raise LivedanceError(f"{path}: '{key}' must be a list of {size} finite numbers")
    return array


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise LivedanceError(f"{path}: missing; expected the manifest.json written by livedance export")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LivedanceError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise LivedanceError(f"{path}: expected a JSON object")
    if manifest.get("format") != FORMAT:
        raise LivedanceError(f"{path}: format {manifest.get('format')!r}; expected {FORMAT}")
    return manifest


def write_manifest(folder: Path, manifest: dict) -> None:
    """Rewrite the manifest atomically (a crash never leaves half a JSON file)."""
    path = Path(folder) / MANIFEST
    tmp = path.with_name(MANIFEST + ".part")
    try:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise LivedanceError(f"{path}: cannot rewrite ({exc.strerror})") from None


# The repo's shipped bundles (models/NAME), found from any working directory.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def resolve_bundle_path(path: str | os.PathLike) -> Path:
    """A relative path that isn't here is looked up beside the package too (models/default)."""
    folder = Path(path)
    if folder.is_dir() or folder.is_absolute():
        return folder
    shipped = PROJECT_ROOT / folder
    return shipped if shipped.is_dir() else folder


@dataclass
class Bundle:
    """A loaded bundle: call `Bundle.load(path)`, then encode / decode / step."""

    path: Path
    manifest: dict
    height: int
    width: int
    latent_dim: int
    window: int
    step_rate: float
    latent_mean: np.ndarray
    latent_std: np.ndarray
    generation: GenerationConfig
    sessions: dict = field(repr=False)
    provider: str = CPU

    @classmethod
    def load(cls, path: str | os.PathLike, providers: list[str] | None = None, threads: int = 2) -> "Bundle":
        """Read and check the manifest, check every network file, open onnxruntime sessions.

        `providers`: onnxruntime execution providers in order of preference; by default CUDA
        when it really works on this machine, else CPU.
        """
        folder = resolve_bundle_path(path)
        if not folder.is_dir():
            raise LivedanceError(f"{folder}: no such model bundle folder; expected models/NAME made by livedance export")
        manifest = read_manifest(folder)
        manifest_path = folder / MANIFEST
        try:
            frame = manifest["frame"]
            height, width = int(frame["height"]), int(frame["width"])
            latent_dim = int(manifest["latent_dim"])
            window = int(manifest["window"])
            step_rate = float(manifest["step_rate"])
        except (KeyError, TypeError, ValueError) as exc:
            raise LivedanceError(
                f"{manifest_path}: bad or missing {exc}; expected frame.height, frame.width, latent_dim, window, step_rate"
            ) from None
        if min(height, width, latent_dim, window) < 1 or not (np.isfinite(step_rate) and step_rate > 0):
            raise LivedanceError(f"{manifest_path}: frame, latent_dim, window and step_rate must be positive")
        latent_mean = _float_list(manifest, "latent_mean", latent_dim, manifest_path)
        latent_std = _float_list(manifest, "latent_std", latent_dim, manifest_path)
        if np.any(latent_std <= 0):
            raise LivedanceError(f"{manifest_path}: 'latent_std' must be positive")
        try:
            generation = from_dict(GenerationConfig, manifest.get("generation"))
            generation.noise, generation.mean_pull = float(generation.noise), float(generation.mean_pull)
        except (TypeError, ValueError, AttributeError):
            generation = None
        if generation is None or not (generation.noise >= 0 and 0 <= generation.mean_pull <= 1):
            raise LivedanceError(f"{manifest_path}: 'generation' must hold noise >= 0 and mean_pull in [0, 1]")

        files = {name: folder / f"{name}.onnx" for name in NETWORKS}
        for name, file in files.items():
            if not file.is_file():
                raise LivedanceError(f"{file}: missing; a bundle needs {', '.join(f.name for f in files.values())}")

        onnxruntime = _import_onnxruntime()
        sessions = {}
        names = list(NETWORKS)
        if providers is None:
            sessions[names[0]], providers = _open_with_cuda_probe(onnxruntime, files[names[0]], threads)
        for name in names:
            if name not in sessions:
                sessions[name] = _open_session(onnxruntime, files[name], threads, list(providers))
        expected_input = {
            "encoder": (height, width, 1),
            "decoder": (latent_dim,),
            "step": (window, latent_dim),
        }
        for name, session in sessions.items():
            _check_signature(files[name], session, *NETWORKS[name], expected_input[name])

        used = {name: session.get_providers()[0] for name, session in sessions.items()}
        distinct = set(used.values())
        provider = distinct.pop() if len(distinct) == 1 else ", ".join(f"{n}: {p}" for n, p in used.items())
        return cls(
            path=folder,
            manifest=manifest,
            height=height,
            width=width,
            latent_dim=latent_dim,
            window=window,
            step_rate=step_rate,
            latent_mean=latent_mean,
            latent_std=latent_std,
            generation=generation,
            sessions=sessions,
            provider=provider,
        )

    # --- units -------------------------------------------------------------------------
    def normalise(self, latents: np.ndarray) -> np.ndarray:
        """Raw latents -> the LSTM's units (per-dimension zero mean, unit std over the data)."""
        return ((np.asarray(latents, np.float32) - self.latent_mean) / self.latent_std).astype(np.float32, copy=False)

    def denormalise(self, latents_norm: np.ndarray) -> np.ndarray:
        return (np.asarray(latents_norm, np.float32) * self.latent_std + self.latent_mean).astype(np.float32, copy=False)

    # --- networks ------------------------------------------------------------------------
    def encode(self, ink: np.ndarray) -> np.ndarray:
        """Ink frames (N, H, W[, 1]) float in [0, 1], 1 = figure -> raw latents (N, latent_dim)."""
        ink = np.asarray(ink, np.float32)
        if ink.ndim == 3:
            ink = ink[..., None]
        self._check_shape("encoder", ink, (self.height, self.width, 1))
        return self._run("encoder", ink)

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """Raw latents (N, latent_dim) -> ink frames (N, H, W, 1) in [0, 1]."""
        latents = np.asarray(latents, np.float32)
        self._check_shape("decoder", latents, (self.latent_dim,))
        return self._run("decoder", latents)

    def step(self, window_norm: np.ndarray) -> np.ndarray:
        """Normalised windows (N, window, latent_dim) -> the predicted next latent (N, latent_dim), normalised."""
        window_norm = np.asarray(window_norm, np.float32)
        self._check_shape("step", window_norm, (self.window, self.latent_dim))
        return self._run("step", window_norm)

    def _run(self, name: str, array: np.ndarray) -> np.ndarray:
        input_name, output_name = NETWORKS[name]
        if len(array) == 0:
            shape = {"encoder": (self.latent_dim,), "decoder": (self.height, self.width, 1), "step": (self.latent_dim,)}[name]
            return np.zeros((0, *shape), np.float32)
        (out,) = self.sessions[name].run([output_name], {input_name: np.ascontiguousarray(array)})
        return out

    def _check_shape(self, name: str, array: np.ndarray, item_shape: tuple) -> None:
        if array.ndim != len(item_shape) + 1 or array.shape[1:] != item_shape:
            raise LivedanceError(
                f"{self.path / (name + '.onnx')}: input of shape {array.shape}; expected (N, {', '.join(map(str, item_shape))})"
            )

    def describe(self) -> str:
        """One line for logs: what was loaded and where it runs."""
        return (
            f"{self.path}: {self.height}x{self.width} frames, {self.latent_dim}-d latents, window {self.window}, "
            f"{self.step_rate:g} steps/s, on {self.provider}"
        )


def _check_signature(path: Path, session, input_name: str, output_name: str, item_shape: tuple) -> None:
    """The names the bundle format fixes, and the input's fixed sizes against the manifest."""
    inputs = {i.name: i.shape for i in session.get_inputs()}
    outputs = [o.name for o in session.get_outputs()]
    if input_name not in inputs or output_name not in outputs:
        raise LivedanceError(
            f"{path}: has inputs {list(inputs)} and outputs {outputs}; expected input '{input_name}' and output '{output_name}'"
        )
    shape = list(inputs[input_name])[1:]
    fixed = len(shape) == len(item_shape) and all(not isinstance(a, int) or a == b for a, b in zip(shape, item_shape))
    if not fixed:
        raise LivedanceError(
            f"{path}: input '{input_name}' has shape {['N', *shape]}; the manifest says (N, {', '.join(map(str, item_shape))})"
        )
