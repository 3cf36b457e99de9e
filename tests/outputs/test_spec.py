"""Output specs as performers type them: a name, then size, fps and alpha for that output alone."""

import pytest

from livedance.errors import LivedanceError
from livedance.outputs.spec import OutputSpec, parse_output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Stage", OutputSpec("Stage")),
        ("", OutputSpec("")),
        ("Stage,size=1920x1080", OutputSpec("Stage", size=(1920, 1080))),
        ("Stage, size=1280x720 , fps=30, alpha=off", OutputSpec("Stage", (1280, 720), 30.0, False)),
        ("Main Out,alpha=ON", OutputSpec("Main Out", alpha=True)),
        ("/dev/video4,fps=29.97", OutputSpec("/dev/video4", fps=29.97)),
        ("size=640x360", OutputSpec("size=640x360")),  # the first part is always the name
        (",size=640x360", OutputSpec("", size=(640, 360))),
    ],
)
def test_specs_read_as_written(text, expected):
    assert parse_output("--ndi", text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Stage,size=1921x1080", "--ndi size= '1921x1080': expected even sides"),
        ("Stage,size=big", "--ndi size= 'big': expected WIDTHxHEIGHT"),
        ("Stage,fps=0", "fps='0': expected a frame rate above 0"),
        ("Stage,fps=nan", "fps='nan'"),
        ("Stage,fps=", "fps='': expected a frame rate"),
        ("Stage,alpha=maybe", "alpha='maybe': expected on or off"),
        ("Stage,colour=red", "'colour=red' is not an option"),
        ("Stage,720p", "'720p' is not an option"),
        ("Stage,fps=30,fps=25", "fps= given twice"),
    ],
)
def test_mistakes_name_the_flag_and_the_part_in_one_line(text, words):
    with pytest.raises(LivedanceError) as refused:
        parse_output("--ndi", text)
    message = str(refused.value)
    assert words in message and message.startswith("--ndi") and "\n" not in message


@pytest.mark.parametrize(
    ("spec", "size", "alpha"),
    [
        (OutputSpec("a"), (1280, 720), True),
        (OutputSpec("a", size=(640, 360)), (640, 360), True),
        (OutputSpec("a", alpha=False), (1280, 720), False),
    ],
)
def test_an_output_s_own_settings_override_the_show_s(spec, size, alpha):
    assert spec.resolved((1280, 720), True) == (size, alpha)
