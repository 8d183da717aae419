"""``epic data build``: the default training set."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..data.build import DEFAULT_MAX_PER_TASK


def cmd_data_build(args: argparse.Namespace) -> None:
    from ..data.build import build

    manifest = build(args.output, args.max_per_task, args.seed, tuple(filter(None, args.extra_sources.split(","))))
    total = sum(t["examples"] for t in manifest["tasks"].values())
    for name, t in manifest["tasks"].items():
        print(f"{name:18s} {t['examples']:>7,d} examples  ({t['type']})")
    print(f"wrote {total:,d} examples in {len(manifest['tasks'])} tasks to {args.output}")


def register(sub) -> None:
    p = sub.add_parser("data", help="build the default training set from the installed dictionaries")
    dsub = p.add_subparsers(dest="data_command", required=True)
    b = dsub.add_parser("build", help="write the WordNet/GCIDE/FOLDOC training tasks as JSONL")
    b.add_argument("--output", default="data/train", type=Path)
    b.add_argument("--extra-sources", default="foldoc", help="comma-separated: foldoc, jargon, devil (or '')")
    b.add_argument("--max-per-task", type=int, default=DEFAULT_MAX_PER_TASK)
    b.add_argument("--seed", type=int, default=0)
    b.set_defaults(func=cmd_data_build)
