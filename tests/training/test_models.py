import numpy as np
import pytest

keras = pytest.importorskip("keras")

from livedance.config import AutoencoderConfig, PredictorConfig  # noqa: E402
from livedance.errors import LivedanceError  # noqa: E402
from livedance.training.models import build_autoencoder, build_predictor  # noqa: E402


def count(model, kind):
    return sum(type(layer).__name__ == kind for layer in model.layers)


@pytest.mark.parametrize("arch", ["default", "seed"])
def test_shapes(arch):
    encoder, decoder, autoencoder = build_autoencoder(AutoencoderConfig(arch=arch))
    assert encoder.output_shape == (None, 128)
    assert decoder.output_shape == (None, 120, 200, 1)
    assert autoencoder.output_shape == (None, 120, 200, 1)
    predictor = build_predictor(PredictorConfig(arch=arch), 128)
    assert predictor.input_shape == (None, 10, 128)
    assert predictor.output_shape == (None, 128)


def test_seed_arch_is_the_papers():
    encoder, decoder, _ = build_autoencoder(AutoencoderConfig(arch="seed"))
    assert count(encoder, "Conv2D") == 8 and count(encoder, "MaxPooling2D") == 3
    convs = [layer for layer in encoder.layers if type(layer).__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [32] * 7 + [8]
    assert [d.units for d in encoder.layers if type(d).__name__ == "Dense"] == [512, 128]
    assert count(decoder, "Conv2DTranspose") == 9 and count(decoder, "UpSampling2D") == 3
    assert [d.units for d in decoder.layers if type(d).__name__ == "Dense"] == [512, 1500]
    predictor = build_predictor(PredictorConfig(arch="seed"), 128)
    assert [layer.units for layer in predictor.layers if type(layer).__name__ == "LSTM"] == [512, 256, 256]
    assert [layer.rate for layer in predictor.layers if type(layer).__name__ == "Dropout"] == [0.2] * 3


def test_default_decoder_is_lighter():
    _, seed_decoder, _ = build_autoencoder(AutoencoderConfig(arch="seed"))
    _, decoder, _ = build_autoencoder(AutoencoderConfig(arch="default"))
    assert count(decoder, "UpSampling2D") == 0  # strided / sub-pixel upsampling instead


def test_unknown_arch():
    with pytest.raises(LivedanceError, match="unknown architecture 'big'"):
        build_autoencoder(AutoencoderConfig(arch="big"))


def test_residual_predictor_starts_from_the_last_latent():
    """With its change layer at zero, a residual LSTM predicts exactly the newest latent it read."""
    predictor = build_predictor(PredictorConfig(residual=True, units=(16,)), 128)
    change = predictor.get_layer("change")
    change.set_weights([np.zeros_like(w) for w in change.get_weights()])
    window = np.random.default_rng(0).standard_normal((3, 10, 128)).astype(np.float32)
    np.testing.assert_allclose(predictor(window, training=False).numpy(), window[:, -1], atol=1e-6)
    plain = build_predictor(PredictorConfig(units=(16,)), 128)
    assert "change" not in [layer.name for layer in plain.layers]
