"""Errors that the command line reports as one line and exit status 2."""


class UserInputError(Exception):
    """Bad input from the user: a file, a flag value, an output path."""


class NonFiniteLossError(RuntimeError):
    """The optimisation produced a NaN or infinite loss."""
