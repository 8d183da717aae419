"""``epic eval``: the offline suite or mteb tasks, for any number of models and demonstration modes."""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_eval(args: argparse.Namespace) -> None:
    from ..evaluation.run import evaluate_specs, record_in_model_cards, specs_for

    modes = args.demo_mode or ["none", "embedding", "text"]
    specs = [s for m in (args.model or ["default"]) for s in specs_for(m, modes, args.n_demos, args.demo_selection)]
    tasks = [t for group in (args.tasks or []) for t in group.split(",") if t]
    scores = evaluate_specs(
        specs, args.output, args.suite, tasks or None, args.scale, args.examples_dir, args.batch_size,
        mixed_precision=args.mixed_precision, instruction=args.instruction,
    )  # fmt: skip
    if not tasks and args.scale == 1 and args.instruction is None:  # the standard suite: a line in the model card
        record_in_model_cards(specs, scores, args.suite)
    print((Path(args.output) / "summary.md").read_text())
    print(f"wrote mteb results and summary.md / summary.png to {args.output}")


def register(sub) -> None:
    p = sub.add_parser("eval", help="evaluate models on the offline suite or mteb tasks")
    p.add_argument("--model", action="append", help="epic model, HF/ST folder, 'default', 'minilm', 'random'")
    p.add_argument("--suite", choices=["offline", "mteb"], default="offline")
    p.add_argument("--tasks", action="append", help="task names (comma-separated or repeated)")
    p.add_argument("--demo-mode", action="append", choices=["none", "embedding", "text"])
    p.add_argument("--n-demos", type=int, default=3)
    p.add_argument("--demo-selection", choices=["fixed", "nearest", "random"], default="fixed")
    p.add_argument("--examples-dir", help="folder of <TaskName>.jsonl demonstration files (for mteb tasks)")
    p.add_argument("--instruction", help="every task's instruction replaced by this one (epic models)")
    p.add_argument("--scale", type=int, default=1, help="multiply the offline suite's test sizes")
    p.add_argument("--mixed-precision", choices=["none", "bf16", "auto"], default="none", help="bf16 matmuls")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--output", default="runs/eval")
    p.set_defaults(func=cmd_eval)
