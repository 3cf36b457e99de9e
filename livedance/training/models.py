"""The networks, as Keras 3 Functional models (TensorFlow backend).

Two architectures share one interface: an encoder (ink frame -> 128-d latent), a decoder
(latent -> ink frame) and a predictor (10 normalised latents -> the next one).

- `seed`: the paper's networks as published, for fidelity and comparison.
- `default`: ours. Strided convolutions instead of max-pools, and a decoder that upsamples
  with two transposed convolutions and a final sub-pixel (depth-to-space) step, so a frame
  costs ~0.2 GFLOP instead of the seed decoder's ~1.2: it has to decode every displayed frame.
"""

from __future__ import annotations

import keras
from keras import layers

from livedance.config import AutoencoderConfig, PredictorConfig
from livedance.errors import LivedanceError


def _check_arch(arch: str) -> None:
    if arch not in ("default", "seed"):
        raise LivedanceError(f"unknown architecture {arch!r}; expected 'default' or 'seed'")


# ---------------------------------------------------------------- encoders


def build_encoder(config: AutoencoderConfig) -> keras.Model:
    _check_arch(config.arch)
    frames = keras.Input(shape=(config.height, config.width, 1), name="frames")
    x = frames
    if config.arch == "seed":
        # 8 conv 3x3 layers (32 filters, the last 8), ReLU, 3 max-pools, dense 512, dense 128.
        filters = [32, 32, "pool", 32, 32, "pool", 32, 32, "pool", 32, 8]
        for i, f in enumerate(filters):
            if f == "pool":
                x = layers.MaxPooling2D(2, padding="same", name=f"encoder_pool_{i}")(x)
            else:
                x = layers.Conv2D(f, 3, padding="same", activation="relu", name=f"encoder_conv_{i}")(x)
        x = layers.Flatten(name="encoder_flatten")(x)
        x = layers.Dense(512, activation="relu", name="encoder_dense")(x)
    else:
        for i, f in enumerate([16, 32, 64, 64]):
            x = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu", name=f"encoder_conv_{i}")(x)
        x = layers.Flatten(name="encoder_flatten")(x)
    latent = layers.Dense(config.latent_dim, name="latent")(x)
    return keras.Model(frames, latent, name="encoder")


# ---------------------------------------------------------------- decoders


def build_decoder(config: AutoencoderConfig) -> keras.Model:
    _check_arch(config.arch)
    if config.height % 8 or config.width % 8:
        raise LivedanceError(f"frame size {config.height}x{config.width} must divide by 8")
    h8, w8 = config.height // 8, config.width // 8
    latent = keras.Input(shape=(config.latent_dim,), name="latent")
    if config.arch == "seed":
        # Dense 512, dense 1500, reshape 15x25x4, 9 transposed convs with 3 upsamplings, sigmoid.
        x = layers.Dense(512, activation="relu", name="decoder_dense_0")(latent)
        x = layers.Dense(h8 * w8 * 4, activation="relu", name="decoder_dense_1")(x)
        x = layers.Reshape((h8, w8, 4), name="decoder_reshape")(x)
        plan = [32, 32, "up", 32, 32, "up", 32, 32, "up", 32, 32]
        for i, f in enumerate(plan):
            if f == "up":
                x = layers.UpSampling2D(2, name=f"decoder_up_{i}")(x)
            else:
                x = layers.Conv2DTranspose(f, 3, padding="same", activation="relu", name=f"decoder_tconv_{i}")(x)
        frames = layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid", name="frames")(x)
        return keras.Model(latent, frames, name="decoder")

    # Channel widths chosen by measured onnxruntime latency (~1.1 ms a frame on 2 cores).
    x = layers.Dense(h8 * w8 * 32, activation="relu", name="decoder_dense")(latent)
    x = layers.Reshape((h8, w8, 32), name="decoder_reshape")(x)
    x = layers.Conv2DTranspose(64, 4, strides=2, padding="same", activation="relu", name="decoder_tconv_0")(x)
    x = layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu", name="decoder_tconv_1")(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="decoder_conv")(x)
    # Sub-pixel step: 4 channels at half resolution become one channel at full resolution.
    x = layers.Conv2D(4, 3, padding="same", activation="sigmoid", name="decoder_subpixel")(x)
    h2, w2 = config.height // 2, config.width // 2
    x = layers.Reshape((h2, w2, 2, 2), name="decoder_split")(x)
    x = layers.Permute((1, 3, 2, 4), name="decoder_interleave")(x)
    frames = layers.Reshape((config.height, config.width, 1), name="frames")(x)
    return keras.Model(latent, frames, name="decoder")


# ---------------------------------------------------------------- predictor


def build_predictor(config: PredictorConfig, latent_dim: int) -> keras.Model:
    _check_arch(config.arch)
    window = keras.Input(shape=(config.window, latent_dim), name="window")
    x = window
    if config.input_noise > 0:
        x = layers.GaussianNoise(config.input_noise, name="input_noise")(x)
    read = x  # what the LSTM reads, noise included (as generation feeds it)
    units = (512, 256, 256) if config.arch == "seed" else tuple(config.units)
    dropout = 0.2 if config.arch == "seed" else config.dropout
    for i, u in enumerate(units):
        last = i == len(units) - 1
        x = layers.LSTM(u, return_sequences=not last, name=f"lstm_{i}")(x)
        if dropout > 0:
            x = layers.Dropout(dropout, name=f"dropout_{i}")(x)
    if not config.residual:
        next_latent = layers.Dense(latent_dim, name="next")(x)
        return keras.Model(window, next_latent, name="predictor")
    # Residual: the LSTM predicts the change from the last latent it read, so a dancer it has
    # never seen starts from where that dancer is instead of from the poses it was trained on.
    change = layers.Dense(latent_dim, name="change")(x)
    last = layers.Cropping1D((config.window - 1, 0), name="last_crop")(read)
    last = layers.Reshape((latent_dim,), name="last")(last)
    next_latent = layers.Add(name="next")([last, change])
    return keras.Model(window, next_latent, name="predictor")


# ---------------------------------------------------------------- losses and metrics


def dice_loss(y_true, y_pred):
    axes = (1, 2, 3)
    inter = keras.ops.sum(y_true * y_pred, axis=axes)
    total = keras.ops.sum(y_true, axis=axes) + keras.ops.sum(y_pred, axis=axes)
    return 1.0 - (2.0 * inter + 1.0) / (total + 1.0)


def make_silhouette_loss(dice_weight: float):
    """Binary cross-entropy plus Dice: made for masks, unlike MSE on a mostly white frame."""
    bce = keras.losses.BinaryCrossentropy(reduction=None)

    def silhouette_loss(y_true, y_pred):
        per_pixel = bce(y_true, y_pred)
        return keras.ops.mean(per_pixel, axis=(1, 2)) + dice_weight * dice_loss(y_true, y_pred)

    return silhouette_loss


def silhouette_iou(y_true, y_pred):
    """IoU of the figure masks, thresholded at 0.5 (pixel accuracy would flatter a white guess)."""
    t = keras.ops.cast(y_true > 0.5, "float32")
    p = keras.ops.cast(y_pred > 0.5, "float32")
    inter = keras.ops.sum(t * p, axis=(1, 2, 3))
    union = keras.ops.sum(keras.ops.maximum(t, p), axis=(1, 2, 3))
    return keras.ops.mean(keras.ops.where(union > 0, inter / keras.ops.maximum(union, 1.0), 1.0))


def build_autoencoder(config: AutoencoderConfig) -> tuple[keras.Model, keras.Model, keras.Model]:
    encoder = build_encoder(config)
    decoder = build_decoder(config)
    frames = keras.Input(shape=(config.height, config.width, 1), name="frames")
    autoencoder = keras.Model(frames, decoder(encoder(frames)), name="autoencoder")
    return encoder, decoder, autoencoder


CUSTOM_OBJECTS = {"silhouette_iou": silhouette_iou}
