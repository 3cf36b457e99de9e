"""Typed configuration: defaults that agree with the frame constants, and a round trip through the
JSON every run and bundle carries, forgiving of older and newer manifests."""

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livedance.config import (
    ARCHS,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    INK_THRESHOLD,
    LATENT_DIM,
    MAX_MOTION_GAIN,
    PROJECT_ROOT,
    WINDOW,
    AutoencoderConfig,
    GenerationConfig,
    PredictorConfig,
    RunConfig,
    TrainConfig,
    from_dict,
    to_dict,
)

SECTIONS = {
    "autoencoder": AutoencoderConfig,
    "predictor": PredictorConfig,
    "train": TrainConfig,
    "generation": GenerationConfig,
}


def _through_json(cfg: RunConfig) -> RunConfig:
    return RunConfig.from_dict(json.loads(json.dumps(to_dict(cfg))))


@pytest.mark.parametrize(
    "value, constant",
    [
        (AutoencoderConfig().height, FRAME_HEIGHT),
        (AutoencoderConfig().width, FRAME_WIDTH),
        (AutoencoderConfig().latent_dim, LATENT_DIM),
        (PredictorConfig().window, WINDOW),
    ],
    ids=["height", "width", "latent-dim", "window"],
)
def test_defaults_follow_the_module_constants(value, constant):
    assert value == constant


@pytest.mark.parametrize("section", [AutoencoderConfig, PredictorConfig], ids=["autoencoder", "predictor"])
def test_the_default_architecture_is_one_train_offers(section):
    assert section().arch in ARCHS and section().arch == ARCHS[0]


def test_default_generation_is_within_what_a_bundle_may_ask_for():
    gen = GenerationConfig()
    assert 0 < gen.motion_gain <= MAX_MOTION_GAIN
    assert 0 <= gen.mean_pull <= 1 and gen.noise >= 0
    assert 0 < INK_THRESHOLD < 1


def test_the_project_root_holds_the_shipped_bundles_and_patches():
    assert (PROJECT_ROOT / "livedance" / "config.py").is_file()
    assert (PROJECT_ROOT / "models" / "default").is_dir()
    assert (PROJECT_ROOT / "patches").is_dir() and any((PROJECT_ROOT / "patches").glob("*.toml"))


def test_two_run_configs_share_no_mutable_defaults():
    one, two = RunConfig(), RunConfig()
    one.data.append("clips.npz")
    one.train.epochs_ae = 99
    assert two.data == [] and two.train.epochs_ae == TrainConfig().epochs_ae


def test_to_dict_gives_json_ready_nested_sections():
    d = to_dict(RunConfig(data=["a.npz"]))
    assert set(d) == {*SECTIONS, "data"}
    for name, section in SECTIONS.items():
        assert set(d[name]) == {f.name for f in dataclasses.fields(section)}
    assert d["data"] == ["a.npz"] and d["predictor"]["units"] == (256, 256)
    json.dumps(d)


@pytest.mark.parametrize(
    "cfg",
    [
        RunConfig(),
        RunConfig(
            autoencoder=AutoencoderConfig(arch="seed", latent_dim=32, height=60, width=100, dice_weight=0.0),
            predictor=PredictorConfig(window=4, units=(64,), dropout=0.2, input_noise=0.0, residual=True),
            train=TrainConfig(epochs_ae=1, epochs_lstm=2, learning_rate=3e-4, val_fraction=0.25, seed=7),
            generation=GenerationConfig(noise=0.0, mean_pull=0.5, reproject=False, motion_gain=MAX_MOTION_GAIN),
            data=["one.npz", "two.npz"],
        ),
        RunConfig(predictor=PredictorConfig(units=(512, 256, 128))),
    ],
    ids=["defaults", "everything-changed", "three-layers"],
)
def test_a_run_config_survives_json_unchanged(cfg):
    again = _through_json(cfg)
    assert again == cfg
    assert isinstance(again.predictor.units, tuple)  # JSON's list is a tuple again


@pytest.mark.parametrize(
    "data, expected",
    [
        (None, TrainConfig()),
        ({}, TrainConfig()),
        ({"epochs_ae": 2}, TrainConfig(epochs_ae=2)),
        ({"epochs_ae": 2, "optimizer": "sgd", "warmup": [1, 2]}, TrainConfig(epochs_ae=2)),  # from a newer manifest
    ],
    ids=["none", "empty", "partial", "unknown-keys"],
)
def test_from_dict_fills_what_is_missing_and_ignores_what_it_does_not_know(data, expected):
    assert from_dict(TrainConfig, data) == expected


def test_from_dict_turns_json_lists_into_tuples():
    assert from_dict(PredictorConfig, {"units": [32, 16]}).units == (32, 16)


@pytest.mark.parametrize(
    "manifest, check",
    [
        ({}, lambda cfg: cfg == RunConfig()),
        ({"generation": {"motion_gain": 2.0}}, lambda cfg: cfg.generation.motion_gain == 2.0),
        (
            {"predictor": {"residual": True}, "extra": 1},
            lambda cfg: cfg.predictor.residual and cfg.train == TrainConfig(),
        ),
        ({"data": ("a.npz",)}, lambda cfg: cfg.data == ["a.npz"]),
        ({"autoencoder": None}, lambda cfg: cfg.autoencoder == AutoencoderConfig()),
    ],
    ids=["empty", "one-setting", "missing-sections-and-unknown-keys", "data-is-a-list", "null-section"],
)
def test_run_config_reads_partial_manifests(manifest, check):
    assert check(RunConfig.from_dict(manifest))


_floats = st.floats(0, 10, allow_nan=False)
_run_configs = st.builds(
    RunConfig,
    autoencoder=st.builds(
        AutoencoderConfig, arch=st.sampled_from(ARCHS), latent_dim=st.integers(1, 512), dice_weight=_floats
    ),
    predictor=st.builds(
        PredictorConfig,
        arch=st.sampled_from(ARCHS),
        window=st.integers(1, 64),
        units=st.lists(st.integers(1, 1024), min_size=1, max_size=4).map(tuple),
        dropout=st.floats(0, 1),
        input_noise=_floats,
        residual=st.booleans(),
    ),
    train=st.builds(TrainConfig, epochs_ae=st.integers(0, 100), learning_rate=st.floats(1e-6, 1), seed=st.integers()),
    generation=st.builds(
        GenerationConfig,
        noise=_floats,
        mean_pull=st.floats(0, 1),
        reproject=st.booleans(),
        motion_gain=st.floats(0.01, MAX_MOTION_GAIN),
    ),
    data=st.lists(st.text()),
)


@settings(deadline=None)  # a shared machine can stall any one example
@given(_run_configs)
def test_any_run_config_survives_json_unchanged(cfg):
    assert _through_json(cfg) == cfg
