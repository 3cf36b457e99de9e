"""The one error type a user sees: a single line naming the input and what was expected."""


class LivedanceError(ValueError):
    """Bad input from a user, a file or a device. The CLI prints it as one line."""


def one_line(value: object, limit: int | None = 200, first: bool = False) -> str:
    """An exception (or any text) as one line for a status, the HUD or a log: whitespace
    folded (`first`: only its first line, for libraries whose later lines are a dump), the
    exception's type when it says nothing, cut at `limit` characters."""
    text = str(value).strip()
    if first:
        text = text.splitlines()[0] if text else ""
    text = " ".join(text.split())
    if not text and isinstance(value, BaseException):
        text = type(value).__name__
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - 3] + "..." if limit >= 3 else text[: max(limit, 0)]
