"""``epic bench encode|train|serve``: the speed tables of docs/benchmarks.md, from a source checkout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _benchmark(name: str):
    """A script of ``benchmarks/`` (a source checkout's, not part of the installed library)."""
    import importlib

    folder = Path(__file__).resolve().parents[2] / "benchmarks"
    if not (folder / f"{name}.py").is_file():
        raise FileNotFoundError(f"epic bench runs benchmarks/{name}.py of a source checkout; {folder} has none")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(name)


def cmd_bench(args: argparse.Namespace) -> None:
    if args.what == "encode":
        bench = _benchmark("encode_speed")
        print(bench.encode_speed(args.model, args.queries, args.k, args.batch_size, args.threads, args.repeats))
    elif args.what == "train":
        from ..data.build import default_train_data

        lengths = dict(
            lora_r=args.lora_r, lora_alpha=2 * args.lora_r, query_max_length=args.query_max_length,
            passage_max_length=args.passage_max_length, demo_max_length=args.demo_max_length,
        )  # fmt: skip
        data = str(default_train_data())
        bench = _benchmark("train_speed")
        print(bench.train_speed(args.model, args.batch_size, args.k, args.repeats, args.threads, data, **lengths))
    else:
        levels = [int(x) for x in args.levels.split(",")]
        print(_benchmark("serve_load").load_test(args.model, args.threads, levels, args.requests))


def register(sub) -> None:
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
