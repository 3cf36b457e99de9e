"""Which --audio means what, the file reader, and the device picker (live input needs PortAudio,
absent on the test machine: what can run without it runs here)."""

import os
import threading

import numpy as np
import pytest
import soundfile
from music import RATE, clicks, write

from livedance.audio.source import (
    AudioFault,
    AudioUnavailable,
    DeviceSource,
    FileSource,
    open_source,
    parse_audio,
    pick_device,
    sounddevice_module,
)
from livedance.errors import LivedanceError


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("0", ("device", 0)),
        ("12", ("device", 12)),
        ("default", ("device", None)),
        ("Default", ("device", None)),
        ("Focusrite", ("device", "Focusrite")),
        ("BlackHole 2ch", ("device", "BlackHole 2ch")),
        ("song.wav", ("file", "song.wav")),
        ("set.MP3", ("file", "set.MP3")),
        ("music/take", ("file", "music/take")),
    ],
)
def test_what_audio_means(spec, expected):
    assert parse_audio(spec) == expected


def test_an_empty_spec_is_refused_naming_what_was_expected():
    with pytest.raises(LivedanceError, match=r"^--audio '': expected a device index or name .*audio file"):
        parse_audio("")


def test_an_existing_file_without_a_suffix_is_a_file(tmp_path):
    path = write(tmp_path / "take.wav", clicks(120.0, 0.2))
    bare = path.rename(tmp_path / "take")
    assert parse_audio(str(bare)) == ("file", str(bare))
    assert isinstance(open_source(str(bare)), FileSource) and isinstance(open_source("3"), DeviceSource)


def test_a_file_reads_in_mono_blocks_at_its_own_clock(tmp_path):
    samples = clicks(120.0, 1.0)
    source = FileSource(str(write(tmp_path / "s.wav", samples, stereo=True)), realtime=False)
    source.open()
    blocks = []
    while (got := source.read(threading.Event())) is not None:
        blocks.append(got)
    source.close()
    assert source.samplerate == RATE
    assert np.allclose(np.concatenate([b for b, _ in blocks]), samples, atol=1e-4)
    heard = np.array([t for _, t in blocks]) - source.origin
    assert np.allclose(heard, np.minimum(np.arange(1, len(blocks) + 1) * 512, len(samples)) / RATE)


def test_a_looping_file_starts_over(tmp_path):
    source = FileSource(str(write(tmp_path / "s.wav", clicks(120.0, 0.1))), loop=True, realtime=False)
    source.open()
    total = sum(len(source.read(threading.Event())[0]) for _ in range(40))
    source.close()
    assert total > 3 * 0.1 * RATE


def overstated_flac(path, samples):
    """A FLAC whose header says it holds a second more than it does (as a VBR MP3's estimate can)."""
    soundfile.write(path, samples, RATE)
    data = bytearray(path.read_bytes())
    field = int.from_bytes(data[18:26], "big")  # STREAMINFO's last 36 bits there: the total samples
    data[18:26] = (field + RATE).to_bytes(8, "big")
    path.write_bytes(bytes(data))
    with soundfile.SoundFile(path) as sound:
        assert sound.frames == len(samples) + RATE
    return path


def read_all(source, most=1000, retries=0):
    """Blocks until the end (or `most`); a fault is retried `retries` times, as the audio input
    does: the file opened again, read from its start."""
    blocks = []
    while len(blocks) < most:
        try:
            got = source.read(threading.Event())
        except AudioFault:
            if not retries:
                raise
            retries -= 1
            source.open()
            blocks.clear()
            continue
        if got is None:
            break
        blocks.append(got[0])
    return blocks


def test_a_file_whose_header_overstates_it_ends_where_its_sound_does(tmp_path, warned):
    """Not a fault to retry for ever: the file is as it was, and the read that failed fails again
    at the same place after a retry, so that place is its end."""
    samples = clicks(120.0, 1.0)
    source = FileSource(str(overstated_flac(tmp_path / "s.flac", samples)), realtime=False)
    source.open()
    with pytest.raises(AudioFault, match="read failed"):
        read_all(source)  # the first time, as a flaky disk would: retried
    source.open()
    heard = np.concatenate(read_all(source))
    assert len(samples) - 512 <= len(heard) <= len(samples)
    np.testing.assert_allclose(heard, samples[: len(heard)], atol=1e-4)
    said = warned.about("s.flac")
    assert len(said) == 1 and "played as its end" in said[0], said
    looping = FileSource(source.path, loop=True, realtime=False)
    looping.open()
    assert sum(map(len, read_all(looping, most=200, retries=1))) == 200 * 512  # round and round after one retry


def test_a_file_cut_short_while_open_is_a_fault(tmp_path):
    path = write(tmp_path / "s.wav", clicks(120.0, 1.0))
    source = FileSource(str(path), realtime=False)
    source.open()
    source.read(threading.Event())
    os.truncate(path, 4096)
    with pytest.raises(AudioFault, match="read failed at"):
        read_all(source)


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda tmp: tmp / "missing.wav", "no such file"),
        (lambda tmp: tmp, "a folder, not an audio file"),
        (lambda tmp: (tmp / "junk.wav").write_bytes(b"not audio at all") and tmp / "junk.wav", "not an audio file"),
    ],
)
def test_a_file_that_wont_open_says_why(tmp_path, make, reason):
    with pytest.raises(AudioFault, match=f"^{reason}"):
        FileSource(str(make(tmp_path))).open()


DEVICES = [
    (0, "Built-in Microphone", 2),
    (3, "Focusrite Scarlett 2i2", 2),
    (5, "BlackHole 2ch", 2),
    (6, "Black box", 1),
]


@pytest.mark.parametrize(
    "target, index",
    [(None, 0), (3, 3), ("focusrite", 3), ("BlackHole 2ch", 5), ("Black box", 6)],
)
def test_picking_a_device(target, index):
    assert pick_device(target, DEVICES, default=0) == index


@pytest.mark.parametrize(
    "target, default, message",
    [
        (7, 0, "no input device 7 (inputs: 0 Built-in Microphone, 3 Focusrite"),
        ("Behringer", 0, "no such input device (inputs: 0 Built-in"),
        ("Black", 0, "matches 2 inputs"),
        (None, None, "no default input device"),
    ],
)
def test_an_unknown_device_is_named_with_the_inputs_there_are(target, default, message):
    with pytest.raises(AudioFault, match=message.replace("(", r"\(")):
        pick_device(target, DEVICES, default)


def test_live_input_without_its_library_says_what_is_missing(live_input_lacks):
    with pytest.raises(AudioUnavailable) as caught:
        sounddevice_module()
    message = str(caught.value)
    assert message.startswith(live_input_lacks) and "\n" not in message
    assert ("libportaudio2" if "PortAudio" in live_input_lacks else "livedance[audio]") in message
