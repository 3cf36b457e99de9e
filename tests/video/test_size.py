import pytest

from livedance.errors import LivedanceError
from livedance.video.size import parse_size


def test_parse_size():
    assert parse_size("1280x720") == (1280, 720)
    with pytest.raises(LivedanceError):
        parse_size("x720")
