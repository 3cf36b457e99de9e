"""The exceptions livedance's own catch-alls logged: a fuzzer's way to see a bug a refusal hid.

The control threads catch everything so that no sender can end them, and log what they caught
with its traceback. A refusal of bad input is expected; an exception from inside the code
that turns a parsed message into controls is a bug, even though the show went on.
"""

from __future__ import annotations

import contextlib
import logging


class Caught(logging.Handler):
    """Collects the log records under `livedance` that carry an exception."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.records.append(record)

    def raised_in(self, *functions: str) -> list[str]:
        """Exceptions whose traceback passed through any of `functions` (by name), as text."""
        found = []
        for record in self.records:
            tb = record.exc_info[2]
            names = []
            while tb is not None:
                names.append(tb.tb_frame.f_code.co_name)
                tb = tb.tb_next
            if any(name in functions for name in names):
                found.append(f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]} (via {' > '.join(names)})")
        return found

    def all(self) -> list[str]:
        return [f"{type(r.exc_info[1]).__name__}: {r.exc_info[1]}" for r in self.records]


@contextlib.contextmanager
def caught():
    handler = Caught()
    logger = logging.getLogger("livedance")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
