import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

# Training needs the train extra; CI installs it (.ci/run), so only a machine without it skips.
pytest.importorskip("tensorflow", reason="the train extra (TensorFlow) is not installed: pip install -e '.[train]'")

from drawn_dancer import drawn_dataset  # noqa: E402
from waiting import wait_until

from livedance.cli import main  # noqa: E402


def livedance(*args, timeout=300):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-m", "livedance", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="module")
def data_path(tmp_path_factory):
    return str(drawn_dataset().save(tmp_path_factory.mktemp("data") / "drawn.npz"))


@pytest.mark.parametrize("arch", ["default", "seed"])
def test_tiny_run_of_each_arch(tmp_path, data_path, arch):
    run = tmp_path / arch
    code = main(
        [
            "train",
            "--data",
            data_path,
            "--out",
            str(run),
            "--arch",
            arch,
            "--epochs-ae",
            "1",
            "--epochs-lstm",
            "1",
            "--quiet",
        ]
    )
    assert code == 0
    for name in ("encoder.keras", "decoder.keras", "predictor.keras", "latents.npz", "config.json", "split.json"):
        assert (run / name).is_file(), name
    config = json.loads((run / "config.json").read_text())
    assert config["autoencoder"]["arch"] == arch and config["fps"] == 12.0
    assert config["validation_clips"] and config["sources"][0]["hash"]
    with open(run / "logs" / "autoencoder.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows and "val_silhouette_iou" in rows[0]
    assert (run / "logs" / "tensorboard" / "autoencoder").is_dir()


@pytest.mark.parametrize("cut", [False, True], ids=["as killed", "metadata cut short"])
def test_resume_after_kill(tmp_path, data_path, cut):
    """`cut`: killed as Keras rewrote the backup's metadata (it truncates, then writes): it is empty."""
    run = tmp_path / "killed"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "livedance",
            "train",
            "--data",
            data_path,
            "--out",
            str(run),
            "--epochs-ae",
            "2",
            "--epochs-lstm",
            "200",
            "--quiet",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Kill it in the middle of the LSTM phase, once a backup exists.
        wait_until(lambda: (run / "backup" / "predictor" / "training_metadata.json").exists(), 240, 0.2)
        time.sleep(1.0)  # a second into the phase: killed mid-epoch, not at its start
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not (run / "predictor.keras").exists()
    if cut:
        (run / "backup" / "predictor" / "training_metadata.json").write_text("")
    done = livedance("train", "--data", data_path, "--out", str(run), "--resume", "--epochs-lstm", "3", "--quiet")
    assert done.returncode == 0, done.stderr
    if cut:  # (a kill as it comes may cut it short too: its epochs are short, and each ends in a save)
        assert "predictor backup cut short by the kill" in done.stdout, done.stdout
    assert "already trained, skipping" in done.stdout
    assert (run / "predictor.keras").is_file()


def test_mirrored_on_two_logical_cpus(tmp_path, data_path):
    result = livedance(
        "train",
        "--data",
        data_path,
        "--out",
        str(tmp_path / "m"),
        "--epochs-ae",
        "1",
        "--epochs-lstm",
        "1",
        "--distribute",
        "mirrored",
        "--logical-cpus",
        "2",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    assert "2 replica(s)" in result.stdout


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--data", "nowhere.npz"], "nowhere.npz: no such dataset file"),
        (["--resume"], "no run to resume"),
        (["--epochs-ae", "0"], "--epochs-ae 0: expected a positive number"),
    ],
)
def test_bad_input(tmp_path, data_path, capsys, extra, message):
    args = ["train", "--out", str(tmp_path / "r")]
    if "--data" not in extra:
        args += ["--data", data_path]
    assert main(args + extra) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_single_take_cannot_hold_one_out(tmp_path, capsys):
    path = drawn_dataset(clips=1).save(tmp_path / "one.npz")
    assert main(["train", "--data", str(path), "--out", str(tmp_path / "r")]) == 2
    assert "expected at least 2" in capsys.readouterr().err


def test_existing_run_needs_resume(tmp_path, data_path, capsys):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "x").write_text("x")
    assert main(["train", "--data", data_path, "--out", str(tmp_path / "r")]) == 2
    assert "pass --resume" in capsys.readouterr().err


def test_new_lstm_on_a_trained_autoencoder(tmp_path, data_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert (
        main(["train", "--data", data_path, "--out", str(first), "--epochs-ae", "1", "--epochs-lstm", "1", "--quiet"])
        == 0
    )
    assert (
        main(
            [
                "train",
                "--data",
                data_path,
                "--out",
                str(second),
                "--reuse-autoencoder",
                str(first),
                "--lstm-units",
                "32,16",
                "--epochs-lstm",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    assert (second / "encoder.keras").read_bytes() == (first / "encoder.keras").read_bytes()
    assert json.loads((second / "split.json").read_text()) == json.loads((first / "split.json").read_text())
    config = json.loads((second / "config.json").read_text())
    assert config["predictor"]["units"] == [32, 16]
    assert not (second / "logs" / "autoencoder.csv").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--lstm-units", "big"], "--lstm-units 'big': expected layer sizes like 512,256"),
        (["--reuse-autoencoder", "nowhere"], "nowhere/config.json: missing"),
    ],
)
def test_bad_lstm_options(tmp_path, data_path, capsys, extra, message):
    assert main(["train", "--data", data_path, "--out", str(tmp_path / "r"), *extra]) == 2
    assert message in capsys.readouterr().err
