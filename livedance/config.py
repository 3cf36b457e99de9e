"""Typed configuration: every trained bundle carries these, so it says how it was made."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The checkout (or install) root: shipped bundles (models/) and patches (patches/) live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

FRAME_HEIGHT = 120
FRAME_WIDTH = 200
LATENT_DIM = 128
WINDOW = 10
# Ink above this is figure: the one cut that generation, metrics and the compositor share.
INK_THRESHOLD = 0.5

ARCHS = ("default", "seed")
# The boldest motion gain a bundle may ask for (GenerationConfig.motion_gain).
MAX_MOTION_GAIN = 4.0


@dataclass
class AutoencoderConfig:
    arch: str = "default"
    latent_dim: int = LATENT_DIM
    height: int = FRAME_HEIGHT
    width: int = FRAME_WIDTH
    # Weight of the Dice term added to binary cross-entropy (default arch only; seed uses MSE).
    dice_weight: float = 1.0


@dataclass
class PredictorConfig:
    """The LSTM that reads `window` latents and predicts the next one."""

    arch: str = "default"
    window: int = WINDOW
    units: tuple[int, ...] = (256, 256)
    dropout: float = 0.0
    # Gaussian noise on the (normalised) input window while training: the model learns to
    # recover from its own imperfect predictions, which is what generation feeds it.
    input_noise: float = 0.3
    # Predict the change from the last latent (next = last + LSTM's output) rather than the
    # next latent itself.
    residual: bool = False


@dataclass
class TrainConfig:
    epochs_ae: int = 8
    epochs_lstm: int = 30
    batch_ae: int = 64
    batch_lstm: int = 128
    learning_rate: float = 1e-3
    patience: int = 4
    # Share of clips held out for validation (at least one clip).
    val_fraction: float = 0.1
    seed: int = 0


@dataclass
class GenerationConfig:
    """How a bundle is played: used by render, eval and the live engine."""

    # Std of Gaussian noise added to each predicted (normalised) latent: the remedy against
    # a fed-back regressor collapsing into a frozen pose.
    noise: float = 0.3
    # Pull of the window towards the data's mean latent per step, in [0, 1]: keeps a long
    # run from drifting off the data.
    mean_pull: float = 0.0
    # Re-projection: each prediction is decoded, cut to a clean silhouette (ink > 0.5) and
    # encoded again before it is shown and fed back, so the dance only ever passes through
    # latents of whole figures (the LSTM's drift and the noise otherwise wander off them).
    reproject: bool = True
    # Each step's predicted motion (from the last shown latent) x this: a mean-squared-error
    # LSTM predicts the average of the moves that could come next, which moves less than any
    # one of them; re-projection keeps the bolder step a body.
    motion_gain: float = 1.0


def to_dict(obj: Any) -> dict:
    return dataclasses.asdict(obj)


def from_dict(cls, data: dict | None):
    """Build a dataclass from a dict, ignoring unknown keys (older or newer manifests)."""
    data = data or {}
    names = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            continue
        if isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    return cls(**kwargs)


@dataclass
class RunConfig:
    """Everything `livedance train` was asked for; saved as runs/NAME/config.json."""

    autoencoder: AutoencoderConfig = field(default_factory=AutoencoderConfig)
    predictor: PredictorConfig = field(default_factory=PredictorConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    data: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict) -> "RunConfig":
        return cls(
            autoencoder=from_dict(AutoencoderConfig, data.get("autoencoder")),
            predictor=from_dict(PredictorConfig, data.get("predictor")),
            train=from_dict(TrainConfig, data.get("train")),
            generation=from_dict(GenerationConfig, data.get("generation")),
            data=list(data.get("data", [])),
        )
