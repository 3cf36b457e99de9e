"""The one error type a user sees: a single line naming the input and what was expected."""


class LivedanceError(ValueError):
    """Bad input from a user, a file or a device. The CLI prints it as one line."""


def one_line(value: object, limit: int | None = 200) -> str:
    """An exception (or any text) as one line for a status, the HUD or a log: whitespace
    folded, the exception's type when it says nothing, cut at `limit` characters."""
    text = " ".join(str(value).split())
    if not text and isinstance(value, BaseException):
        text = type(value).__name__
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."
