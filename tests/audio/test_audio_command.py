"""`livedance audio --list`."""

from livedance.cli import main


def test_listing_inputs_without_live_input_is_one_line(capsys, live_input_lacks):
    assert main(["audio", "--list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"livedance audio: error: {live_input_lacks}") and "\n" not in err
