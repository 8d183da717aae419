"""Which pass of an EPIC step loses learning in bf16? Trains the quickstart's CPU recipe (seed 42, the
first ``--stop`` steps of a ``--steps`` schedule, 45 by default) with the base pass (queries, positives,
negatives) and the ICL pass (queries with soft demonstrations) each in fp32 or bf16, and prints the
validation loss, always computed in fp32 so that the runs compare (docs/study.md §8f).

    python benchmarks/precision_passes.py --name fp32 --base none --icl none --threads 1
    python benchmarks/precision_passes.py --name bf16 --base bf16 --icl bf16 --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch

from epic.data.build import default_train_data
from epic.encoder.model import EpicEncoder
from epic.recipes.quickstart import CPU_RECIPE
from epic.training.config import TrainConfig
from epic.training.telemetry import read_log
from epic.training.trainer import Trainer
from epic.utils.config_io import from_dict, parse_overrides


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", required=True)
    p.add_argument("--base", choices=["none", "bf16"], default="none")
    p.add_argument("--icl", choices=["none", "bf16"], default="none")
    p.add_argument("--mode", default="epic")
    p.add_argument("--stop", type=int, default=15)
    p.add_argument("--steps", type=int, default=45, help="the schedule's length (the quickstart's is 60)")
    p.add_argument("--out", default="runs/precision")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="TrainConfig fields")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    validating = [False]
    embed, evaluate = EpicEncoder.embed, Trainer.evaluate

    def embed_in(self: EpicEncoder, prompts, table=None, *rest, **kwargs):  # the ICL pass has a vector table
        bf16 = (a.icl if table is not None else a.base) == "bf16" and not validating[0]
        self.compute_dtype = torch.bfloat16 if bf16 else None
        return embed(self, prompts, table, *rest, **kwargs)

    def evaluate_fp32(self: Trainer) -> dict:
        validating[0] = True
        try:
            return evaluate(self)
        finally:
            validating[0] = False

    EpicEncoder.embed, Trainer.evaluate = embed_in, evaluate_fp32
    run = Path(a.out) / a.name
    cfg = from_dict(TrainConfig, {
        **CPU_RECIPE, "data": str(default_train_data()), "max_steps": a.steps, "batch_size": 16, "seed": 42,
        "output": str(run), "quiet": True, "mode": a.mode, "mixed_precision": "none", "eval_every": a.stop,
        "detach_demos": False,  # §10's runs: gradient through the vectors unless --set detach_demos=true
        **parse_overrides(a.set),
    })  # fmt: skip

    def stop(trainer: Trainer, record: dict) -> None:
        if trainer.step >= a.stop:
            steps, evals = read_log(run / "train_log.jsonl")
            seconds = sorted(r["seconds"] for r in steps)
            curve = [(r["step"], round(r["eval_loss"], 4), round(r.get("eval_loss_demos", 0), 4)) for r in evals]
            print(json.dumps({"name": a.name, "evals": curve, "median_step_s": seconds[len(seconds) // 2]}))
            os._exit(0)  # the rest of the schedule is not needed

    Trainer(cfg).train(callback=stop)


if __name__ == "__main__":
    main()
