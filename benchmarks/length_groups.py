"""What splitting each training forward by length saves (``TrainConfig.length_groups``): the first steps of
the quickstart's CPU recipe, once per setting in a fresh process (so each peak RSS is its own), the
same batches and seed. Prints, per mode and setting: tokens a step (padded), seconds a step, the peak
RSS, and how far each step's loss is from the one-forward run's (the split changes rounding only).

    python benchmarks/length_groups.py --steps 12 --groups 1 4 --modes epic contrastive
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys

from bench_common import machine, markdown_table, setup_threads


def padded_tokens(inp, groups: int) -> int:
    """The tokens a step's forwards run, padding included, split as ``groups`` allows."""
    from epic.encoder.engine import length_groups

    total = 0
    for prompts in (inp.base, inp.icl):
        lengths = [len(p) for p in prompts]
        total += sum(len(g) * max(lengths[i] for i in g) for g in length_groups(lengths, groups)) if prompts else 0
    return total


def child(mode: str, groups: int, steps: int, threads: int) -> None:
    """One run: ``steps`` steps, then a JSON line of its per-step records and peak RSS."""
    from epic.data.build import default_train_data
    from epic.recipes.quickstart import cpu_recipe
    from epic.training.config import TrainConfig
    from epic.training.trainer import Trainer
    from epic.utils.config_io import from_dict

    setup_threads(threads)
    cfg = from_dict(TrainConfig, {
        **cpu_recipe(60), "data": str(default_train_data()), "max_steps": 60, "batch_size": 16, "seed": 42,
        "output": f"/tmp/epic-length-groups-{mode}-{groups}", "quiet": True, "mode": mode, "eval_every": 0,
        "eval_examples": 8, "save_every": 0, "length_groups": groups,
    })  # fmt: skip
    trainer, rows, padded = Trainer(cfg), [], []
    step = trainer.objective.forward_backward

    def counted(inp):  # the step's own prompts, counted before it runs
        padded.append(padded_tokens(inp, groups))
        return step(inp)

    trainer.objective.forward_backward = counted
    for _ in range(steps):
        record = trainer.train_step()
        rows.append({key: record[key] for key in ("loss", "seconds", "tokens")} | {"padded": padded[-1]})
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print("RESULT " + json.dumps({"rows": rows, "peak_gib": peak_gib}), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--groups", type=int, nargs="+", default=[1, 4])
    p.add_argument("--modes", nargs="+", default=["epic", "contrastive"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--child", nargs=2, metavar=("MODE", "GROUPS"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return child(a.child[0], int(a.child[1]), a.steps, a.threads)
    table = []
    for mode in a.modes:
        reference = None
        for groups in a.groups:
            cmd = [sys.executable, __file__, "--child", mode, str(groups), "--steps", str(a.steps),
                   "--threads", str(a.threads)]  # fmt: skip
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            result = json.loads(next(line[7:] for line in out.splitlines() if line.startswith("RESULT ")))
            rows = result["rows"]
            losses = [r["loss"] for r in rows]
            reference = reference or losses
            drift = max(abs(x - y) / abs(y) for x, y in zip(losses, reference))
            seconds = [r["seconds"] for r in rows[1:]]  # the first step warms up
            table.append([mode, groups, round(statistics.mean(r["tokens"] for r in rows)),
                          round(statistics.mean(r["padded"] for r in rows)), statistics.median(seconds), sum(seconds),
                          result["peak_gib"], f"{drift:.1e}"])  # fmt: skip
            print(table[-1], flush=True)
    print(f"\nlength groups — the quickstart's CPU recipe, seed 42, steps 2-{a.steps} timed (step 1 warms up)")
    print(f"machine: {machine()}; {setup_threads(a.threads)}\n")
    print(markdown_table(["mode", "length_groups", "tokens / step", "padded / step", "s / step (median)",
                          "s (sum)", "peak RSS GiB", "max loss drift vs first"], table))  # fmt: skip


if __name__ == "__main__":
    main()
