import logging

import pytest

from livedance import logs
from livedance.cli import main
from livedance.errors import LivedanceError, one_line


def _fail_and_log(name: str) -> None:
    try:
        {}["missing"]
    except Exception as exc:  # as every broad except in livedance does
        logging.getLogger(name).warning("%s", one_line(exc), exc_info=True)


def test_a_handled_error_is_one_console_line_and_a_whole_traceback_in_the_file(tmp_path, capsys):
    log_file = tmp_path / "show.log"
    logs.setup(log_file=log_file)
    try:
        _fail_and_log("livedance.live.mixer")
        logging.getLogger("livedance.live.mixer").debug("kept in the file only")
    finally:
        logs.shutdown()
    err = capsys.readouterr().err
    assert err == "livedance: WARNING: livedance.live.mixer: 'missing'\n"
    text = log_file.read_text()
    assert "Traceback (most recent call last)" in text and "KeyError: 'missing'" in text
    assert "_fail_and_log" in text and "kept in the file only" in text


def test_verbose_shows_tracebacks_on_the_console(capsys):
    logs.setup(verbose=True)
    try:
        _fail_and_log("livedance.control.osc")
    finally:
        logs.shutdown()
    err = capsys.readouterr().err
    assert err.startswith("livedance: WARNING: livedance.control.osc: 'missing'\n") and "KeyError" in err


def test_shutdown_twice_is_safe():
    logs.setup()
    logs.shutdown()
    logs.shutdown()


def test_an_unwritable_log_file_is_one_line(tmp_path, capsys):
    with pytest.raises(LivedanceError, match="--log-file .*: cannot open"):
        logs.setup(log_file=tmp_path / "no" / "such" / "dir.log")
    assert main(["midi", "--log-file", str(tmp_path / "no" / "x.log")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("livedance midi: error: --log-file") and err.count("\n") == 1


@pytest.mark.parametrize(
    "value, first, expected",
    [
        ("a\n  b", False, "a b"),
        (RuntimeError("[ONNXRuntimeError] : 1 : FAIL\n dump\n more"), True, "[ONNXRuntimeError] : 1 : FAIL"),
        (KeyError(), True, "KeyError"),
        ("", True, ""),
    ],
)
def test_one_line(value, first, expected):
    assert one_line(value, first=first) == expected
