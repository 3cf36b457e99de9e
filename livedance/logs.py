"""Diagnostics: standard `logging` for every command, with the I/O on a thread of its own.

Every broad `except` in livedance logs what it caught with its traceback, while the HUD or
the console shows one line. On the console a warning is one line (`--verbose`: info
messages and full tracebacks too); `--log-file F` keeps everything, tracebacks included,
so a bug in the field leaves a trace. Records go through a queue to a listener thread, so
the display thread never waits on a terminal or a disk.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys
from pathlib import Path

from livedance.errors import LivedanceError

ROOT = "livedance"
CONSOLE_FORMAT = "livedance: %(levelname)s: %(name)s: %(message)s"
FILE_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s.%(funcName)s: %(message)s"

_listener: logging.handlers.QueueListener | None = None


class OneLineFormatter(logging.Formatter):
    """The message without its traceback: the console's view of a handled error."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


class _InProcessQueueHandler(logging.handlers.QueueHandler):
    """Hands the record over as it is, traceback included, for each handler to format its way
    (the standard handler bakes the traceback into the message, for other processes)."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.msg, record.args = record.getMessage(), None  # the arguments as they are now
        return record


def setup(verbose: bool = False, log_file: str | Path | None = None) -> None:
    """Route livedance's loggers to the console (and `log_file`) through a listener thread."""
    global _listener
    shutdown()
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter(CONSOLE_FORMAT) if verbose else OneLineFormatter(CONSOLE_FORMAT))
    handlers.append(console)
    if log_file is not None:
        try:
            file = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise LivedanceError(
                f"--log-file {log_file}: cannot open ({exc.strerror}); expected a writable file"
            ) from None
        file.setLevel(logging.DEBUG)
        file.setFormatter(logging.Formatter(FILE_FORMAT))
        handlers.append(file)
    records: queue.SimpleQueue = queue.SimpleQueue()
    logger = logging.getLogger(ROOT)
    logger.handlers[:] = [_InProcessQueueHandler(records)]
    logger.setLevel(logging.DEBUG if log_file is not None else console.level)
    logger.propagate = False
    _listener = logging.handlers.QueueListener(records, *handlers, respect_handler_level=True)
    _listener.start()


def shutdown() -> None:
    """Write out what is queued and stop the listener (safe to call twice)."""
    global _listener
    if _listener is not None:
        listener, _listener = _listener, None
        listener.stop()
        for handler in listener.handlers:
            handler.close()


atexit.register(shutdown)  # what is still queued at exit is written out
