"""How quality grows with training steps: evaluate (zero-shot, offline suite) the snapshots that
``benchmarks/ablation.py --snapshots 20,40`` saved along each run, plus the untrained backbone as step 0,
and plot the suite mean against steps (mean over seeds, min–max as a band).

    python benchmarks/steps_curve.py --runs runs/study60/epic-s42 runs/study60/contrastive-s42 \\
        --out runs/curve --png docs/steps-curve.png

Evaluations are written next to each snapshot (``RUN/eval-stepN``) and reused on rerun.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path

import torch

from epic.evaluation.run import EvalSpec, evaluate_specs


def suite_mean(spec: EvalSpec, folder: Path) -> float:
    """The spec's suite mean from ``folder/summary.json`` when it holds that label, else evaluated there."""
    summary = folder / "summary.json"
    scores = json.loads(summary.read_text()) if summary.is_file() else {}
    if spec.label not in scores:
        scores = evaluate_specs([spec], folder, quiet=True)
    return 100 * statistics.mean(scores[spec.label].values())


def snapshots(run: Path) -> dict[int, Path]:
    """``{step: model folder}`` for one run: ``model-stepN`` and the final ``model``."""
    found = {int(m.group(1)): p for p in run.glob("model-step*") if (m := re.fullmatch(r"model-step(\d+)", p.name))}
    if (run / "model" / "epic_config.json").is_file():
        found[json.loads((run / "train_config.json").read_text())["max_steps"]] = run / "model"
    return dict(sorted(found.items()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", nargs="+", required=True, help="run folders NAME-sSEED from benchmarks/ablation.py")
    p.add_argument("--out", default="runs/curve")
    p.add_argument("--png", default=None, help="also write the plot here (default: OUT/steps-curve.png)")
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    out = Path(a.out)
    untrained = suite_mean(EvalSpec("untrained · zero-shot", "epic", None, "none", 0), out / "untrained")
    curves: dict[str, dict[int, list[float]]] = {}
    for run in map(Path, a.runs):
        variant = re.sub(r"-s\d+$", "", run.name)
        points = curves.setdefault(variant, {0: []})
        points[0].append(untrained)
        for step, model in snapshots(run).items():
            spec = EvalSpec(f"{variant} · zero-shot", "epic", str(model), "none", 0)
            # the ablation already evaluated the final model in RUN/eval
            folder = run / "eval" if model.name == "model" else run / f"eval-step{step}"
            score = suite_mean(spec, folder)
            points.setdefault(step, []).append(score)
            print(f"{run.name} step {step}: {points[step][-1]:.1f}", flush=True)

    lines = ["| variant | step | suite mean | min–max over seeds | seeds |", "|---|---|---|---|---|"]
    for variant, points in curves.items():
        for step, vals in sorted(points.items()):
            lines.append(
                f"| {variant} | {step} | {statistics.mean(vals):.1f} | {min(vals):.1f}–{max(vals):.1f} | {len(vals)} |"
            )
    out.mkdir(parents=True, exist_ok=True)
    (out / "steps-curve.md").write_text("\n".join(lines) + "\n")
    (out / "steps-curve.json").write_text(json.dumps(curves, indent=2) + "\n")
    plot(curves, Path(a.png) if a.png else out / "steps-curve.png")
    print("\n".join(lines))


def plot(curves: dict[str, dict[int, list[float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for variant, points in curves.items():
        steps = sorted(points)
        ax.plot(steps, [statistics.mean(points[s]) for s in steps], marker="o", label=variant)
        ax.fill_between(steps, [min(points[s]) for s in steps], [max(points[s]) for s in steps], alpha=0.2)
    ax.set_xlabel("training steps (batch 16)")
    ax.set_ylabel("offline suite mean (zero-shot)")
    ax.set_title("Quality vs training steps (SmolLM2-135M, CPU recipe)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
