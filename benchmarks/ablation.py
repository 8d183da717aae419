"""Ablation / comparison runner: train each variant with the same data, steps and recipe, for several
seeds, evaluate on the offline suite, and print mean ± spread (a markdown table).

    python benchmarks/ablation.py --out runs/study --seeds 42,43 \\
        --variant "epic:mode=epic" --variant "contrastive:mode=contrastive" --variant "text-icl:mode=text-icl" \\
        --variant "epic-linear:mode=epic,projection=linear" --variant "epic-1vec:mode=epic,vectors_per_demo=1"

Each variant is ``name:field=value,...`` over TrainConfig, on top of the quickstart's CPU recipe and
steps (``--steps`` overrides; the top-8, 60-step runs of docs/study.md sections 1-5 add
``train_top_layers=8`` to each variant and ``--steps 60``). EPIC and text-ICL variants are evaluated
zero-shot and with 3 demonstrations of their own kind. Finished runs and evaluations are reused, so the
command can be rerun after an interruption. The tables are rebuilt from every finished run under
``--out``, so several workers (e.g. one per seed, ``--threads 1`` each) can share one output folder.
``--snapshots 20,40`` also saves ``model-step20`` … for ``benchmarks/steps_curve.py``.

Data keys choose the training set instead of a TrainConfig field: ``sources=wordnet+gcide+brown`` (or
``all``, ``default``), ``without=brown+sotu`` (leave-one-out), ``max_per_task=3000``, ``mined=minilm``
(negatives mined by that model, :mod:`epic.training.mining`, cached beside the set).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path

import torch

from epic.data.build import DEFAULT_MAX_PER_TASK, default_train_data
from epic.evaluation.run import EvalSpec, evaluate_specs
from epic.recipes.quickstart import QuickstartConfig, cpu_recipe
from epic.training.config import TrainConfig
from epic.training.trainer import Trainer
from epic.utils.config_io import from_dict, parse_overrides

DATA_KEYS = ("sources", "without", "max_per_task", "mined")


def variant_data(overrides: dict) -> str:
    """The training set a variant names with its data keys (built and cached on first use)."""
    names = lambda key: tuple(str(overrides[key]).split("+")) if key in overrides else ()  # noqa: E731
    sources = overrides.get("sources", "default")
    sources = sources if sources in ("all", "default") else names("sources")
    folder = default_train_data(int(overrides.get("max_per_task", DEFAULT_MAX_PER_TASK)), sources, names("without"))
    if "mined" not in overrides:
        return str(folder)
    from epic.training.mining import MineConfig, mine

    mined = folder.with_name(f"{folder.name}-mined-{overrides['mined']}")
    if not (mined / "manifest.json").is_file():
        mine(folder, mined, str(overrides["mined"]), MineConfig())
    return str(mined)


def run_variant(
    name: str,
    overrides: dict,
    seed: int,
    steps: int,
    out: Path,
    batch_size: int,
    n_demos: int,
    snapshots: set[int],
    train_only: bool = False,
) -> dict[str, dict[str, float]]:
    run = out / f"{name}-s{seed}"
    final = run / "model"
    if not (final / "epic_config.json").is_file():
        train_fields = {k: v for k, v in overrides.items() if k not in DATA_KEYS}
        cfg = from_dict(TrainConfig, {
            **cpu_recipe(steps), "data": variant_data(overrides), "max_steps": steps, "batch_size": batch_size,
            "seed": seed, "output": str(run), "save_every": 20, "resume": True, "quiet": True, **train_fields,
        }, source=f"--variant {name}")  # fmt: skip

        def snapshot(trainer: Trainer, record: dict) -> None:
            if trainer.step in snapshots and trainer.step < steps:
                trainer.model.save_pretrained(run / f"model-step{trainer.step}")

        Trainer(cfg).train(callback=snapshot)
    if train_only:
        return {}
    mode = overrides.get("mode", "epic")
    specs = [EvalSpec(f"{name} · zero-shot", "epic", str(final), "none", 0)]
    if mode != "contrastive" and n_demos > 0:  # --n-demos 0: zero-shot only (screening runs)
        demo_mode = "embedding" if mode == "epic" else "text"
        specs.append(EvalSpec(f"{name} · {n_demos} demos", "epic", str(final), demo_mode, n_demos))
    # evaluated as the quickstart evaluates (bf16 where native), whatever the training precision
    return evaluate_specs(specs, run / "eval", quiet=True, mixed_precision=QuickstartConfig.eval_precision)


def parse_variant(spec: str) -> tuple[str, dict]:
    """``name:field=value,...`` -> (name, TrainConfig overrides)."""
    name, _, body = spec.partition(":")
    return name, parse_overrides([kv for kv in body.split(",") if kv])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="runs/study")
    p.add_argument("--steps", type=int, default=QuickstartConfig.steps)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seeds", default="42,43")
    p.add_argument("--n-demos", type=int, default=3)
    p.add_argument("--variant", action="append", default=[], help="name:field=value,field=value")
    p.add_argument("--snapshots", default="", help="also save the model at these steps, e.g. 20,40")
    p.add_argument("--threads", type=int, default=None, help="torch threads (one per worker when sharing cores)")
    p.add_argument("--train-only", action="store_true", help="train (with the learning curve), skip the suite")
    p.add_argument("--report-only", action="store_true", help="rebuild the tables from finished runs; train nothing")
    p.add_argument("--reference", default=None, help="variant to compare every other against, seed by seed")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    out = Path(a.out)
    snapshots = {int(s) for s in a.snapshots.split(",") if s}
    seeds = [] if a.report_only else [int(s) for s in a.seeds.split(",")]
    order = [v.partition(":")[0] for v in a.variant]
    for seed in seeds:  # seed-major: a first comparison arrives before the repeats
        for spec in a.variant:
            name, overrides = parse_variant(spec)
            run_variant(name, overrides, seed, a.steps, out, a.batch_size, a.n_demos, snapshots, a.train_only)
            write_tables(out, order, a.reference)
            print(f"done {name} seed {seed}", flush=True)
    write_tables(out, order, a.reference)
    print((out / "ablation.md").read_text())


def collect(out: Path, order: list[str]) -> tuple[dict[str, dict[int, float]], dict[str, dict[str, list[float]]]]:
    """Suite mean per seed and per-task scores of every evaluated run ``out/NAME-sSEED/eval``, by label."""
    runs = []  # (variant, seed, summary file) of each finished run folder NAME-sSEED
    for f in out.glob("*-s*/eval/summary.json"):
        if m := re.fullmatch(r"(.+)-s(\d+)", f.parent.parent.name):
            runs.append((m.group(1), int(m.group(2)), f))
    rank = {name: i for i, name in enumerate(order)}
    runs.sort(key=lambda r: (rank.get(r[0], len(rank)), r[0], r[1]))
    table: dict[str, dict[int, float]] = {}
    per_task: dict[str, dict[str, list[float]]] = {}
    for _, seed, f in runs:
        for label, tasks in json.loads(f.read_text()).items():
            table.setdefault(label, {})[seed] = 100 * statistics.mean(tasks.values())
            for t, v in tasks.items():
                per_task.setdefault(label, {}).setdefault(t, []).append(100 * v)
    return table, per_task


def paired_delta(table: dict[str, dict[int, float]], label: str, reference: str) -> str:
    """``label`` minus the reference variant's same evaluation, seed by seed (same seed = same data order)."""
    name, _, evaluation = label.partition(" · ")
    ref = table.get(f"{reference} · {evaluation}", {})
    seeds = sorted(set(ref) & set(table[label]))
    if name == reference or not seeds:
        return ""
    return " / ".join(f"{table[label][s] - ref[s]:+.1f}" for s in seeds) + f" (seeds {', '.join(map(str, seeds))})"


def write_tables(out: Path, order: list[str], reference: str | None = None) -> None:
    table, per_task = collect(out, order)
    columns = ["variant", "suite mean", "min–max over seeds", "seeds"] + (
        [f"Δ vs {reference}, per seed"] if reference else []
    )
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for label, by_seed in table.items():
        vals = list(by_seed.values())
        row = f"| {label} | {statistics.mean(vals):.1f} | {min(vals):.1f}–{max(vals):.1f} | {len(vals)} |"
        lines.append(row + (f" {paired_delta(table, label, reference)} |" if reference else ""))
    tasks = sorted({t for d in per_task.values() for t in d})
    lines += ["", "| variant | " + " | ".join(tasks) + " |", "|---|" + "---|" * len(tasks)]
    for label, d in per_task.items():
        lines.append(f"| {label} | " + " | ".join(f"{statistics.mean(d[t]):.1f}" for t in tasks) + " |")
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.md").write_text("\n".join(lines) + "\n")
    (out / "ablation.json").write_text(json.dumps({"means": table, "per_task": per_task}, indent=2) + "\n")


if __name__ == "__main__":
    main()
