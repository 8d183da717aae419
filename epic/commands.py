"""Sub-commands beyond ``encode``: data, train (and, registered by their modules, eval, serve, bench,
quickstart). Every field of a config dataclass is a command-line flag (``--max-steps 10``) that
overrides the YAML file given with ``--config``."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing
from pathlib import Path

REGISTER: list = []


def add_dataclass_flags(parser: argparse.ArgumentParser, cls, skip: tuple[str, ...] = ()) -> None:
    """One ``--field-name`` flag per dataclass field (values are coerced and checked by the config)."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        if hints[f.name] is bool:
            parser.add_argument(flag, dest=f.name, nargs="?", const="true", default=None, help=f"(default {f.default})")
        else:
            default = f.default if f.default is not dataclasses.MISSING else "[...]"
            parser.add_argument(flag, dest=f.name, default=None, help=f"(default {default})")


def dataclass_from_args(cls, args: argparse.Namespace, config_path: str | None):
    from .config_io import from_dict, load_yaml

    overrides = {
        f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if getattr(args, f.name, None) is not None
    }
    return load_yaml(cls, config_path, overrides) if config_path else from_dict(cls, overrides, "command line")


def cmd_data_build(args: argparse.Namespace) -> None:
    from .builddata import build

    manifest = build(args.output, args.max_per_task, args.seed)
    total = sum(t["examples"] for t in manifest["tasks"].values())
    for name, t in manifest["tasks"].items():
        print(f"{name:18s} {t['examples']:>7,d} examples  ({t['type']})")
    print(f"wrote {total:,d} examples in {len(manifest['tasks'])} tasks to {args.output}")


def cmd_train(args: argparse.Namespace) -> None:
    from .train import TrainConfig, Trainer

    config = dataclass_from_args(TrainConfig, args, args.config)
    if not config.data:
        raise FileNotFoundError("no training data: pass --data FILE_OR_DIR (build one with `epic data build`)")
    path = Trainer(config).train()
    print(f"saved the trained model to {path}", file=sys.stderr)


def cmd_eval(args: argparse.Namespace) -> None:
    from .evaluation.run import evaluate_specs, record_in_model_cards, specs_for

    modes = args.demo_mode or ["none", "embedding", "text"]
    specs = [s for m in (args.model or ["default"]) for s in specs_for(m, modes, args.n_demos, args.demo_selection)]
    tasks = [t for group in (args.tasks or []) for t in group.split(",") if t]
    scores = evaluate_specs(
        specs, args.output, args.suite, tasks or None, args.scale, args.examples_dir, args.batch_size
    )
    if not tasks and args.scale == 1:  # the whole suite at its standard size: worth a line in the model card
        record_in_model_cards(specs, scores, args.suite)
    print((Path(args.output) / "summary.md").read_text())
    print(f"wrote mteb results and summary.md / summary.png to {args.output}")


def cmd_serve(args: argparse.Namespace) -> None:
    from .serve import ServeConfig, serve

    config = dataclass_from_args(ServeConfig, args, None)
    serve(args.model, args.tasks, args.host, args.port, config)


def cmd_bench(args: argparse.Namespace) -> None:
    from . import bench

    if args.what == "encode":
        print(bench.encode_speed(args.model, args.queries, args.k, args.batch_size, args.threads, args.repeats))
    elif args.what == "train":
        from .builddata import default_train_data

        lengths = dict(
            lora_r=args.lora_r, lora_alpha=2 * args.lora_r, query_max_length=args.query_max_length,
            passage_max_length=args.passage_max_length, demo_max_length=args.demo_max_length,
        )  # fmt: skip
        data = str(default_train_data())
        print(bench.train_speed(args.model, args.batch_size, args.k, args.repeats, args.threads, data, **lengths))
    else:
        from .serve_load import load_test

        print(load_test(args.model, args.threads, [int(x) for x in args.levels.split(",")], args.requests))


def cmd_info(args: argparse.Namespace) -> None:
    from .card import facts

    rows = facts(args.path)
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        print(f"{key:<{width}}  {value}")


def cmd_quickstart(args: argparse.Namespace) -> None:
    from .quickstart import QuickstartConfig, run_quickstart

    config = dataclass_from_args(QuickstartConfig, args, None)
    table = run_quickstart(config)
    print(table)
    print(
        f"\nreport: {config.output}/report.md and report.png; models: {config.output}/model, {config.output}/baseline"
    )


def register(sub) -> None:
    from .train import TrainConfig

    p = sub.add_parser("data", help="build the default training set from the installed dictionaries")
    dsub = p.add_subparsers(dest="data_command", required=True)
    b = dsub.add_parser("build", help="write WordNet/GCIDE training tasks as JSONL")
    b.add_argument("--output", default="data/train", type=Path)
    b.add_argument("--max-per-task", type=int, default=20000)
    b.add_argument("--seed", type=int, default=0)
    b.set_defaults(func=cmd_data_build)

    p = sub.add_parser("eval", help="evaluate models on the offline suite or mteb tasks")
    p.add_argument(
        "--model", action="append", help="epic model, HF decoder folder, ST folder, 'default', 'minilm', 'random'"
    )
    p.add_argument("--suite", choices=["offline", "mteb"], default="offline")
    p.add_argument("--tasks", action="append", help="task names (comma-separated or repeated)")
    p.add_argument("--demo-mode", action="append", choices=["none", "embedding", "text"])
    p.add_argument("--n-demos", type=int, default=3)
    p.add_argument("--demo-selection", choices=["fixed", "nearest", "random"], default="fixed")
    p.add_argument("--examples-dir", help="folder of <TaskName>.jsonl demonstration files (for mteb tasks)")
    p.add_argument("--scale", type=int, default=1, help="multiply the offline suite's test sizes")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--output", default="runs/eval")
    p.set_defaults(func=cmd_eval)

    from .serve import ServeConfig

    p = sub.add_parser("serve", help="serve embeddings over HTTP (OpenAI-compatible)")
    p.add_argument("--model", default=None, help="saved epic model (default: the embedded backbone)")
    p.add_argument("--tasks", help="YAML task file: instructions and demonstrations, registered at start-up")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    add_dataclass_flags(p, ServeConfig)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("bench", help="speed benchmarks: encode | train | serve (print a table)")
    p.add_argument("what", choices=["encode", "train", "serve"])
    p.add_argument("--model", default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--queries", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3, help="encode: timed repeats; train: timed steps")
    p.add_argument("--requests", type=int, default=64, help="serve: requests per concurrency level")
    p.add_argument("--levels", default="1,4,16,32", help="serve: concurrency levels")
    p.add_argument("--lora-r", type=int, default=16, help="train: LoRA rank")
    p.add_argument("--query-max-length", type=int, default=64, help="train")
    p.add_argument("--passage-max-length", type=int, default=128, help="train")
    p.add_argument("--demo-max-length", type=int, default=128, help="train: text-ICL demo tokens per side")
    p.set_defaults(func=cmd_bench)

    from .quickstart import QuickstartConfig

    p = sub.add_parser("quickstart", help="the main job: data, train EPIC and baseline, evaluate, report")
    add_dataclass_flags(p, QuickstartConfig)
    p.set_defaults(func=cmd_quickstart)

    p = sub.add_parser("info", help="what a saved model folder is: base, weights, pooling, training, demo cache")
    p.add_argument("path")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("train", help="train an EPIC, text-ICL or contrastive model")
    p.add_argument("--config", help="YAML file of TrainConfig fields; flags override it")
    add_dataclass_flags(p, TrainConfig)
    p.set_defaults(func=cmd_train)


REGISTER.append(register)
