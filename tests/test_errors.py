"""The user-facing error type and one_line, which makes any exception or text fit a status line."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livedance.errors import LivedanceError, one_line


def test_a_livedance_error_is_a_value_error_carrying_its_message():
    with pytest.raises(ValueError, match=r"^clip\.npz: expected frames of 120x200$"):
        raise LivedanceError("clip.npz: expected frames of 120x200")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("plain words", "plain words"),
        ("  padded  ", "padded"),
        ("one\ntwo\r\nthree", "one two three"),
        ("tabs\tand   runs  of spaces", "tabs and runs of spaces"),
        ("form\x0cfeed and\u2028line separator", "form feed and line separator"),
        (OSError(2, "No such file or directory"), "[Errno 2] No such file or directory"),
        (ValueError("bad value\n  at line 3\n"), "bad value at line 3"),
        (KeyError("tempo"), "'tempo'"),
        (42, "42"),
        (None, "None"),
        ("", ""),
    ],
    ids=[
        "text",
        "padding",
        "newlines",
        "tabs-and-runs",
        "other-line-breaks",
        "os-error",
        "exception",
        "key-error",
        "number",
        "none",
        "empty-text",
    ],
)
def test_one_line_folds_whitespace_into_single_spaces(value, expected):
    assert one_line(value) == expected


@pytest.mark.parametrize(
    "exc, expected",
    [
        (ValueError(), "ValueError"),
        (LivedanceError(""), "LivedanceError"),
        (KeyboardInterrupt(), "KeyboardInterrupt"),
        (RuntimeError(" \n\t "), "RuntimeError"),
    ],
    ids=["no-message", "empty-message", "base-exception", "blank-message"],
)
def test_one_line_names_an_exception_that_says_nothing(exc, expected):
    assert one_line(exc) == expected
    assert one_line(exc, first=True) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("no file\nTraceback (most recent call last):\n  ...", "no file"),
        ("\n\n   first   words \nsecond", "first words"),
        (
            RuntimeError("[ONNXRuntimeError] : 10 : INVALID_GRAPH\n<dump>\n<dump>"),
            "[ONNXRuntimeError] : 10 : INVALID_GRAPH",
        ),
        ("single line", "single line"),
        ("", ""),
    ],
    ids=["dump-dropped", "leading-blank-lines", "library-dump", "single-line", "empty"],
)
def test_one_line_keeps_only_the_first_line_when_asked(value, expected):
    assert one_line(value, first=True) == expected


@pytest.mark.parametrize(
    "length, limit, expected_length, cut",
    [
        (199, 200, 199, False),
        (200, 200, 200, False),
        (201, 200, 200, True),
        (5000, 200, 200, True),
        (30, 10, 10, True),
        (5000, None, 5000, False),
    ],
    ids=["under", "at", "one-over", "far-over", "small-limit", "no-limit"],
)
def test_one_line_cuts_long_text_at_its_limit_with_an_ellipsis(length, limit, expected_length, cut):
    text = "x" * length
    out = one_line(text, limit)
    assert len(out) == expected_length
    assert out.endswith("...") == cut


def test_one_line_cuts_at_200_characters_unless_told():
    assert one_line("y" * 1000) == "y" * 197 + "..."


def test_one_line_cuts_after_folding_so_whitespace_costs_nothing():
    assert one_line("a" + "\n" * 500 + "b", 10) == "a b"


# One line and the limit hold for any text and any limit.
@settings(deadline=None)  # a shared machine can stall any one example
@given(st.text(), st.one_of(st.none(), st.integers(0, 300)), st.booleans())
def test_one_line_never_returns_a_line_break_and_respects_its_limit(text, limit, first):
    out = one_line(text, limit, first)
    assert len(out.splitlines()) <= 1 and "\n" not in out and "\r" not in out
    assert out == out.strip()
    if limit is not None:
        assert len(out) <= limit


@settings(deadline=None)  # a shared machine can stall any one example
@given(st.text(), st.booleans())
def test_one_line_without_a_limit_loses_no_words(text, first):
    lines = text.strip().splitlines()
    source = lines[0] if first and lines else text
    assert one_line(text, None, first).split() == source.split()


@settings(deadline=None)  # a shared machine can stall any one example
@given(st.text(min_size=1), st.integers(3, 300))
def test_a_cut_line_begins_with_the_whole_line(text, limit):
    whole, out = one_line(text, None), one_line(text, limit)
    assert out == whole or (out.endswith("...") and whole.startswith(out[:-3]))


@pytest.mark.parametrize(("limit", "expected"), [(2, "ab"), (1, "a"), (0, "")])
def test_a_limit_too_short_for_an_ellipsis_still_holds(limit, expected):
    assert one_line("abcdef", limit) == expected
