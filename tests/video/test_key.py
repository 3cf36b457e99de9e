"""The keyed picture: alpha is the figure the picture draws, the colour is the figure's own."""

import av
import numpy as np
import pytest

from livedance.runtime.engine import Engine
from livedance.video.files import open_writer
from livedance.video.key import KeyedCompositor
from livedance.video.look import Compositor, Look

SIZE = (480, 270)


@pytest.fixture(scope="module")
def inks():
    engine = Engine("models/default", dancers=2).prepare()
    rng = np.random.default_rng(0)
    latents = engine.denormalise(rng.standard_normal((6, 2, engine.latent_dim)).astype(np.float32) * 0.5)
    return [engine.decode(latent).copy() for latent in latents]


def figure_mask(picture: np.ndarray, look: Look) -> np.ndarray:
    """Where the picture shows the figure's colour rather than the ground's."""
    figure, ground = (look.bg, look.fg) if look.invert else (look.fg, look.bg)
    to_figure = np.abs(picture.astype(int) - figure).sum(-1)
    to_ground = np.abs(picture.astype(int) - ground).sum(-1)
    return to_figure < to_ground


def iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


@pytest.mark.parametrize(
    "look",
    [
        Look(dancers=2),
        Look(dancers=2, mirror=True, scale=1.6, offset_x=0.3),
        Look(dancers=2, invert=True, fg="red", bg=(40, 0, 0)),
        Look(dancers=2, scale=0.5),
    ],
    ids=["plain", "mirrored-and-enlarged", "inverted", "small"],
)
def test_the_alpha_is_the_figure_the_picture_draws(inks, look):
    picture, keyed = Compositor(SIZE, (120, 200)), KeyedCompositor(SIZE, (120, 200))
    for ink in inks:
        drawn, key = picture.compose(ink, look), keyed.compose(ink, look)
        assert iou(figure_mask(drawn, look), key[..., 3] > 127) >= 0.99
    figure = look.bg if look.invert else look.fg
    assert np.all(key[..., :3] == figure)  # straight alpha: the colour is the figure's everywhere
    assert key[0, 0, 3] == 0  # the ground is clear


def test_blackout_fades_the_key_and_trails_key_their_echoes(inks):
    keyed = KeyedCompositor(SIZE, (120, 200))
    full = keyed.compose(inks[0], Look(dancers=2))[..., 3].copy()
    half = keyed.compose(inks[0], Look(dancers=2, blackout=0.5))[..., 3]
    assert abs(int(half.max()) - 128) <= 1 and full.max() == 255
    for ink in inks:
        trails = keyed.compose(ink, Look(dancers=2, trails=0.9), dt=1 / 60)[..., 3]
    now = KeyedCompositor(SIZE, (120, 200)).compose(inks[-1], Look(dancers=2))[..., 3]
    assert (trails > 0).sum() > (now > 0).sum()  # the echoes of earlier poses stay keyed in


def test_a_crossfade_dissolves_the_key_too(inks):
    keyed = KeyedCompositor(SIZE, (120, 200))
    look = Look(dancers=2)
    old = keyed.compose(inks[0], look)[..., 3].copy()
    new = keyed.compose(inks[3], look)[..., 3].copy()
    middle = keyed.compose(inks[3], look, fade_from=inks[0], fade=0.5)[..., 3]
    only_old = (old > 200) & (new < 50)
    assert abs(float(middle[only_old].mean()) - 127.5) < 10


def test_a_prores_file_keeps_the_key(inks, tmp_path):
    keyed = KeyedCompositor(SIZE, (120, 200))
    path = tmp_path / "key.mov"
    writer, codec, _ = open_writer(path, 30, SIZE)
    sent = []
    for ink in inks:
        frame = keyed.compose(ink, Look(dancers=2, fg="white"))
        sent.append(frame[..., 3] > 127)
        writer.write(frame)
    writer.release()
    with av.open(str(path)) as file:
        back = [f.to_ndarray(format="bgra")[..., 3] > 127 for f in file.decode(video=0)]
    assert codec == "prores4444" and len(back) == len(sent)
    assert min(iou(a, b) for a, b in zip(sent, back)) >= 0.95
