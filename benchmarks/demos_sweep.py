"""With vs without demonstrations at inference: k = 0..8 fixed demonstrations, and fixed vs nearest vs
random selection at chosen k, for one trained model, on the offline suite (a markdown table).
``--foreign`` adds a content control: each task's fixed demonstrations replaced by another suite task's (the
task's own instruction kept), so a model that reads its demonstrations scores lower with them.
``--instruction default`` evaluates every task with the library's default instruction instead of its own: a
task nobody wrote an instruction for, where the demonstrations are what tells the task.

    python benchmarks/demos_sweep.py --model runs/study60/epic-s42/model --ks 0,1,3,5,8 --compare-at 3 \\
        --out runs/sweep
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import torch

from epic.encoder.config import DEFAULT_INSTRUCTION
from epic.evaluation.run import EvalSpec, evaluate_specs
from epic.evaluation.suite import build_suite
from epic.recipes.quickstart import QuickstartConfig


def write_foreign_demos(folder: Path) -> dict[str, str]:
    """Each suite task's demonstrations, taken from the next task in the suite's order (a cycle): the
    ``--examples-dir`` files of the evaluation. Returns which task's demonstrations each one gets."""
    tasks = list(build_suite().values())
    folder.mkdir(parents=True, exist_ok=True)
    given = {}
    for i, task in enumerate(tasks):
        donor = tasks[(i + 1) % len(tasks)]
        lines = [json.dumps({"query": d.query, "response": d.response}) for d in donor.demos]
        (folder / f"{task.name}.jsonl").write_text("\n".join(lines) + "\n")
        given[task.name] = donor.name
    return given


def foreign_scores(a: argparse.Namespace, ks: list[int]) -> dict[str, dict[str, float]]:
    """k fixed demonstrations of another task (own folder: the result files are keyed by model and k)."""
    out = Path(a.out) / "foreign"
    donors = write_foreign_demos(out / "demos")
    print("foreign demonstrations:", ", ".join(f"{t} <- {d}" for t, d in donors.items()))
    specs = [EvalSpec(f"k={k} foreign", "epic", a.model, a.demo_mode, k, "fixed") for k in ks]
    return evaluate_specs(
        specs, out, quiet=True, mixed_precision=a.precision, examples_dir=out / "demos", instruction=a.instruction
    )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--ks", default="0,1,3,5,8", help="numbers of fixed demonstrations")
    p.add_argument("--selections", default="nearest,random", help="other selections, compared at --compare-at")
    p.add_argument("--compare-at", default="3", help="the k values where the other selections are run")
    p.add_argument("--demo-mode", default="embedding", help="embedding | text")
    p.add_argument("--instruction", help="every task's instruction replaced by this one ('default': the library's)")
    p.add_argument("--foreign", action="store_true", help="also the --compare-at k with another task's demonstrations")
    p.add_argument("--out", default="runs/sweep")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--precision", default=QuickstartConfig.eval_precision, help="none | bf16 | auto (the quickstart's)")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    specs = []
    for k in [int(x) for x in a.ks.split(",") if x]:
        mode = a.demo_mode if k else "none"
        specs.append(EvalSpec(f"k={k} fixed" if k else "k=0", "epic", a.model, mode, k, "fixed"))
    compare_at = [int(x) for x in a.compare_at.split(",") if x]
    for k in compare_at:
        for sel in [s for s in a.selections.split(",") if s and s != "fixed"]:
            specs.append(EvalSpec(f"k={k} {sel}", "epic", a.model, a.demo_mode, k, sel))
    if a.instruction == "default":
        a.instruction = DEFAULT_INSTRUCTION
    scores = evaluate_specs(specs, a.out, quiet=True, mixed_precision=a.precision, instruction=a.instruction)
    if a.foreign:
        scores.update(foreign_scores(a, compare_at))
    print("| demonstrations | suite mean |\n|---|---|")
    for label, s in scores.items():
        print(f"| {label} | {100 * statistics.mean(s.values()):.1f} |")
