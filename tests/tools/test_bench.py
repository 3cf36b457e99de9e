"""`livedance bench` runs the real loop headless and reports every figure (tiny settings here:
the figures themselves are for docs/benchmarks.md, not for assertions)."""

import json
import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

from pathlib import Path  # noqa: E402

from livedance.cli import main  # noqa: E402
from livedance.tools import bench  # noqa: E402

MODEL = str(Path(__file__).resolve().parents[2] / "models" / "default")
TINY = [
    "--model",
    MODEL,
    "--seconds",
    "0.3",
    "--frames",
    "20",
    "--size",
    "320x240",
    "--no-keras",
    "--compositor-frames",
    "3",
    "--control-seconds",
    "0",
]


def test_json_has_every_figure(capsys):
    assert main(["bench", "--json", *TINY]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in (
        "provider",
        "provider_line",
        "machine",
        "size",
        "step_decode_ms",
        "step_ms",
        "decode_ms",
        "uncapped_fps",
        "loop_frames",
        "first_frame_s",
        "engine_startup_s",
        "peak_memory_mb",
        "targets",
    ):
        assert key in result, key
    assert set(result["step_decode_ms"]) == {"p50", "p99", "max", "mean"}
    assert result["loop_frames"] > 0 and result["uncapped_fps"] > 0 and result["peak_memory_mb"] > 0
    assert result["size"] == "320x240" and result["keras_seed_arch"] is None
    assert set(result["targets"]) == set(bench.TARGETS)
    for size in ("1920x1080", "3840x2160"):  # the crisp compositor at both sizes, with the edge it draws
        row = result["compositor"][size]
        assert row["ms"]["p50"] > 0 and row["trails_ms"]["p50"] > 0 and 0 < row["edge_band_px"] <= 1.5


def test_control_latency_from_real_osc_packets(capsys):
    args = ["bench", "--json", *TINY[:-2], "--control-seconds", "1.5"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["control_packets"] > 5 and result["control_applied"] > 5
    assert set(result["control_latency_ms"]) == {"p50", "p99", "max", "mean"}
    assert result["control_latency_ms"]["p50"] > 0  # a packet shows after it arrives, never before
    assert "control_latency_p99_ms" in result["targets"]


def test_table(capsys):
    assert main(["bench", *TINY]) == 0
    table = capsys.readouterr().out
    assert "step+decode" in table and "uncapped frames/s" in table and "provider" in table


def test_bad_settings_are_one_line(capsys):
    assert main(["bench", "--seconds", "0", "--no-keras"]) == 2
    assert main(["bench", "--model", "/nonexistent/bundle", "--no-keras"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "/nonexistent/bundle" in err[1]


def test_keras_comparison_runs_the_seed_networks():
    import pytest

    pytest.importorskip("tensorflow")
    result = bench.time_keras(0.0)
    assert result["frames"] >= 3 and result["frames_per_s"] > 0
    assert set(result["frame_ms"]) == {"p50", "p99", "max", "mean"}


def test_an_output_run_counts_what_the_show_and_the_output_dropped(capsys):
    assert main(["bench", "--json", *TINY, "--output", "null", "--output", "spout", "--output-seconds", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    without, null, spout = result["outputs"]
    assert without["output"] == "none" and without["display_fps"] > 0
    assert null["output"] == "null bench" and null["offered"] > 0
    assert null["offered"] - 1 <= null["sent"] + null["output_dropped"] <= null["offered"]  # the last may be in hand
    assert spout["refused"].startswith("--spout: Spout is Windows only")  # the show went on without it


def test_audio_to_frame_latency_and_analysis_cost(tmp_path, capsys):
    import numpy as np
    import soundfile

    rate, clicks = 44100, np.zeros(44100 * 2, np.float32)
    for start in range(2205, len(clicks) - 400, rate // 4):  # four clicks a second
        clicks[start : start + 400] = np.sin(np.arange(400) * 2 * np.pi * 1000 / rate) * np.exp(-np.arange(400) / 80)
    soundfile.write(tmp_path / "clicks.wav", clicks, rate)
    assert main(["bench", "--json", *TINY, "--audio", str(tmp_path / "clicks.wav"), "--audio-seconds", "1.5"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["audio_accents"] >= 3  # one per click heard
    assert result["audio_to_frame_ms"]["p50"] > 0 and result["audio_analysis_per_block_ms"]["p50"] > 0
    assert result["audio_hop_ms"] == 5.8 and result["audio_block_ms"] == 11.61
    main(["bench", *TINY, "--audio", str(tmp_path / "clicks.wav"), "--audio-seconds", "0.5"])
    assert "audio analysis per 11.61 ms block" in capsys.readouterr().out
