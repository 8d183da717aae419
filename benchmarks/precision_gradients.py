"""Where bf16 changes an EPIC step's gradient: dL/dE, the gradient of each loss term with respect to the
base pass's pooled vectors E (queries, positives, negatives, outside demonstrations), with the base
pass in fp32 and in bf16 (the ICL pass always fp32), on the quickstart recipe's first batches.

A row group whose gradient cosine falls well below the zero-shot term's marks a gradient that a 2 %
change of E (what bf16 does to the pooled vectors) rearranges: the demonstrations' vectors, when the
demonstrations are the batch's own pairs and so their positives are also every other query's
negatives (docs/study.md §10).

    python benchmarks/precision_gradients.py --batches 1 2 --demo-source batch
    python benchmarks/precision_gradients.py --batches 1 2 --demo-source outside
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from bench_common import machine, markdown_table, setup_threads


def gradients(trainer, inp, base_dtype: torch.dtype | None) -> dict:
    """E, and dL/dE of the ICL term and of the zero-shot term, with the base pass in ``base_dtype``."""
    ob, model = trainer.objective, trainer.model
    model.compute_dtype = base_dtype
    E = ob.embed(inp.base)
    model.compute_dtype = None
    QI = ob.embed(inp.icl, ob.demo_table(E)) if inp.icl else None
    nce = ob._nce(inp, cross_device=False)
    q0, pos, neg = ob.split_base(E, inp)
    icl_term, zero_shot_term = nce(ob.with_demos(q0, QI, inp), pos, neg), nce(q0, pos, neg)
    (g_icl,) = torch.autograd.grad(icl_term, E, retain_graph=True)
    (g_zs,) = torch.autograd.grad(zero_shot_term, E)
    return {"E": E.detach(), "icl": g_icl, "zero-shot": g_zs}


ROW_GROUPS = ("queries", "positives", "negatives", "outside demos")


def row_groups(objective, rows: torch.Tensor, inp) -> list[torch.Tensor]:
    """``rows`` (one per row of E) split as the objective lays E out, then the outside demonstrations' rows."""
    queries, positives, negatives = objective.split_base(rows, inp)
    rest = rows[inp.b * (2 + inp.h) :]
    return [queries, positives, rest[:0] if negatives is None else negatives, rest]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 2])
    p.add_argument("--demo-source", default="batch", choices=["batch", "outside", "shared"])
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    setup_threads(a.threads)
    from epic.data.build import default_train_data
    from epic.recipes.quickstart import cpu_recipe
    from epic.training.batches import make_batch
    from epic.training.config import TrainConfig
    from epic.training.trainer import Trainer
    from epic.utils.config_io import from_dict

    cfg = from_dict(TrainConfig, {
        **cpu_recipe(60), "data": str(default_train_data()), "max_steps": 60, "batch_size": 16, "seed": 42,
        "output": "runs/precision-gradients", "quiet": True, "mode": "epic", "mixed_precision": "none",
        "demo_source": a.demo_source, "detach_demos": False,  # the gradient through the soft tokens is the subject
    })  # fmt: skip
    trainer = Trainer(cfg)
    rows = []
    for k in a.batches:
        batch = make_batch(trainer.plan, k, cfg.hard_negatives, cfg.max_demos, rank=0,
                           instruction_dropout=cfg.instruction_dropout, demo_source=cfg.demo_source)  # fmt: skip
        inp = trainer.objective.prepare(batch)
        fp32, bf16 = gradients(trainer, inp, None), gradients(trainer, inp, torch.bfloat16)
        change = ((bf16["E"] - fp32["E"]).norm(dim=1) / fp32["E"].norm(dim=1)).mean().item()
        for term in ("icl", "zero-shot"):
            for name, x, y in zip(ROW_GROUPS, *(row_groups(trainer.objective, g[term], inp) for g in (fp32, bf16))):
                if x.numel() and x.norm() > 0:
                    cos = F.cosine_similarity(x.flatten(), y.flatten(), dim=0).item()
                    rows.append([k, batch.task.name, f"{change:.1%}", term, name,
                                 f"{x.norm():.3f}", f"{y.norm():.3f}", f"{cos:.3f}"])  # fmt: skip
    print(f"{machine()}; demo_source={a.demo_source}; E moved: the mean over rows of norm(E_bf16 - E_fp32) / norm(E)")
    headers = ["batch", "task", "E moved", "loss term", "rows of E", "norm of dL/dE, fp32", "bf16", "cosine"]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
