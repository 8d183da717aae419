"""A fixed validation set per training task: the learning curve you can trust.

The per-step training loss mixes progress with the task of the step's batch (tasks start at very
different levels), so it cannot show whether a run learns. Here a few examples of every task are held
out of training, chosen by a hash of their text (the same set for every seed and every run of the same
data), and scored at fixed batches — fixed positives, fixed hard negatives and, for the modes that use
demonstrations, fixed in-batch demonstrations — with the training objective. The same numbers at step
0 and after every ``eval_every`` steps make a curve where only the model changes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import torch

from ..data.example_table import TrainExample
from ..data.train_data import TrainData, TrainTask
from .batches import TrainBatch
from .loss import batch_geometry
from .objective import Objective, StepInputs

EVAL_DEMOS = 3  # demonstrations per query in the with-demonstrations validation loss
# base prompts embedded together: the CPU recipe's 17 tasks x 8 examples x 3 prompts in one batch; without
# gradients, a few times a training step's prompts stay within what the step itself needs
PROMPTS_PER_FORWARD = 512


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


def forward_together(objective: Objective, inputs: list[StepInputs]) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
    """``objective.forward`` of several batches in one ``base`` and one ``icl`` embedding: fewer, fuller
    forwards than one pair per batch, the same vectors up to float rounding. Each batch's soft slots are
    shifted to its rows of the stacked table."""
    starts = list(itertools.accumulate((len(inp.base) for inp in inputs), initial=0))
    E = objective.embed([p for inp in inputs for p in inp.base])
    icl = [p.shifted(start) for inp, start in zip(inputs, starts) for p in inp.icl]
    QI = objective.embed(icl, objective.demo_table(E)) if icl else None
    out, row = [], 0
    for inp, start, end in zip(inputs, starts, starts[1:]):
        out.append((E[start:end], QI[row : row + len(inp.icl)] if inp.icl else None))
        row += len(inp.icl)
    return out


def _together(items: list[tuple[str, StepInputs]], prompts: int) -> Iterator[list[tuple[str, StepInputs]]]:
    """Consecutive runs of ``items`` of up to ``prompts`` base prompts (at least one batch each)."""
    run: list[tuple[str, StepInputs]] = []
    for item in items:
        if run and sum(len(inp.base) for _, inp in run) + len(item[1].base) > prompts:
            yield run
            run = []
        run.append(item)
    if run:
        yield run


@torch.no_grad()
def validation_losses(
    objective: Objective, validation: dict[str, list[TrainBatch]], step: int, together: int = PROMPTS_PER_FORWARD
) -> dict:
    """Validation loss per task at the current weights: zero-shot, and with fixed in-batch
    demonstrations for the modes that use them. Local to each process (no collectives); the tasks'
    batches are embedded together, up to ``together`` base prompts at a time (1: one batch at a time)."""
    m = objective.model
    m.eval()
    zero_shot: dict[str, list[float]] = {name: [] for name in validation}
    with_demos: dict[str, list[float]] = {}
    top1: list[float] = []
    items = [(name, objective.prepare(batch)) for name, batches in validation.items() for batch in batches]
    for run in _together(items, together):
        for (name, inp), (E, QI) in zip(run, forward_together(objective, [inp for _, inp in run]), strict=True):
            nce = objective._nce(inp, cross_device=False, mask_false_negatives=False)  # comparable across recipes
            q0, pos, neg = objective.split_base(E, inp)
            zero_shot[name].append(nce(q0, pos, neg).item())
            top1.append(batch_geometry(q0, pos, neg)["top1"])
            if QI is not None:
                with_demos.setdefault(name, []).append(nce(objective.with_demos(q0, QI, inp), pos, neg).item())
    m.train()
    zs = {name: sum(v) / len(v) for name, v in zero_shot.items()}
    wd = {name: sum(v) / len(v) for name, v in with_demos.items()}
    record = {"step": step, "eval_loss": sum(zs.values()) / len(zs)}
    record["eval_top1"] = sum(top1) / len(top1)  # temperature-free: comparable across recipes
    record.update({f"eval_loss/{t}": v for t, v in zs.items()})
    if wd:
        record["eval_loss_demos"] = sum(wd.values()) / len(wd)
        record.update({f"eval_loss_demos/{t}": v for t, v in wd.items()})
    return record
