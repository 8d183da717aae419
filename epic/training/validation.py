"""A fixed validation set per training task: the learning curve you can trust.

The per-step training loss mixes progress with the task of the step's batch (tasks start at very
different levels), so it cannot show whether a run learns. Here a few examples of every task are held
out of training, chosen by a hash of their text (the same set for every seed and every run of the same
data), and scored at fixed batches — fixed positives, fixed hard negatives and, for the modes that use
demonstrations, fixed in-batch demonstrations — with the training objective. The same numbers at step
0 and after every ``eval_every`` steps make a curve where only the model changes.
"""

from __future__ import annotations

import numpy as np
import torch

from ..data.example_table import TrainExample
from ..data.train_data import TrainData, TrainTask
from .batches import TrainBatch
from .loss import batch_geometry
from .objective import Objective

EVAL_DEMOS = 3  # demonstrations per query in the with-demonstrations validation loss


def split_validation(data: TrainData, per_task: int) -> tuple[TrainData, dict[str, list[TrainExample]]]:
    """Hold ``per_task`` examples of each task out of ``data`` (at most a tenth of the task's examples).

    Returns the training data without them, and the held-out examples by task. Deterministic: the
    examples with the smallest hash of (task, query, positives) are held out, whatever the seed.
    """
    if per_task <= 0:
        return data, {}
    held: list[int] = []
    validation: dict[str, list[TrainExample]] = {}
    ranks = data.examples.ranks()
    for task, positions in sorted(data.examples.rows_by_task().items()):
        n = min(per_task, len(positions) // 10)
        if n < 2:  # too small to spare a batch of two
            continue
        # the n smallest content hashes: one integer column, not the texts, is read
        chosen = sorted(positions[np.argsort(ranks[positions], kind="stable")[:n]].tolist())
        held += chosen
        validation[task] = [data.examples[i] for i in chosen]
    return TrainData(data.examples.without(held), data.tasks, data.skipped), validation


def validation_batches(
    validation: dict[str, list[TrainExample]],
    tasks: dict[str, TrainTask],
    batch_size: int,
    hard_negatives: int,
) -> dict[str, list[TrainBatch]]:
    """Fixed batches per task: positive ``pos[0]``, the first ``hard_negatives`` mined negatives (or
    positives of examples half the set away when none are mined), demos = the next pairs of the batch."""
    out: dict[str, list[TrainBatch]] = {}
    for name, examples in validation.items():
        task = tasks[name]
        size = min(task.batch_size or batch_size, len(examples))
        batches = []
        for start in range(0, len(examples) - size + 1, size):
            part = examples[start : start + size]
            negatives = []
            for i, ex in enumerate(part):
                mined = (ex.neg * hard_negatives)[:hard_negatives] if ex.neg else []
                if not mined and hard_negatives:
                    other = examples[(start + i + len(examples) // 2) % len(examples)]
                    mined = [other.pos[0]] * hard_negatives
                negatives.append(mined)
            k = min(EVAL_DEMOS, size - 1)
            demos = [[(i + d) % size for d in range(1, k + 1)] for i in range(size)]
            queries = [ex.query for ex in part]
            batches.append(TrainBatch(task, queries, [ex.pos[0] for ex in part], negatives, demos))
        out[name] = batches
    return out


@torch.no_grad()
def validation_losses(objective: Objective, validation: dict[str, list[TrainBatch]], step: int) -> dict:
    """Validation loss per task at the current weights: zero-shot, and with fixed in-batch
    demonstrations for the modes that use them. Local to each process (no collectives)."""
    m = objective.model
    m.eval()
    zero_shot: dict[str, float] = {}
    with_demos: dict[str, float] = {}
    top1: list[float] = []
    for name, batches in validation.items():
        zs, wd = [], []
        for batch in batches:
            inp = objective.prepare(batch)
            E, QI = objective.forward(inp)
            nce = objective._nce(inp, cross_device=False, mask_false_negatives=False)  # comparable across recipes
            q0, pos, neg = objective.split_base(E, inp)
            zs.append(nce(q0, pos, neg).item())
            top1.append(batch_geometry(q0, pos, neg)["top1"])
            if QI is not None:
                wd.append(nce(objective.with_demos(q0, QI, inp), pos, neg).item())
        zero_shot[name] = sum(zs) / len(zs)
        if wd:
            with_demos[name] = sum(wd) / len(wd)
    m.train()
    record = {"step": step, "eval_loss": sum(zero_shot.values()) / len(zero_shot)}
    record["eval_top1"] = sum(top1) / len(top1)  # temperature-free: comparable across recipes
    record.update({f"eval_loss/{t}": v for t, v in zero_shot.items()})
    if with_demos:
        record["eval_loss_demos"] = sum(with_demos.values()) / len(with_demos)
        record.update({f"eval_loss_demos/{t}": v for t, v in with_demos.items()})
    return record
