"""Errors that the command line reports as one line and exit status 2."""
import sys


class UserInputError(Exception):
    """Bad input from the user: a file, a flag value, an output path."""


class NonFiniteLossError(RuntimeError):
    """The optimisation produced a NaN or infinite loss."""


def user_error_types() -> tuple:
    """The exception types the command line reports as bad input (exit 2).

    CheckpointError (models/checkpoint.py) is one of them: the networks cannot import this
    package, and importing them here would load TensorFlow for every command, so it
    is included once its module has been imported (it must have been, to be raised).
    """
    checkpoint = sys.modules.get("style_transfer._models.checkpoint")
    return (UserInputError,) + ((checkpoint.CheckpointError,) if checkpoint is not None else ())
