"""`style-transfer ui`: the web app (Gradio), with the loss network loaded once for the server's life."""
from __future__ import annotations

import os
import socket
import sys

from style_transfer.cli.options import positive_int
from style_transfer.errors import UserInputError

INSTALL_HINT = "the web app needs Gradio: pip install 'ssd-style-transfer[ui]'"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "ui", help="open the web app: upload a photo, pick paintings, watch it being painted",
        description="Serve a web page to stylise photos (live previews, cancel, downloads of the result and "
                    "of the progress animation), grids of styles and short videos. Requests are queued and "
                    "run one at a time. Scripts can call the /stylize endpoint with gradio_client.",
        epilog=(
            "examples:\n"
            "  style-transfer ui                      # then open http://127.0.0.1:7860\n"
            "  style-transfer ui --host 0.0.0.0 --port 8080\n"))
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for the network)")
    p.add_argument("--port", type=positive_int, default=7860, help="port to listen on (default 7860)")
    p.add_argument("--ssd-weights", metavar="PATH", default=None,
                   help="SSD300 checkpoint (.weights.h5) whose VGG16 backbone to use "
                        "(default: the first in ssd_weights/, else ImageNet VGG16)")
    p.set_defaults(func=run)


def check_address(host: str, port: int) -> None:
    """Fail before the slow start when the port is taken or the address is not this machine's."""
    if port > 65535:
        raise UserInputError(f"--port must be at most 65535, got {port}")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UserInputError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                                 "(choose another --port or --host)") from None


def run(args) -> int:
    check_address(args.host, args.port)
    # Gradio reports usage and checks for updates over the network by default; a local tool should not.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio  # noqa: F401  (imported here only, so the other commands do not pay for it)
    except ImportError:
        raise UserInputError(INSTALL_HINT) from None

    from style_transfer.nst.device import describe
    from style_transfer.nst.network import default_network
    from style_transfer.ui.app import serve

    print("style-transfer: loading the loss network…", file=sys.stderr)
    network = default_network(args.ssd_weights)
    print(f"style-transfer: {describe()}", file=sys.stderr)
    try:
        serve(network, host=args.host, port=args.port)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise UserInputError(f"cannot serve on {args.host}:{args.port}: {exc}") from None
    return 0
