"""How EPIC's two loss terms pull on the weights: per step of the quickstart's CPU recipe, the gradient
norm of the zero-shot term and of the with-demonstrations term, the cosine between the two gradients,
and how much of the second reaches the pooled vectors through the demonstration slots
(docs/study.md §8h). Training follows the recipe's own loss; the extra backward passes only measure.

    python benchmarks/loss_terms.py --steps 8 --out runs/loss-terms
    python benchmarks/loss_terms.py --steps 8 --out runs/loss-terms-w25 --set demo_loss_weight=0.25
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

import torch

from epic.data.build import default_train_data
from epic.recipes.quickstart import CPU_RECIPE
from epic.training.config import TrainConfig
from epic.training.objective import Objective, StepInputs
from epic.training.trainer import Trainer
from epic.utils.config_io import from_dict, parse_overrides


def grad_norm(loss: torch.Tensor, inputs: list[torch.Tensor]) -> tuple[float, list[torch.Tensor | None]]:
    grads = torch.autograd.grad(loss, inputs, retain_graph=True, allow_unused=True)
    return float(sum((g.float() ** 2).sum() for g in grads if g is not None) ** 0.5), list(grads)


def measure(objective: Objective, inp: StepInputs) -> dict:
    """The two terms' losses and gradients at the current weights, before the step's own backward."""
    E, QI = objective.forward(inp)
    params = [p for p in objective.model.parameters() if p.requires_grad]
    nce = objective._nce(inp, cross_device=False)
    q0, pos, neg = objective.split_base(E, inp)
    with_demos, zero_shot = nce(objective.with_demos(q0, QI, inp), pos, neg), nce(q0, pos, neg)
    n_zs, g_zs = grad_norm(zero_shot, params)
    n_demo, g_demo = grad_norm(with_demos, params)
    dot = sum(float((a * b).sum()) for a, b in zip(g_zs, g_demo) if a is not None and b is not None)
    through_slots = torch.autograd.grad(with_demos, E, retain_graph=True)[0].norm().item()
    return {"loss_zero_shot": zero_shot.item(), "loss_with_demos": with_demos.item(), "grad_zero_shot": n_zs,
            "grad_with_demos": n_demo, "cosine": dot / (n_zs * n_demo + 1e-12), "grad_at_E_with_demos": through_slots,
            "queries_with_demos": len(inp.icl_rows)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--out", default="runs/loss-terms")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--set", action="append", default=[], help="field=value over the recipe (repeatable)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    overrides = parse_overrides(a.set)
    cfg = from_dict(TrainConfig, {
        **CPU_RECIPE, "data": str(default_train_data()), "max_steps": 30, "batch_size": 16, "seed": a.seed,
        "output": a.out, "quiet": True, "mode": "epic", "eval_every": 0, **overrides,
    })  # fmt: skip
    rows: list[dict] = []
    step_with_loss = Objective.forward_backward

    def forward_backward(self: Objective, inp: StepInputs) -> tuple[float, dict]:
        rows.append(measure(self, inp))
        return step_with_loss(self, inp)

    def stop(trainer: Trainer, record: dict) -> None:
        rows[-1] |= {"step": trainer.step, "task": record.get("task")}
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in rows[-1].items()}), flush=True)
        if trainer.step >= a.steps:
            ratio = statistics.median(r["grad_with_demos"] / r["grad_zero_shot"] for r in rows)
            cos = statistics.median(r["cosine"] for r in rows)
            print(f"median over {len(rows)} steps: |g_demos| / |g_zero_shot| = {ratio:.2f}, cosine {cos:.2f}")
            os._exit(0)

    Objective.forward_backward = forward_backward
    Trainer(cfg).train(callback=stop)


if __name__ == "__main__":
    main()
