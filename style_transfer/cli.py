"""`style-transfer` command line: one clear line and exit status 2 on bad input."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# Sub-command modules, each with register(subparsers).
COMMAND_MODULES = (
    "style_transfer.commands.image",
    "style_transfer.commands.train_ssd",
    "style_transfer.commands.detect",
    "style_transfer.commands.evaluate_ssd",
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
    from style_transfer.errors import NonFiniteLossError, UserInputError

    try:
        return args.func(args) or 0
    except UserInputError as exc:
        print(f"style-transfer: error: {exc}", file=sys.stderr)
        return 2
    except NonFiniteLossError as exc:
        print(f"style-transfer: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("style-transfer: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
