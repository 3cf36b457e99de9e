"""What livedance's log said: a handler on its own logger (which `logs.setup`, run by any test
calling `main`, stops from propagating to pytest's caplog)."""

import contextlib
import logging


class Said(logging.Handler):
    """Each warning (or worse) as the console shows it: the message, one line."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def about(self, words: str) -> list[str]:
        return [line for line in self.lines if words in line]


@contextlib.contextmanager
def warnings_said():
    said = Said()
    logger = logging.getLogger("livedance")
    logger.addHandler(said)
    try:
        yield said
    finally:
        logger.removeHandler(said)
