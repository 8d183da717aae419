"""``epic serve`` (the OpenAI-compatible HTTP service, on epic's own engine or vLLM) and ``epic export``."""

from __future__ import annotations

import argparse

from ..utils.config_io import add_dataclass_flags, dataclass_from_args


def cmd_serve(args: argparse.Namespace) -> None:
    from ..serving.server import ServeConfig, serve

    config = dataclass_from_args(ServeConfig, args, None)
    serve(args.model, args.tasks, args.host, args.port, config)


def cmd_export(args: argparse.Namespace) -> None:
    from ..data.tasks import load_tasks
    from ..serving.export import export_vllm

    manifest = export_vllm(args.model, args.output, load_tasks(args.tasks) if args.tasks else {})
    rows = sum(t["rows"] for t in manifest["tasks"].values())
    print(f"wrote the vLLM folder of {args.model or 'the embedded default'} to {args.output}: "
          f"{len(manifest['tasks'])} task(s), {rows} demonstration rows in the vocabulary "
          f"({manifest['base_vocab_size']} -> {manifest['vocab_size']})")  # fmt: skip
    print(f"serve it: vllm serve {args.output} --runner pooling, or epic serve --engine vllm --model {args.output}")


def register(sub) -> None:
    from ..serving.server import ServeConfig

    p = sub.add_parser("serve", help="serve embeddings over HTTP (OpenAI-compatible)")
    p.add_argument("--model", default=None, help="saved epic model (default: the embedded backbone)")
    p.add_argument("--tasks", help="YAML task file: instructions and demonstrations, registered at start-up")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    add_dataclass_flags(p, ServeConfig)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("export", help="an epic model as a folder vLLM serves exactly (--format vllm)")
    p.add_argument("model", help="epic model folder or 'default'")
    p.add_argument("output", help="a new folder")
    p.add_argument("--format", choices=["vllm"], default="vllm")
    p.add_argument("--tasks", help="YAML task file: each task's demonstrations become vocabulary rows")
    p.set_defaults(func=cmd_export)
