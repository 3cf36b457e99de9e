"""The live engine against the bundle's plain onnxruntime runs (models/default, shipped in the repo)."""

import shutil

import numpy as np
import pytest

from livedance.errors import LivedanceError
from livedance.runtime.bundle import Bundle
from livedance.runtime.engine import Engine

MODEL = "models/default"


@pytest.fixture(scope="module")
def engine():
    return Engine(MODEL, dancers=2).prepare()


@pytest.fixture(scope="module")
def bundle():
    return Bundle.load(MODEL, providers=["CPUExecutionProvider"])


def test_prepare_reports_provider_and_startup(engine):
    assert engine.ready and engine.startup_seconds > 0
    assert "ExecutionProvider" in engine.provider and engine.provider in engine.provider_line
    assert "\n" not in engine.provider_line
    assert (engine.window, engine.latent_dim, engine.height, engine.width) == (10, 128, 120, 200)


def test_step_and_decode_equal_plain_run(engine, bundle):
    rng = np.random.default_rng(0)
    window = rng.standard_normal((2, 10, 128), dtype=np.float32)
    latents = bundle.denormalise(rng.standard_normal((2, 128), dtype=np.float32))
    np.testing.assert_allclose(engine.step(window), bundle.step(window), rtol=1e-5, atol=1e-5)
    ink = engine.decode(latents)
    assert ink.shape == (2, 120, 200)
    np.testing.assert_allclose(ink, bundle.decode(latents)[..., 0], rtol=1e-5, atol=1e-5)


def test_encode_equals_plain_run_and_reuses_its_buffer(engine, bundle):
    ink = np.random.default_rng(2).random((2, 120, 200), dtype=np.float32)
    latents = engine.encode(ink)
    np.testing.assert_allclose(latents, bundle.encode(ink), rtol=1e-5, atol=1e-4)
    engine.encode_input[...] = ink[..., None]
    assert engine.encode(engine.encode_input) is latents  # the same buffer, no copy in
    with pytest.raises(LivedanceError, match=r"encode: ink of shape \(1, 120, 200\)"):
        engine.encode(ink[:1])


def test_buffers_are_reused_and_overwritten(engine, bundle):
    rng = np.random.default_rng(1)
    first_window, second_window = rng.standard_normal((2, 2, 10, 128), dtype=np.float32)
    first = engine.step(first_window)
    kept = first.copy()
    second = engine.step(second_window)
    assert second is first and not np.array_equal(second, kept)
    np.testing.assert_allclose(second, bundle.step(second_window), rtol=1e-5, atol=1e-5)

    latents = bundle.denormalise(rng.standard_normal((2, 2, 128), dtype=np.float32))
    assert engine.decode(latents[0]) is engine.decode(latents[1])
    # Writing into the bound input buffer skips the copy and gives the same result.
    engine.decode_input[...] = latents[0]
    np.testing.assert_allclose(
        engine.decode(engine.decode_input), bundle.decode(latents[0])[..., 0], rtol=1e-5, atol=1e-5
    )


def test_wrong_shape_is_one_line(engine):
    with pytest.raises(LivedanceError, match=r"step: window of shape \(1, 10, 128\); expected \(2, 10, 128\)"):
        engine.step(np.zeros((1, 10, 128), np.float32))
    with pytest.raises(LivedanceError, match=r"decode: latents of shape"):
        engine.decode(np.zeros((2, 64), np.float32))


def test_not_prepared():
    with pytest.raises(LivedanceError, match="call Engine.prepare"):
        Engine(MODEL).step(np.zeros((1, 10, 128), np.float32))


def test_missing_model_names_the_folder(tmp_path):
    with pytest.raises(LivedanceError, match=r"nowhere: no such model bundle folder") as caught:
        Engine(tmp_path / "nowhere").prepare()
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("decoder.onnx", b"not a network", r"decoder\.onnx: 13 bytes; the manifest says 6480463"),
        ("step.onnx", None, r"step\.onnx: missing"),
        ("manifest.json", b"{broken", r"manifest\.json: not valid JSON"),
    ],
)
def test_broken_model_names_the_file(tmp_path, bundle, name, content, message):
    folder = tmp_path / "broken"
    shutil.copytree(bundle.path, folder)
    if content is None:
        (folder / name).unlink()
    else:
        (folder / name).write_bytes(content)
    with pytest.raises(LivedanceError, match=message) as caught:
        Engine(folder).prepare()
    assert "\n" not in str(caught.value)


def test_cpu_on_request_has_no_fallback_note():
    engine = Engine(MODEL, providers=["CPUExecutionProvider"]).prepare()
    assert engine.provider_line == "CPUExecutionProvider"


def test_provider_line_says_what_runs_and_why_it_fell_back():
    """The real onnxruntime here: onnxruntime-gpu lists CUDA even with no GPU, then can't use it."""
    import onnxruntime

    engine = Engine(MODEL).prepare()
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        assert engine.provider_line == "CPUExecutionProvider"
    elif engine.provider == "CUDAExecutionProvider":  # a machine with a working GPU
        assert engine.provider_line.startswith("CUDAExecutionProvider")
    else:
        assert engine.provider_line.startswith("CPUExecutionProvider (CUDA listed by")
        assert "but unusable: " in engine.provider_line and "\n" not in engine.provider_line


def test_shared_thread_pool_gives_the_same_results():
    """In a child process: the shared pool is process-wide, and later sessions must use it too."""
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from livedance.runtime.bundle import Bundle\n"
        "from livedance.runtime.engine import Engine\n"
        "engine = Engine('models/default', shared_threads=True).prepare()\n"
        "bundle = Bundle.load('models/default', providers=['CPUExecutionProvider'])\n"
        "window = np.random.default_rng(0).standard_normal((1, 10, 128), dtype=np.float32)\n"
        "np.testing.assert_allclose(engine.step(window), bundle.step(window), rtol=1e-5, atol=1e-5)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
