"""Plot the learning curves of training runs side by side (validation loss and per-step health signals).

python benchmarks/curves.py runs/screen/t02-s42 runs/screen/eol-s42 --out docs/curves.png
python benchmarks/curves.py NAME=RUN_FOLDER ... --table   # also print the validation curve as a table
"""

from __future__ import annotations

import argparse
from pathlib import Path

from epic.training.telemetry import plot_learning_curves, read_log


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="run folders (with train_log.jsonl), optionally NAME=FOLDER")
    ap.add_argument("--out", default="curves.png")
    ap.add_argument("--title", default="learning curves (held-out validation batches)")
    ap.add_argument("--table", action="store_true", help="print eval_loss (and eval_top1) per step")
    a = ap.parse_args()
    runs = {}
    for item in a.runs:
        name, _, folder = item.rpartition("=")
        runs[name or Path(folder).name] = Path(folder)
    plot_learning_curves(runs, Path(a.out), a.title)
    print(f"wrote {a.out}")
    if a.table:
        for name, folder in runs.items():
            _, evals = read_log(folder / "train_log.jsonl")
            cells = [f"{r['step']}: {r['eval_loss']:.2f}" + (f" ({r['eval_top1']:.2f})" if "eval_top1" in r else "")
                     for r in evals]  # fmt: skip
            print(f"| {name} | " + " · ".join(cells) + " |")


if __name__ == "__main__":
    main()
