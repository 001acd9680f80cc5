"""`style-transfer` command line: one clear line and exit status 2 on bad input."""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

# Sub-command modules, each with register(subparsers).
COMMAND_MODULES = (
    "style_transfer.cli.commands.image",
    "style_transfer.cli.commands.grid",
    "style_transfer.cli.commands.concat",
    "style_transfer.cli.commands.compare_backbones",
    "style_transfer.cli.commands.video",
    "style_transfer.cli.commands.flicker",
    "style_transfer.cli.commands.train_ssd",
    "style_transfer.cli.commands.detect",
    "style_transfer.cli.commands.evaluate_ssd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="style-transfer",
        description="Neural style transfer through the frozen VGG16 backbone of an SSD300 detector.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    args = build_parser().parse_args(argv)
    return run_command(args.func, args)


def run_command(func, args) -> int:
    """Run one sub-command; map user errors to status 2 and Ctrl-C to status 130.

    Ctrl-C raises KeyboardInterrupt wherever Python happens to be; inside TensorFlow's tracing or a C
    extension it can come out wrapped in another exception. A SIGINT handler records that Ctrl-C was
    pressed, so any exception that follows it still ends as an interruption, not a traceback.
    """
    from style_transfer.errors import NonFiniteLossError, user_error_types

    interrupted = False

    def on_sigint(signum, frame):
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if in_main_thread else None
    try:
        return func(args) or 0
    except user_error_types() as exc:
        print(f"style-transfer: error: {exc}", file=sys.stderr)
        return 2
    except NonFiniteLossError as exc:
        print(f"style-transfer: error: {exc}", file=sys.stderr)
        return 1
    except MemoryError:
        # what the up-front estimates let through: one line, not a traceback (status 1, like any run failure)
        print("style-transfer: error: out of memory (try a smaller --size, --resize or fewer inputs)",
              file=sys.stderr)
        return 1
    except BaseException as exc:
        if not (interrupted or isinstance(exc, KeyboardInterrupt)):
            raise
        print("style-transfer: interrupted", file=sys.stderr)
        return 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
