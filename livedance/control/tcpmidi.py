"""A mido port server's stream (raw MIDI bytes over TCP) as an input, read a little at a time.

mido's own SocketPort reads one byte per system call for as long as bytes keep arriving, so a
sender that never pauses never lets its reading thread go: a flood took the show's processor.
This reads at most `CHUNK` bytes, and only when what it parsed has been taken, so the reader
decides how fast the stream is read (`midi.MidiInput`'s rate) and TCP holds back the rest.
"""

from __future__ import annotations

import contextlib
import socket

import mido

CHUNK = 256  # bytes read at a time: about 80 channel messages


class TcpInput:
    """The part of a mido input port `MidiInput` uses: `iter_pending`, `closed` and `close`."""

    def __init__(self, sock: socket.socket):
        sock.setblocking(False)
        self._sock = sock
        self._parser = mido.Parser()
        self.closed = False

    def iter_pending(self):
        """Parsed messages, reading more bytes only once the parsed ones are taken."""
        while True:
            message = self._parser.get_message()
            if message is None:
                if self.closed or not self._fill():
                    return
                continue
            yield message

    def _fill(self) -> bool:
        try:
            data = self._sock.recv(CHUNK)
        except BlockingIOError:
            return False
        if not data:  # the server went away
            self.closed = True
            return False
        self._parser.feed(data)
        return True

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self._sock.close()
