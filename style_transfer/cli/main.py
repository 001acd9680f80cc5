"""`style-transfer` command line: one clear line and exit status 2 on bad input."""
from __future__ import annotations

import argparse
import atexit
import importlib
import logging
import os
import re
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
    "style_transfer.cli.commands.batch",
    "style_transfer.cli.commands.ui",
)

# Exit statuses of a run stopped by a signal, as a shell reports them (128 + signal number).
SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line on stderr that points to --help, instead of the whole usage."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class ExamplesHelpFormatter(argparse.HelpFormatter):
    """Text with line breaks (the examples epilogs) is printed as written; one long line is wrapped.

    RawDescriptionHelpFormatter would also stop the one-line descriptions from being wrapped.
    """

    def _fill_text(self, text, width, indent):
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def build_parser() -> argparse.ArgumentParser:
    from style_transfer import __version__

    parser = OneLineParser(
        prog="style-transfer",
        description="Neural style transfer through the frozen VGG16 backbone of an SSD300 detector.",
        epilog="examples:\n"
               "  style-transfer image imgs/chelsea.jpg imgs/GreatWave.png -o out.png\n"
               "  style-transfer image --help",
        formatter_class=ExamplesHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbose_help = "let TensorFlow's own log lines through (hidden by default)"
    parser.add_argument("--verbose", action="store_true", help=verbose_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=OneLineParser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    for command_parser in sub.choices.values():
        command_parser.formatter_class = ExamplesHelpFormatter
        # Also accepted after the command; SUPPRESS keeps a flag given before it.
        command_parser.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                                    help=verbose_help)
    return parser


# What TensorFlow and the libraries under it (absl, XLA, oneDNN, CUDA) write straight to file
# descriptor 2 from C++, whatever TF_CPP_MIN_LOG_LEVEL says: glog/absl-formatted lines and absl's
# notice that it is not initialised yet.
NATIVE_LOG_LINE = re.compile(
    rb"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w.+-]+:\d+\] "
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|To enable the following instructions: .* rebuild TensorFlow)")


class NativeLogFilter:
    """Drop native log lines written to file descriptor 2 while a command runs.

    Python's own stderr (our messages, progress bars, tracebacks) is moved to a duplicate of the
    terminal's descriptor and is not touched; descriptor 2 becomes a pipe that a thread reads,
    passing through every line that is not a native log line (a child process's error, say).
    """

    def __init__(self):
        self.saved_stderr = sys.stderr
        sys.stderr.flush()
        self.terminal = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
        self.reader = threading.Thread(target=self._forward, args=(read_end,), daemon=True)
        self.reader.start()
        sys.stderr = open(self.terminal, "w", buffering=1, encoding=self.saved_stderr.encoding,
                          errors="backslashreplace", closefd=False)

    def _forward(self, read_end):
        pending = b""
        with open(read_end, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                kept = [line + b"\n" for line in lines if not NATIVE_LOG_LINE.match(line)]
                if kept:
                    os.write(self.terminal, b"".join(kept))
        if pending and not NATIVE_LOG_LINE.match(pending):
            os.write(self.terminal, pending)

    def close(self):
        sys.stderr.flush()
        sys.stderr = self.saved_stderr
        os.dup2(self.terminal, 2)  # closes the pipe's write end, so the reader sees the end
        self.reader.join(timeout=2)
        os.close(self.terminal)


def quiet_libraries() -> None:
    """Keep TensorFlow's Python-side and C++-side logging below errors."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for name in ("tensorflow", "absl", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)


def start_native_log_filter() -> NativeLogFilter | None:
    """A running NativeLogFilter, or None where there is nothing to filter. An in-process caller that
    replaced sys.stderr (a test capturing it) keeps what it set up."""
    if sys.stderr is None or sys.stderr is not sys.__stderr__:
        return None
    try:
        return NativeLogFilter()
    except OSError:  # no usable descriptor 2 (closed, or not a file)
        return None


def quiet_script() -> None:
    """For a script (the benchmarks) what the CLI does for its commands: logging below errors and the
    native log lines dropped from descriptor 2 until the process exits. Call it before TensorFlow loads."""
    quiet_libraries()
    native_filter = start_native_log_filter()
    if native_filter is not None:
        atexit.register(native_filter.close)  # forwards what is still in the pipe


def main(argv=None) -> int:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    args = build_parser().parse_args(argv)
    verbose = getattr(args, "verbose", False)
    if not verbose:
        quiet_libraries()
    native_filter = None if verbose else start_native_log_filter()
    from style_transfer.cli.options import start_device

    start_device(args)
    try:
        return run_command(args.func, args)
    finally:
        if native_filter is not None:
            native_filter.close()


def close_progress_bars() -> None:
    """Finish the progress bars an interruption left open, so our message starts on its own line."""
    tqdm_module = sys.modules.get("tqdm")
    if tqdm_module is None:
        return
    for bar in list(getattr(tqdm_module.tqdm, "_instances", ())):
        try:
            bar.close()
        except Exception:  # a bar half torn down by the interruption: the message matters more
            pass


def run_command(func, args) -> int:
    """Run one sub-command; map user errors to status 2, Ctrl-C to 130 and SIGTERM to 143.

    Ctrl-C raises KeyboardInterrupt wherever Python happens to be; inside TensorFlow's tracing or a C
    extension it can come out wrapped in another exception. A handler records which signal came,
    so any exception that follows it still ends as an interruption, not a traceback. SIGTERM (a
    `kill`, a container stopping) is handled the same way, so the writers' clean-up on exceptions
    removes their temporary files instead of the process dying on the spot.
    """
    from style_transfer.errors import NonFiniteLossError, user_error_types

    received = None

    def on_signal(signum, frame):
        nonlocal received
        received = signum
        raise KeyboardInterrupt

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, on_signal) for sig in SIGNAL_EXIT} if in_main_thread else {}
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
        if not (received or isinstance(exc, KeyboardInterrupt)):
            raise
        close_progress_bars()
        if received == signal.SIGTERM:
            print("style-transfer: terminated", file=sys.stderr)
            return SIGNAL_EXIT[signal.SIGTERM]
        print("style-transfer: interrupted", file=sys.stderr)
        return SIGNAL_EXIT[signal.SIGINT]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
