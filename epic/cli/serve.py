"""``epic serve``: the OpenAI-compatible HTTP service."""

from __future__ import annotations

import argparse

from ..utils.config_io import add_dataclass_flags, dataclass_from_args


def cmd_serve(args: argparse.Namespace) -> None:
    from ..serving.server import ServeConfig, serve

    config = dataclass_from_args(ServeConfig, args, None)
    serve(args.model, args.tasks, args.host, args.port, config)


def register(sub) -> None:
    from ..serving.server import ServeConfig

    p = sub.add_parser("serve", help="serve embeddings over HTTP (OpenAI-compatible)")
    p.add_argument("--model", default=None, help="saved epic model (default: the embedded backbone)")
    p.add_argument("--tasks", help="YAML task file: instructions and demonstrations, registered at start-up")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    add_dataclass_flags(p, ServeConfig)
    p.set_defaults(func=cmd_serve)
