"""The CPU recipe: quality against wall-clock for the CPU-efficient training options.

Times EPIC training steps (and, where the backbone is cut to its first L layers, encoding) for each
variant of the quickstart's CPU recipe in one run, so the ratios compare like with like, and joins them
with the suite scores of the same variants trained by ``benchmarks/ablation.py`` into ``--study``:

    python benchmarks/cpu_recipe.py --study runs/study --reference top-16 \\
        --variant "top-16:train_top_layers=16" --variant "top-8:train_top_layers=8" \\
        --variant "top-4:train_top_layers=4" --variant "first-20:num_layers=20"

Each variant is ``name:field=value,...`` over TrainConfig on top of the CPU recipe (mode epic), named as
in the ablation so its scores are found; a variant without finished runs gets timings only. The
training minutes are for ``--budget`` steps (default: the quickstart's).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from ablation import collect, parse_variant
from bench_common import machine, markdown_table, setup_threads

from epic.data.build import default_train_data
from epic.encoder.model import EpicEncoder
from epic.evaluation.suite import build_suite
from epic.recipes.quickstart import CPU_RECIPE, QuickstartConfig
from epic.training.config import TrainConfig
from epic.training.trainer import Trainer


def step_seconds(variants: list[tuple[str, dict]], data: str, steps: int, batch_size: int) -> dict[str, float]:
    """Median seconds of ``steps`` EPIC training steps per variant, after one warm-up step each. The
    variants take their steps in turn (same seeded batches), so drift of a shared machine and the
    process's own warm-up fall on all of them alike."""
    trainers = {}
    for name, overrides in variants:
        cfg = TrainConfig(**{
            **CPU_RECIPE, "data": data, "mode": "epic", "batch_size": batch_size, "max_steps": steps + 1,
            "output": f"/tmp/epic-cpu-recipe-{name}", "save_every": 0, "quiet": True, **overrides,
        })  # fmt: skip
        trainers[name] = Trainer(cfg)
        trainers[name].train_step()
    times: dict[str, list[float]] = {name: [] for name in trainers}
    for _ in range(steps):
        for name, trainer in trainers.items():
            times[name].append(trainer.train_step()["seconds"])
    return {name: statistics.median(t) for name, t in times.items()}


def encode_seconds(num_layers: int | None, texts: list[str], task) -> float:
    """Seconds to encode ``texts`` zero-shot with the untrained backbone cut to ``num_layers``."""
    model = EpicEncoder.from_pretrained(None, device="cpu", num_layers=num_layers)
    model.encode_queries(texts[:8], task=task, demo_mode="none")  # warm-up
    t0 = time.perf_counter()
    model.encode_queries(texts, task=task, demo_mode="none")
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variant", action="append", required=True, help="name:field=value,... (TrainConfig)")
    p.add_argument("--study", default="runs/study", help="ablation output folder with the variants' scores")
    p.add_argument("--reference", default=None, help="variant the ratios are relative to (default: the first)")
    p.add_argument("--steps", type=int, default=6, help="timed training steps per variant")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--budget", type=int, default=QuickstartConfig.steps, help="steps per model")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    setting = setup_threads(a.threads)
    variants = [parse_variant(v) for v in a.variant]
    reference = a.reference or variants[0][0]
    data = str(default_train_data())
    suite = build_suite()["BBCNewsClassification"]
    texts, task = suite.data["test"]["text"][:64], suite.epic_task()
    scores, _ = collect(Path(a.study), [name for name, _ in variants])
    steps = step_seconds(variants, data, a.steps, a.batch_size)
    timed = {name: (steps[name], encode_seconds(kw.get("num_layers"), texts, task)) for name, kw in variants}
    ref_step, ref_encode = timed[reference]
    rows = []
    for name, overrides in variants:
        step, encode = timed[name]
        zs, demos = scores.get(f"{name} · zero-shot", {}), scores.get(f"{name} · 3 demos", {})
        seeds = ", ".join(map(str, sorted(zs))) or "not trained"
        rows.append([
            name, ", ".join(f"{k}={v}" for k, v in overrides.items()) or "the CPU recipe", step, step / ref_step,
            step * a.budget / 60, encode / ref_encode,
            statistics.mean(zs.values()) if zs else "–", statistics.mean(demos.values()) if demos else "–", seeds,
        ])  # fmt: skip
    headers = ["variant", "options", "s / EPIC step", "× step", f"EPIC training, {a.budget} steps (min)",
               "× encode", "zero-shot", "+ 3 demos", "seeds"]  # fmt: skip
    print(
        f"\nCPU recipe — EPIC step median of {a.steps} (batch {a.batch_size}), encode of 64 suite texts "
        f"zero-shot, ratios vs {reference}; scores: suite mean x 100 from {a.study}\n"
        f"machine: {machine()}; {setting}\n\n{markdown_table(headers, rows)}"
    )


if __name__ == "__main__":
    main()
