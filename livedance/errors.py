"""The one error type a user sees: a single line naming the input and what was expected."""


class LivedanceError(ValueError):
    """Bad input from a user, a file or a device. The CLI prints it as one line."""
