"""A trained model bundle (models/NAME/): three ONNX networks and the manifest that ties them.

Render, eval and the live engine play bundles through onnxruntime alone, so a player never
pays TensorFlow's import time or memory. Latents come in two units: *raw* (what the encoder
emits and the decoder eats) and *normalised* ((z - mean) / std, what the LSTM step reads and
writes); `normalise` / `denormalise` convert between them.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.metadata
import io
import json
import logging
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from livedance.config import MAX_MOTION_GAIN, PROJECT_ROOT, GenerationConfig, from_dict
from livedance.errors import LivedanceError, one_line
from livedance.runtime import integrity

log = logging.getLogger(__name__)

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


def import_onnxruntime():
    import onnxruntime  # noqa: PLC0415  deferred: manifests and the CLI load without it

    # Warnings (severity 2) about providers and graph fusions are noise to a player.
    onnxruntime.set_default_logger_severity(3)
    return onnxruntime


# Threads of the process-wide pool once it exists (0: it could not be made), see _shared_pool.
_shared_pool_threads: int | None = None


def _shared_pool(onnxruntime, threads: int) -> bool:
    """Make (once per process) the intra-op thread pool that sessions opened `shared` use.

    With a pool per session, the step and decoder sessions a live loop alternates every frame
    keep two sets of threads on a few cores, and each set's waiting delays the other's work.
    """
    global _shared_pool_threads
    if _shared_pool_threads is None:
        try:
            # onnxruntime exposes the global pool only through its binding module.
            onnxruntime.capi._pybind_state.set_global_thread_pool_sizes(threads, 1)  # noqa: SLF001
            _shared_pool_threads = threads
        except Exception:  # made by someone else, or an onnxruntime without it: per-session pools
            log.debug("caught", exc_info=True)
            _shared_pool_threads = 0
    return _shared_pool_threads > 0


def _session_options(onnxruntime, threads: int, spinning: bool = True, shared: bool = False):
    """`spinning`: worker threads busy-wait for the next op; fast for batches, but on a few cores
    it takes the CPU from everything else a live loop does. `shared`: use the process-wide
    thread pool (see `_shared_pool`)."""
    options = onnxruntime.SessionOptions()
    # Once the process-wide pool exists, onnxruntime refuses sessions with pools of their own.
    if (shared and _shared_pool(onnxruntime, threads)) or _shared_pool_threads:
        options.use_per_session_threads = False
    else:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def open_session(
    onnxruntime,
    path: Path,
    threads: int,
    providers: list[str],
    spinning: bool = True,
    shared: bool = False,
    model: bytes | None = None,
):
    """Open one network (from `model`, its bytes already read, where given); a file onnxruntime
    cannot read becomes an error naming it."""
    try:
        options = _session_options(onnxruntime, threads, spinning, shared)
        return onnxruntime.InferenceSession(str(path) if model is None else model, options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf/RuntimeError types
        raise LivedanceError(f"{path}: not a readable ONNX network ({one_line(exc, 160, first=True)})") from None


# Accelerators in order of preference (where this onnxruntime build has them); CPU is the last resort.
COREML = "CoreMLExecutionProvider"
DIRECTML = "DmlExecutionProvider"
ACCELERATORS = {CUDA: "CUDA", COREML: "CoreML", DIRECTML: "DirectML"}


def _preload_cuda(onnxruntime) -> None:
    """Load CUDA/cuDNN from pip's nvidia-* wheels (onnxruntime-gpu[cuda,cudnn]) when they are there.

    Without this a user with an NVIDIA driver would also need a system-wide CUDA toolkit. Its
    complaints about libraries it cannot find are dropped: the fallback line says what is missing.
    """
    preload = getattr(onnxruntime, "preload_dlls", None)
    if preload is None:
        return
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            preload()
        except Exception:  # a best effort: the session probe that follows is the real test
            log.debug("caught", exc_info=True)
            pass


def _onnxruntime_package() -> str:
    for name in ("onnxruntime-gpu", "onnxruntime-directml", "onnxruntime"):
        try:
            importlib.metadata.version(name)
            return name
        except importlib.metadata.PackageNotFoundError:
            continue
    return "onnxruntime"


def _cuda_problem(onnxruntime) -> str:
    """Why a CUDA session fell back to CPU, in a few words a user can act on."""
    windows = sys.platform == "win32"
    try:
        ctypes.CDLL("nvcuda.dll" if windows else "libcuda.so.1")
    except OSError:
        return "no NVIDIA driver"
    library = Path(onnxruntime.__file__).parent / "capi"
    library /= "onnxruntime_providers_cuda.dll" if windows else "libonnxruntime_providers_cuda.so"
    try:
        ctypes.CDLL(str(library))
    except OSError as exc:
        missing = re.search(r"[\w.+-]+\.(?:so[\w.]*|dll)", str(exc))
        what = missing.group(0) if missing else "its CUDA libraries"
        return f"{what} not found; pip install 'onnxruntime-gpu[cuda,cudnn]'"
    return "the CUDA session did not start (unsupported GPU or no free memory)"


def _open_preferred(
    onnxruntime, path: Path, threads: int, spinning: bool = True, shared: bool = False, model: bytes | None = None
):
    """Open the first network on the best provider that really works; returns (session, providers, note).

    onnxruntime-gpu lists CUDA as available on machines without a GPU (or without its CUDA
    libraries), logs a red error and falls back to CPU. Each accelerator is tried with the
    logger's threshold at fatal, and the providers the session really got decide the rest;
    `note` says, in one line, which accelerators were skipped and why ("" when none was).
    """
    available = onnxruntime.get_available_providers()
    notes, fallback = [], None
    for accelerator, short in ACCELERATORS.items():
        if accelerator not in available:
            continue
        if accelerator == CUDA:
            _preload_cuda(onnxruntime)
        onnxruntime.set_default_logger_severity(4)
        try:
            session = onnxruntime.InferenceSession(
                str(path) if model is None else model,
                _session_options(onnxruntime, threads, spinning, shared),
                providers=[accelerator, CPU],
            )
        except Exception as exc:  # a network this provider cannot compile; CPU decides below
            log.debug("%s", one_line(exc), exc_info=True)
            notes.append(f"{short} failed: {one_line(exc, 120, first=True)}")
            continue
        finally:
            onnxruntime.set_default_logger_severity(3)
        if accelerator in session.get_providers()[:1]:
            return session, [accelerator, CPU], "; ".join(notes)
        if session.get_providers() == [CPU]:
            fallback = session  # already what the CPU attempt would open
        why = _cuda_problem(onnxruntime) if accelerator == CUDA else "the session fell back to CPU"
        notes.append(f"{short} listed by {_onnxruntime_package()} but unusable: {why}")
    session = fallback or open_session(onnxruntime, path, threads, [CPU], spinning, shared, model)
    return session, [CPU], "; ".join(notes)


def _float_list(manifest: dict, key: str, size: int, path: Path) -> np.ndarray:
    values = manifest.get(key)
    try:
        array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int past any float
        array = None
    if array is None or array.shape != (size,) or not np.all(np.isfinite(array)):
        has = f"; it has {len(values)}" if isinstance(values, list) and len(values) != size else ""
        raise LivedanceError(f"{path}: '{key}' must be a list of {size} (latent_dim) finite numbers{has}")
    return array


def _check_folder(folder: Path) -> None:
    """The bundle's path is a folder this user can list, with something in it."""
    expected = f"expected a folder with {MANIFEST}, {', '.join(f'{name}.onnx' for name in NETWORKS)}"
    if folder.is_file():
        raise LivedanceError(f"{folder}: a file, not a model bundle folder; {expected}")
    if not folder.is_dir():
        raise LivedanceError(f"{folder}: no such model bundle folder; expected models/NAME made by livedance export")
    try:
        with os.scandir(folder) as entries:
            empty = next(entries, None) is None
    except OSError as exc:
        raise LivedanceError(f"{folder}: cannot read the model bundle folder ({exc.strerror}); {expected}") from None
    if empty:
        raise LivedanceError(f"{folder}: an empty folder; {expected} (made by livedance export)")


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise LivedanceError(f"{path}: missing; expected the manifest.json written by livedance export")
    try:
        text = path.read_bytes()  # decoded by json.loads, whose errors are caught below
    except OSError as exc:
        raise LivedanceError(f"{path}: cannot read ({exc.strerror}); expected a file this user can read") from None
    try:
        manifest = json.loads(text)
    # ValueError: also an int of more digits than Python converts; RecursionError: arrays nested thousands deep
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
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


def resolve_bundle_path(path: str | os.PathLike) -> Path:
    """A relative path that isn't here is looked up beside the package too (models/default)."""
    folder = Path(path)
    if folder.is_dir() or folder.is_absolute():
        return folder
    shipped = PROJECT_ROOT / folder
    return shipped if shipped.is_dir() else folder


def shipped_bundles() -> list[str]:
    """The bundles in models/ (here, then beside the package), by folder name: what a MIDI
    program change or `/livedance/model i` counts through."""
    names: list[str] = []
    for root in (Path("models"), PROJECT_ROOT / "models"):
        if root.is_dir():
            for folder in sorted(root.iterdir()):
                if (folder / MANIFEST).is_file() and folder.name not in names:
                    names.append(folder.name)
    return names


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
    # Why a preferred accelerator was not used ("" when none was skipped or providers were given).
    provider_note: str = ""

    @classmethod
    def load(
        cls,
        path: str | os.PathLike,
        providers: list[str] | None = None,
        threads: int = 2,
        spinning: bool = True,
        shared_threads: bool = False,
    ) -> "Bundle":
        """Read and check the manifest, check every network file, open onnxruntime sessions.

        `providers`: onnxruntime execution providers in order of preference; by default the
        first of CUDA, CoreML, DirectML that really works on this machine, else CPU.
        Live loops want `spinning=False, shared_threads=True` (see `_session_options`).
        Each network is read once, checked against the manifest and handed to onnxruntime as
        those bytes, so it must be one self-contained file (no external weights; export writes
        them so).
        """
        folder = resolve_bundle_path(path)
        _check_folder(folder)
        manifest = read_manifest(folder)
        manifest_path = folder / MANIFEST
        try:
            frame = manifest["frame"]
            height, width = int(frame["height"]), int(frame["width"])
            latent_dim = int(manifest["latent_dim"])
            window = int(manifest["window"])
            step_rate = float(manifest["step_rate"])
        except (KeyError, TypeError, ValueError, OverflowError) as exc:  # OverflowError: int(Infinity), float(10**400)
            raise LivedanceError(
                f"{manifest_path}: bad or missing {exc}; "
                "expected frame.height, frame.width, latent_dim, window, step_rate"
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
        except (TypeError, ValueError, AttributeError, OverflowError):
            generation = None
        if generation is None or not (0 <= generation.noise < math.inf and 0 <= generation.mean_pull <= 1):
            raise LivedanceError(f"{manifest_path}: 'generation' must hold a finite noise >= 0 and mean_pull in [0, 1]")
        try:
            generation.motion_gain = float(generation.motion_gain)
        except (TypeError, ValueError, OverflowError):
            generation.motion_gain = math.nan
        if not (0 < generation.motion_gain <= MAX_MOTION_GAIN):
            raise LivedanceError(
                f"{manifest_path}: 'generation.motion_gain' must be a number in (0, {MAX_MOTION_GAIN:g}]"
            )
        if not isinstance(generation.reproject, bool):
            raise LivedanceError(
                f"{manifest_path}: 'generation.reproject' is {generation.reproject!r}; expected true or false"
            )

        files = {name: folder / f"{name}.onnx" for name in NETWORKS}
        for name, file in files.items():
            if not file.is_file():
                raise LivedanceError(f"{file}: missing; a bundle needs {', '.join(f.name for f in files.values())}")
        contents = {file: integrity.read_bytes(file) for file in files.values()}
        integrity.check(manifest, manifest_path, contents)

        onnxruntime = import_onnxruntime()
        sessions = {}
        names = list(NETWORKS)
        note = ""
        if providers is None:
            sessions[names[0]], providers, note = _open_preferred(
                onnxruntime, files[names[0]], threads, spinning, shared_threads, contents[files[names[0]]]
            )
        for name in names:
            if name not in sessions:
                sessions[name] = open_session(
                    onnxruntime, files[name], threads, list(providers), spinning, shared_threads, contents[files[name]]
                )
        frames, latent = (height, width, 1), (latent_dim,)
        expected = {"encoder": (frames, latent), "decoder": (latent, frames), "step": ((window, latent_dim), latent)}
        for name, session in sessions.items():
            _check_signature(files[name], session, *NETWORKS[name], *expected[name])

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
            provider_note=note,
        )

    # --- units -------------------------------------------------------------------------
    def normalise(self, latents: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Raw latents -> the LSTM's units (per-dimension zero mean, unit std over the data).

        `out` (float32, the result's shape, may be `latents` itself): written into instead of a new array."""
        latents = np.asarray(latents, np.float32)
        if out is None:
            return ((latents - self.latent_mean) / self.latent_std).astype(np.float32, copy=False)
        np.subtract(latents, self.latent_mean, out=out)
        return np.divide(out, self.latent_std, out=out)

    def denormalise(self, latents_norm: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The LSTM's units -> raw latents; `out` as in `normalise`."""
        latents_norm = np.asarray(latents_norm, np.float32)
        if out is None:
            return (latents_norm * self.latent_std + self.latent_mean).astype(np.float32, copy=False)
        np.multiply(latents_norm, self.latent_std, out=out)
        return np.add(out, self.latent_mean, out=out)

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
            shape = {
                "encoder": (self.latent_dim,),
                "decoder": (self.height, self.width, 1),
                "step": (self.latent_dim,),
            }[name]
            return np.zeros((0, *shape), np.float32)
        (out,) = self.sessions[name].run([output_name], {input_name: np.ascontiguousarray(array)})
        return out

    def _check_shape(self, name: str, array: np.ndarray, item_shape: tuple) -> None:
        if array.ndim != len(item_shape) + 1 or array.shape[1:] != item_shape:
            raise LivedanceError(
                f"{self.path / (name + '.onnx')}: input of shape {array.shape}; "
                f"expected (N, {', '.join(map(str, item_shape))})"
            )

    def describe(self) -> str:
        """One line for logs: what was loaded and where it runs."""
        return (
            f"{self.path}: {self.height}x{self.width} frames, {self.latent_dim}-d latents, window {self.window}, "
            f"{self.step_rate:g} steps/s, on {self.provider}"
        )


def _check_signature(
    path: Path, session, input_name: str, output_name: str, input_shape: tuple, output_shape: tuple
) -> None:
    """The names and float type the bundle format fixes, and the fixed sizes against the manifest."""
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    if input_name not in inputs or output_name not in outputs:
        raise LivedanceError(
            f"{path}: has inputs {list(inputs)} and outputs {list(outputs)}; "
            f"expected input '{input_name}' and output '{output_name}'"
        )
    for kind, arg, item_shape in (
        ("input", inputs[input_name], input_shape),
        ("output", outputs[output_name], output_shape),
    ):
        if arg.type != "tensor(float)":
            raise LivedanceError(f"{path}: {kind} '{arg.name}' is {arg.type}; expected tensor(float) (float32)")
        shape = list(arg.shape)[1:]
        fixed = len(shape) == len(item_shape) and all(
            not isinstance(a, int) or a == b for a, b in zip(shape, item_shape)
        )
        if not fixed:
            raise LivedanceError(
                f"{path}: {kind} '{arg.name}' has shape {['N', *shape]}; "
                f"the manifest says (N, {', '.join(map(str, item_shape))})"
            )
