"""Each fuzzer's number of examples under the profile in use (the profiles: conftest.py)."""

from __future__ import annotations

import os

from hypothesis import settings

CI, LONG_PROFILE = "livedance-fuzz", "livedance-fuzz-long"
LONG = os.environ.get("LIVEDANCE_FUZZ", "").strip().lower() == "long"
SCALE = 50  # the long profile's examples per CI example


def fuzz(examples: int, **overrides) -> settings:
    """Settings for one fuzzer: `examples` in CI, SCALE times as many under LIVEDANCE_FUZZ=long."""
    profile = settings.get_profile(LONG_PROFILE if LONG else CI)
    return settings(profile, max_examples=examples * (SCALE if LONG else 1), **overrides)
