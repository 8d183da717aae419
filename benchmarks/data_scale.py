"""Peak memory of the training-data path at 10k and 1M training lines: flat, since the examples live
in a memory-mapped Arrow table and the batch plan in integer arrays.

    python benchmarks/data_scale.py [--lines 10000,1000000] [--steps 200]

Each size runs in a fresh process: read and validate the JSONL, build (or reuse) its table, hold out
16 validation examples per task, plan batches and materialise ``--steps`` of them. Prints peak RSS
(the process imports torch and epic's trainer, as training does) and the seconds of each stage.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import machine, markdown_table


def write_lines(path: Path, n: int) -> None:
    words = ["harbor", "violin", "glacier", "bakery", "surgeon", "umbrella", "thermometer", "telescope"]
    with path.open("w") as fh:
        for i in range(n):
            w = words[i % len(words)]
            row = {"query": f"{w} {i}", "pos": [f"the meaning of {w}, entry {i}"], "neg": [f"not {w} {i}"],
                   "task": f"task{i % 4}", "instruction": "Given a word, retrieve its definition"}  # fmt: skip
            fh.write(json.dumps(row) + "\n")


def child(path: str, steps: int) -> None:
    import epic.training.trainer  # noqa: F401  (what a training process has imported)
    from epic.data.train_data import load_train_data
    from epic.training.batches import TaskBatchPlan, make_batch
    from epic.training.validation import split_validation

    t0 = time.perf_counter()
    data = load_train_data(path)
    t1 = time.perf_counter()
    data, held = split_validation(data, 16)
    plan = TaskBatchPlan(data, batch_size=16, seed=0)
    t2 = time.perf_counter()
    for step in range(steps):
        make_batch(plan, step, hard_negatives=1, max_demos=5)
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({"peak_gib": peak, "load_s": t1 - t0, "plan_s": t2 - t1, "steps_s": t3 - t2}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", default="10000,1000000")
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "EPIC_CACHE": str(Path(scratch) / "cache"), "OMP_NUM_THREADS": "1"}
        for n in (int(x) for x in args.lines.split(",")):
            path = Path(scratch) / f"train-{n}.jsonl"
            write_lines(path, n)
            for run in ("first (builds the table)", "again (table cached)"):
                code = f"import data_scale; data_scale.child({str(path)!r}, {args.steps})"
                out = subprocess.run([sys.executable, "-c", code], env=env, cwd=Path(__file__).parent,
                                     capture_output=True, text=True, check=True).stdout  # fmt: skip
                r = json.loads(out.strip().splitlines()[-1])
                rows.append([f"{n:,}", run, round(r["peak_gib"], 3), round(r["load_s"], 1), round(r["plan_s"], 1),
                             round(r["steps_s"], 2)])  # fmt: skip
                print(rows[-1], flush=True)
    print(f"\n{machine()}; {args.steps} batches of 16 materialised per run\n")
    print(markdown_table(["lines", "run", "peak RSS GiB", "load + validate s", "hold-out + plan s",
                          "batches s"], rows))  # fmt: skip


if __name__ == "__main__":
    main()
