"""With vs without demonstrations at inference: k = 0..8 and fixed / nearest / random selection, for
one trained model, on the offline suite (a markdown table).

    python benchmarks/demos_sweep.py --model runs/quickstart/model --ks 0,1,3,5,8 --out runs/sweep
"""

from __future__ import annotations

import argparse
import statistics

from epic.evaluation.run import EvalSpec, evaluate_specs

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", required=True)
    p.add_argument("--ks", default="0,1,3,5,8")
    p.add_argument("--selections", default="fixed,nearest,random")
    p.add_argument("--demo-mode", default="embedding")
    p.add_argument("--out", default="runs/sweep")
    a = p.parse_args()
    specs = []
    for k in [int(x) for x in a.ks.split(",")]:
        for sel in a.selections.split(",") if k else ["fixed"]:
            mode = a.demo_mode if k else "none"
            specs.append(EvalSpec(f"k={k} {sel}", "epic", a.model, mode, k, sel))
    scores = evaluate_specs(specs, a.out, quiet=True)
    print("| demonstrations | suite mean |\n|---|---|")
    for label, s in scores.items():
        print(f"| {label} | {100 * statistics.mean(s.values()):.1f} |")
