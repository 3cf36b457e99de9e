"""Manifest fuzzing: a copy of the shipped bundle (models/default) with its manifest.json
corrupted every way, through the real loader (Bundle.load, onnxruntime on CPU).

A bundle either loads with sizes, statistics and generation settings it can play (positive,
finite, the networks' shapes), or is refused with a LivedanceError of one line naming the
bundle's file; never any other exception.
"""

import copy
import json
import math
import shutil

import numpy as np
import pytest
from bare_show import MODEL
from fuzz_budget import fuzz
from hypothesis import HealthCheck, event, given
from hypothesis import strategies as st

from livedance.config import MAX_MOTION_GAIN
from livedance.errors import LivedanceError
from livedance.runtime.bundle import CPU, MANIFEST, Bundle

SHIPPED = json.loads((MODEL / MANIFEST).read_text())
# (path of keys, what the loader reads there)
READ = [
    ("format",),
    ("frame",),
    ("frame", "height"),
    ("frame", "width"),
    ("latent_dim",),
    ("window",),
    ("step_rate",),
    ("latent_mean",),
    ("latent_std",),
    ("generation",),
    ("generation", "noise"),
    ("generation", "mean_pull"),
    ("generation", "reproject"),
    ("generation", "motion_gain"),
]
JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([0, 1, -1, 10**20, 10**400, 120, 200, 128, 10]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=10),
        st.sampled_from(["1", "12.0", "nan", "inf", "true"]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8,
)
VECTORS = st.one_of(
    st.builds(
        lambda n, v: [v] * n,
        st.sampled_from([0, 1, 127, 128, 129, 10_000]),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
    st.builds(
        lambda at, v: [1.0] * at + [v] + [1.0] * (127 - at),
        st.integers(0, 127),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
    st.just([[1.0] * 128]),  # the right numbers in the wrong shape
)


@st.composite
def manifests(draw) -> dict:
    """The shipped manifest with a few of the keys the loader reads replaced or deleted."""
    manifest = copy.deepcopy(SHIPPED)
    for path in draw(st.lists(st.sampled_from(READ), min_size=1, max_size=3)):
        *parents, key = path
        node = manifest
        for parent in parents:
            node = node.get(parent) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        how = draw(st.integers(0, 3))
        if how == 0:
            node.pop(key, None)
        elif how == 1 and key in ("latent_mean", "latent_std"):
            node[key] = draw(VECTORS)
        else:
            node[key] = draw(JSON)
    return manifest


TEXTS = st.one_of(
    manifests().map(json.dumps),  # NaN and Infinity as Python's json writes them
    JSON.map(json.dumps),
    st.builds(lambda n: "[" * n + "]" * n, st.integers(1, 100_000)),
    st.builds(lambda n: '{"format": 1, "latent_dim": ' + "9" * n + "}", st.integers(1, 10_000)),
    st.builds(lambda at: json.dumps(SHIPPED)[:at], st.integers(0, 2000)),
    st.text(max_size=100),
)


@pytest.fixture(scope="module")
def bundle_copy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle") / "default"
    shutil.copytree(MODEL, folder)
    return folder


def check(bundle: Bundle) -> None:
    """What a player may take for granted of a bundle that loaded."""
    for size in (bundle.height, bundle.width, bundle.latent_dim, bundle.window):
        assert isinstance(size, int) and size >= 1
    assert math.isfinite(bundle.step_rate) and bundle.step_rate > 0
    for stats in (bundle.latent_mean, bundle.latent_std):
        assert stats.shape == (bundle.latent_dim,) and np.all(np.isfinite(stats))
    assert np.all(bundle.latent_std > 0)
    g = bundle.generation
    assert math.isfinite(g.noise) and g.noise >= 0 and 0 <= g.mean_pull <= 1
    assert 0 < g.motion_gain <= MAX_MOTION_GAIN and isinstance(g.reproject, bool)


def load(folder, raw: bytes) -> None:
    (folder / MANIFEST).write_bytes(raw)
    try:
        bundle = Bundle.load(folder, providers=[CPU])
    except LivedanceError as exc:
        text = str(exc)
        assert text.startswith(str(folder)) and "\n" not in text, text
        event("refused")
        return
    check(bundle)
    event("loaded")


@fuzz(150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=TEXTS)
def test_any_manifest_loads_a_playable_bundle_or_is_one_line(bundle_copy, text):
    load(bundle_copy, text.encode("utf-8", "surrogatepass"))


@fuzz(30)
@given(raw=st.binary(max_size=64))
def test_any_bytes_as_a_manifest_are_one_line(bundle_copy, raw):
    load(bundle_copy, raw)
