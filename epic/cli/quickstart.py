"""``epic quickstart``: the main job (:mod:`epic.recipes.quickstart`)."""

from __future__ import annotations

import argparse

from ..utils.config_io import add_dataclass_flags, dataclass_from_args


def cmd_quickstart(args: argparse.Namespace) -> None:
    from ..recipes.quickstart import QuickstartConfig, run_quickstart

    config = dataclass_from_args(QuickstartConfig, args, None)
    table = run_quickstart(config)
    print(table)
    out = config.output
    print(f"\nreport: {out}/report.md and report.png; models: {out}/model, {out}/baseline")


def register(sub) -> None:
    from ..recipes.quickstart import QuickstartConfig

    p = sub.add_parser("quickstart", help="the main job: data, train EPIC and baseline, evaluate, report")
    add_dataclass_flags(p, QuickstartConfig)
    p.set_defaults(func=cmd_quickstart)
