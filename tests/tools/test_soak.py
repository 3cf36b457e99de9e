"""`livedance soak`: two minutes of the whole instrument under the scripted performer."""

import json
import threading
import time

import numpy as np
import pytest

from livedance.cli import build_parser, main
from livedance.live.command import build
from livedance.live.settings import LiveSettings
from livedance.tools.soak import (
    LatentWatch,
    SoakStats,
    check_recording,
    machine_speed,
    out_of_range,
    soak,
    thread_cpu,
    windows,
)


def soak_args(*argv):
    return build_parser("soak").parse_args(["soak", *argv])


@pytest.fixture(scope="module")
def two_minutes(tmp_path_factory):
    """The suite's soak: what `livedance soak --minutes 60` does, for two minutes."""
    folder = tmp_path_factory.mktemp("soak")
    args = soak_args("--minutes", "2", "--window", "1", "--record-dir", str(folder / "takes"))
    return soak(args)


def test_two_minute_soak_plays_everything_and_loses_nothing(two_minutes):
    report = two_minutes
    assert report.problems == []
    assert report.frames > 0 and len(report.windows) == 2
    assert report.nonfinite_latents == 0 and all(np.isfinite(report.latent_range))
    assert report.out_of_range == []
    played = report.played
    assert played["parameters"] >= 30  # the whole round of parameters, triggers and colours
    assert played["switches"] >= 1 and played["recordings"] >= 1 and played["modes"] >= 5
    received = int(report.controls["osc"].split()[0])
    assert received == played["messages"]  # every scripted message reached the bus
    assert report.recordings and all(t["error"] is None and t["frames"] > 0 for t in report.recordings)


def test_soak_judges_the_last_window_against_its_spread(two_minutes):
    report = two_minutes
    assert len(report.block_p99_ms) == 20  # two windows of ten blocks
    low, high = report.p99_interval
    assert low <= report.p99_ratio <= high
    assert report.p99_trend_interval[0] <= report.p99_trend <= report.p99_trend_interval[1]
    assert "interval" in report.p99_verdict and "trend" in report.p99_verdict
    assert "interval" in report.cpu_p99_verdict and "interval" in report.cpu_at_start_speed_verdict
    assert all(row["yardstick_ms"] > 0 for row in report.windows) and report.yardstick_ratio > 0


def test_soak_report_rows_cover_the_run(two_minutes):
    rows = two_minutes.windows
    assert [row["minutes"] for row in rows] == [(0.0, 1.0), (1.0, 2.0)]
    assert sum(row["frames"] for row in rows) <= two_minutes.frames
    for row in rows:
        assert 0 < row["memory_mb"]["mean"] <= row["memory_mb"]["max"]
        ms = row["work_ms"]
        assert 0 < ms["p50"] <= ms["p95"] <= ms["p99"] <= ms["max"]
        cpu = row["cpu_ms"]
        assert 0 < cpu["p50"] <= cpu["p99"] <= cpu["max"] and cpu["p50"] <= 1.5 * ms["p50"]
        assert row["cores"]["own"] > 0.2 and row["cores"]["others"] >= 0.0


def test_windows_split_frames_and_drops_by_time():
    stats = SoakStats(10)
    for k in range(6):
        stats.account(10.0 + k, 10.0 + k + 0.001 * (k + 1))
    samples = [(10.5, 100.0, 0), (12.5, 110.0, 3), (14.5, 120.0, 5)]
    yardstick = [(10.5, 0.002), (11.5, 0.003), (12.5, 0.004), (14.5, 0.004)]
    rows = windows(stats, samples, start=10.0, window_s=3.0, total_s=6.0, yardstick=yardstick)
    assert [r.frames for r in rows] == [3, 3]
    assert [r.dropped for r in rows] == [3, 2]
    assert rows[0].memory_mb["mean"] == pytest.approx(105.0)
    assert rows[1].work_ms["max"] == pytest.approx(6.0, abs=0.01)
    assert [r.yardstick_ms for r in rows] == pytest.approx([3.0, 4.0])


def test_windows_say_which_cores_were_busy_and_by_whom():
    stats = SoakStats(4)
    samples = [  # time, MB, dropped, then CPU seconds so far: the machine's busy, stolen, the soak's own
        (0.0, 100.0, 0, 10.0, 1.0, 4.0),
        (2.0, 100.0, 0, 13.0, 1.2, 5.0),  # 1.5 cores busy, the soak's 0.5 of them; 0.1 stolen
        (3.0, 100.0, 0, 15.0, 1.2, 5.2),
        (5.0, 100.0, 0, 17.0, 1.2, 7.2),  # the soak alone
    ]
    rows = windows(stats, samples, start=0.0, window_s=3.0, total_s=6.0)
    assert rows[0].cores == pytest.approx({"own": 0.5, "others": 1.0, "steal": 0.1})
    assert rows[1].cores == pytest.approx({"own": 1.0, "others": 0.0, "steal": 0.0})


def test_machine_speed_follows_the_yardstick_and_shrugs_off_one_slow_sample():
    times = np.arange(60.0)
    yard = np.where(times < 30, 0.002, 0.0025)  # the machine a quarter slower from the 30th second
    yard[10] = 0.02  # one sample hit by an interrupt
    speed = machine_speed(np.array([5.0, 10.0, 20.0, 50.0, 59.5]), list(zip(times, yard)))
    assert speed == pytest.approx([1.0, 1.0, 1.0, 1.25, 1.25])


def test_machine_speed_is_one_without_enough_samples():
    assert machine_speed(np.array([1.0, 2.0]), [(0.0, 0.002)]).tolist() == [1.0, 1.0]


def test_windows_say_which_threads_kept_the_cores_busy():
    stats = SoakStats(4)
    readings = [  # (time, {thread id: (name, CPU seconds so far)})
        (0.5, {1: ("MainThread", 10.0), 2: ("native", 1.0)}),
        (2.5, {1: ("MainThread", 11.0), 2: ("native", 1.5), 3: ("native", 0.5)}),  # 3 born since
        (4.5, {1: ("MainThread", 12.6), 3: ("native", 1.0)}),  # 2 ended: its last reading stands
    ]
    rows = windows(stats, [], start=0.0, window_s=1.0, total_s=5.0, threads=readings)
    assert rows[0].threads == {}  # one reading: no span
    assert rows[1].threads == {}  # no reading inside
    assert rows[2].threads == pytest.approx({"MainThread": 0.5, "native": 0.5})
    assert list(rows[4].threads) == ["MainThread", "native"]
    assert rows[4].threads == pytest.approx({"MainThread": 0.8, "native": 0.25})


def test_thread_cpu_names_this_thread_and_counts_its_work():
    thread = threading.current_thread()
    name, thread.name = thread.name, "soak-test-7"
    try:
        began = time.perf_counter()
        while time.perf_counter() - began < 0.05:
            pass
        mine = thread_cpu()[threading.get_native_id()]
    finally:
        thread.name = name
    assert mine[0] == "soak-test" and mine[1] >= 0.02


def test_soak_stats_keep_the_display_threads_cpu_time_per_frame():
    stats = SoakStats(3)
    stats.account(0.0, 0.01)
    began = time.perf_counter()
    while time.perf_counter() - began < 0.02:  # busy: CPU time spent on this thread
        pass
    stats.account(0.02, 0.03)
    time.sleep(0.05)  # asleep: none
    stats.account(0.09, 0.1)
    assert stats.cpu[1] >= 0.015 and stats.cpu[2] < 0.01


def test_soak_stats_stop_at_their_capacity():
    stats = SoakStats(2)
    for k in range(5):
        stats.account(float(k), k + 0.01)
    assert stats.count == 2


class _Director:
    def __init__(self, frames):
        self.frames = iter(frames)

    def latents(self, now):
        return next(self.frames)


def test_latent_watch_counts_non_finite_latents():
    director = _Director([np.array([[0.5, -2.0]]), np.array([[np.nan, 1.0]]), np.array([[np.inf, 0.0]])])
    watch = LatentWatch(director)
    for _ in range(3):
        director.latents(0.0)
    assert watch.nonfinite == 2 and (watch.low, watch.high) == (-2.0, 0.5)


def test_a_broken_take_is_reported(tmp_path):
    broken = tmp_path / "take.mkv"
    broken.write_bytes(b"\x1aE\xdf\xa3" + bytes(range(256)) * 40)
    result = check_recording(broken)
    assert result["frames"] == 0 or result["error"]


def test_out_of_range_names_a_parameter_the_show_holds_outside_its_range():
    inst = build(LiveSettings(hud=False), headless=True, size=(320, 180))
    try:
        assert out_of_range(inst) == []
        inst.performance.look.trails = 3.0  # past 0.95: only a bug could put it there
        assert any(line.startswith("trails=3.0") for line in out_of_range(inst))
    finally:
        inst.close()


def test_soak_command_refuses_a_bad_length(capsys):
    assert main(["soak", "--minutes", "0"]) == 2
    assert "--minutes 0" in capsys.readouterr().err


def test_soak_writes_its_report_as_json_and_its_frames(tmp_path):
    out, frames = tmp_path / "soak.json", tmp_path / "frames.npz"
    argv = ["soak", "--minutes", "0.1", "--size", "320x180", "--no-camera", "--no-web"]
    code = main([*argv, "--json", str(out), "--frames", str(frames)])
    report = json.loads(out.read_text())
    assert code == (1 if report["problems"] else 0)
    assert report["frames"] > 0 and report["size"] == [320, 180]
    with np.load(frames) as saved:
        assert len(saved["ended"]) == len(saved["work"]) == len(saved["cpu"]) >= report["frames"] - 1
        assert 0.0 < saved["ended"][0] < saved["ended"][-1] < 0.1 * 60 + 1.0
