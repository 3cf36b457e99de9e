"""The live engine: a bundle's step and decoder networks ready to run once per displayed frame.

StreamDiffusion's split: `prepare()` pays every one-off cost (sessions, buffers, warm-up runs
that let onnxruntime plan its memory), so that `step` and `decode` only compute. Both run
through onnxruntime IOBinding on CPU buffers that are allocated once: onnxruntime reads the
input from, and writes the output into, the same numpy arrays on every call.

Copy semantics: `step` and `decode` return the engine's own output buffers, the same array
objects every call, overwritten by the next call. Copy what you keep.
"""

from __future__ import annotations

import os
import time

import numpy as np

from livedance.errors import LivedanceError
from livedance.runtime.bundle import Bundle

# Warm-up runs per network in prepare(): the first calls allocate and plan; later ones don't.
WARMUP_CALLS = 3


class _BoundNetwork:
    """One onnxruntime session bound to a fixed-shape input and output buffer."""

    def __init__(self, onnxruntime, session, input_name: str, output_name: str, input_shape, output_shape):
        self.session = session
        self.input = np.zeros(input_shape, np.float32)
        self.output = np.zeros(output_shape, np.float32)
        # The OrtValues wrap the numpy buffers without copying; keep them alive with the binding.
        self._values = (
            onnxruntime.OrtValue.ortvalue_from_numpy(self.input),
            onnxruntime.OrtValue.ortvalue_from_numpy(self.output),
        )
        self.binding = session.io_binding()
        self.binding.bind_ortvalue_input(input_name, self._values[0])
        self.binding.bind_ortvalue_output(output_name, self._values[1])

    def run(self, array: np.ndarray) -> np.ndarray:
        if array is not self.input:
            np.copyto(self.input, array, casting="same_kind")
        self.session.run_with_iobinding(self.binding)
        return self.output


class Engine:
    """`dancers` dancers' step + decode on the best provider, with preallocated buffers.

    Construct, then `prepare()` (loads, allocates, warms up); `startup_seconds` is the time from
    construction to ready.

    Threads (measured on this 2-core machine, step + decode back to back with numpy work
    between frames; p50/p99):
    - `spinning` (off by default): onnxruntime's workers busy-wait between ops. Step and decoder
      alternate every frame, and one session's spinning threads starve the other's and the
      compositor: 6.1/18 ms spinning, 2.4/7 ms not.
    - `shared_threads` (off by default): one process-wide intra-op pool (which spins) for every
      session instead of a pool per session: 1.5-1.8 ms p50 instead of 1.9-2.4, but a worse p99
      (4-7 ms) while other processes load the cores. Process-global: once made, onnxruntime
      refuses any later session that asks for its own pool (export's check, for one), so only
      a process that just plays (the `live` and `bench` commands) should ask.
    """

    def __init__(
        self,
        model_path: str | os.PathLike = "models/default",
        dancers: int = 1,
        providers: list[str] | None = None,
        threads: int = 2,
        spinning: bool = False,
        shared_threads: bool = False,
    ):
        self._constructed = time.perf_counter()
        if int(dancers) < 1:
            raise LivedanceError(f"dancers: {dancers}; expected at least 1")
        if int(threads) < 1:
            raise LivedanceError(f"threads: {threads}; expected at least 1")
        self.model_path = model_path
        self.dancers = int(dancers)
        self.providers = None if providers is None else list(providers)
        self.threads = int(threads)
        self.spinning = bool(spinning)
        self.shared_threads = bool(shared_threads)
        self.bundle: Bundle | None = None
        self.startup_seconds: float | None = None
        self._step: _BoundNetwork | None = None
        self._decoder: _BoundNetwork | None = None
        self._encoder: _BoundNetwork | None = None
        self._ink: np.ndarray | None = None
        # The data's mean and std repeated per dancer: normalising a batch in place against arrays
        # of its own shape runs numpy's plain loop, where broadcasting would allocate an iterator.
        self._mean: np.ndarray | None = None
        self._std: np.ndarray | None = None

    # --- start-up --------------------------------------------------------------------------
    def prepare(self) -> "Engine":
        """Load the bundle, bind buffers, warm up. Idempotent; returns the engine."""
        if self.ready:
            return self
        import onnxruntime  # noqa: PLC0415  deferred: after the CUDA libraries are preloaded

        bundle = Bundle.load(
            self.model_path, self.providers, self.threads, spinning=self.spinning, shared_threads=self.shared_threads
        )
        self._bind(onnxruntime, bundle)
        self.startup_seconds = time.perf_counter() - self._constructed
        return self

    def twin(self) -> Engine:
        """A second engine on this one's onnxruntime sessions, with buffers of its own: another
        thread can run it alongside this one (a session takes concurrent runs), as a new
        dancer's warm-up does while the display thread plays on."""
        import onnxruntime  # noqa: PLC0415  deferred, as in prepare()

        bundle = self._require_ready()
        twin = Engine(self.model_path, self.dancers, self.providers, self.threads, self.spinning, self.shared_threads)
        twin._bind(onnxruntime, bundle)
        twin.startup_seconds = time.perf_counter() - twin._constructed
        return twin

    def _bind(self, onnxruntime, bundle: Bundle) -> None:
        """Bind this engine's buffers to `bundle`'s sessions, and warm them up."""
        batch, window, dim = self.dancers, bundle.window, bundle.latent_dim
        self._step = _BoundNetwork(
            onnxruntime, bundle.sessions["step"], "window", "next", (batch, window, dim), (batch, dim)
        )
        self._decoder = _BoundNetwork(
            onnxruntime,
            bundle.sessions["decoder"],
            "latent",
            "frames",
            (batch, dim),
            (batch, bundle.height, bundle.width, 1),
        )
        # Re-projection (see livedance.runtime.generate) encodes each step's decoded figure again.
        self._encoder = _BoundNetwork(
            onnxruntime,
            bundle.sessions["encoder"],
            "frames",
            "latent",
            (batch, bundle.height, bundle.width, 1),
            (batch, dim),
        )
        self._ink = self._decoder.output[..., 0]
        self._mean = np.tile(bundle.latent_mean, (batch, 1))
        self._std = np.tile(bundle.latent_std, (batch, 1))
        self.bundle = bundle
        # Warm up on plausible values (the data's mean latent), then leave the buffers zeroed.
        self._decoder.input[...] = bundle.latent_mean
        for _ in range(WARMUP_CALLS):
            self._step.run(self._step.input)
            self._decoder.run(self._decoder.input)
            self._encoder.run(self._encoder.input)
        for network in (self._step, self._decoder, self._encoder):
            network.input.fill(0.0)
            network.output.fill(0.0)

    @property
    def ready(self) -> bool:
        return self.bundle is not None

    def _require_ready(self) -> Bundle:
        if self.bundle is None:
            raise LivedanceError(f"{self.model_path}: engine not prepared; call Engine.prepare() first")
        return self.bundle

    # --- per frame -------------------------------------------------------------------------
    def step(self, window_norm: np.ndarray) -> np.ndarray:
        """Normalised windows (dancers, window, latent_dim) -> next latents (dancers, latent_dim), normalised.

        Returns the engine's output buffer (see the module's copy semantics). Passing
        `step_input` itself skips the copy into it.
        """
        self._require_ready()
        if np.shape(window_norm) != self._step.input.shape:
            raise LivedanceError(f"step: window of shape {np.shape(window_norm)}; expected {self._step.input.shape}")
        return self._step.run(window_norm)

    def decode(self, latents_raw: np.ndarray) -> np.ndarray:
        """Raw latents (dancers, latent_dim) -> ink (dancers, height, width) in [0, 1], 1 = figure.

        Returns a view of the engine's output buffer (see the module's copy semantics).
        """
        self._require_ready()
        if np.shape(latents_raw) != self._decoder.input.shape:
            raise LivedanceError(
                f"decode: latents of shape {np.shape(latents_raw)}; expected {self._decoder.input.shape}"
            )
        self._decoder.run(latents_raw)
        return self._ink

    def encode(self, ink: np.ndarray) -> np.ndarray:
        """Ink (dancers, height, width[, 1]) in [0, 1] -> raw latents (dancers, latent_dim).

        Returns the engine's output buffer (see the module's copy semantics). Passing
        `encode_input` itself skips the copy into it.
        """
        self._require_ready()
        target = self._encoder.input
        if ink is not target:
            if np.size(ink) != target.size or np.shape(ink)[0] != target.shape[0]:
                raise LivedanceError(f"encode: ink of shape {np.shape(ink)}; expected {target.shape}")
            np.copyto(target.reshape(np.shape(ink)), ink, casting="same_kind")
        return self._encoder.run(target)

    @property
    def encode_input(self) -> np.ndarray:
        """The bound encoder input buffer (dancers, height, width, 1): write into it to skip a copy."""
        self._require_ready()
        return self._encoder.input

    @property
    def step_input(self) -> np.ndarray:
        """The bound step input buffer (dancers, window, latent_dim): write into it to skip a copy."""
        self._require_ready()
        return self._step.input

    @property
    def decode_input(self) -> np.ndarray:
        """The bound decoder input buffer (dancers, latent_dim): write into it to skip a copy."""
        self._require_ready()
        return self._decoder.input

    # --- what the bundle says --------------------------------------------------------------
    @property
    def provider(self) -> str:
        """The onnxruntime execution provider the networks really run on."""
        return self._require_ready().provider

    @property
    def provider_line(self) -> str:
        """One line for the HUD and logs: the provider, and why a preferred one was skipped."""
        bundle = self._require_ready()
        return f"{bundle.provider} ({bundle.provider_note})" if bundle.provider_note else bundle.provider

    @property
    def window(self) -> int:
        return self._require_ready().window

    @property
    def latent_dim(self) -> int:
        return self._require_ready().latent_dim

    @property
    def height(self) -> int:
        return self._require_ready().height

    @property
    def width(self) -> int:
        return self._require_ready().width

    @property
    def step_rate(self) -> float:
        """The model's own step rate (steps/s): the rate its training data was sampled at."""
        return self._require_ready().step_rate

    @property
    def generation(self):
        return self._require_ready().generation

    def normalise(self, latents: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """`Bundle.normalise`; into `out` of shape (dancers, latent_dim) it allocates nothing."""
        bundle = self._require_ready()
        if out is None or out.shape != self._mean.shape:
            return bundle.normalise(latents, out=out)
        np.subtract(np.asarray(latents, np.float32), self._mean, out=out)
        return np.divide(out, self._std, out=out)

    def denormalise(self, latents_norm: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """`Bundle.denormalise`; into `out` of shape (dancers, latent_dim) it allocates nothing."""
        bundle = self._require_ready()
        if out is None or out.shape != self._std.shape:
            return bundle.denormalise(latents_norm, out=out)
        np.multiply(np.asarray(latents_norm, np.float32), self._std, out=out)
        return np.add(out, self._mean, out=out)
