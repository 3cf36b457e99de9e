import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

import pytest  # noqa: E402
from bare_show import MODEL, BareShow  # noqa: E402

from livedance.runtime.engine import Engine  # noqa: E402


@pytest.fixture(scope="module")
def engine():
    """The shipped default model, ready to step and decode."""
    return Engine(MODEL).prepare()


@pytest.fixture
def show(engine, tmp_path):
    """A show without its loop (see bare_show.py), recording into tmp_path."""
    return BareShow(engine, tmp_path)
