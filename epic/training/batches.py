"""Task-homogeneous batches and in-batch demonstrations, deterministic for (seed, step).

Every process computes the same global batch for a step (one task, ``batch_size x world`` examples)
and takes its own slice, so batches are identical across ranks without communication and a resumed
run sees exactly the batches the uninterrupted one would have.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..data.tasks import Demo
from ..data.train_data import TrainData, TrainTask


@dataclass
class TrainBatch:
    """One process's share of a step: B queries of one task, their positive and H hard negatives,
    and for each query its demonstrations: rows of ``demo_pairs`` when it is set (pairs of the task
    from outside the batch), else rows of the *other* pairs of this batch; ``generic``: the queries
    whose with-demonstrations prompt carries the generic instruction."""

    task: TrainTask
    queries: list[str]
    positives: list[str]
    negatives: list[list[str]]
    demos: list[list[int]]
    generic: list[bool] = field(default_factory=list)
    demo_pairs: list[Demo] = field(default_factory=list)


class TaskBatchPlan:
    """The sequence of (task, example indices) global batches, epoch after epoch."""

    def __init__(self, data: TrainData, batch_size: int, world_size: int = 1, seed: int = 0):
        self.data, self.seed, self.world_size = data, seed, world_size
        self.by_task = {t: rows for t, rows in sorted(data.examples.rows_by_task().items())}
        self.local_size = {t: data.tasks[t].batch_size or batch_size for t in self.by_task}
        self.global_size = {t: self.local_size[t] * world_size for t in self.by_task}
        self.batches_per_epoch = sum(len(ix) // self.global_size[t] for t, ix in self.by_task.items())
        too_small = {t: len(ix) for t, ix in self.by_task.items() if len(ix) < self.global_size[t]}
        if too_small and self.batches_per_epoch:  # never skip data silently
            warnings.warn(f"tasks with fewer examples than one batch are not trained on: {too_small}", stacklevel=2)
        if self.batches_per_epoch == 0:
            sizes = {t: len(ix) for t, ix in self.by_task.items()}
            raise ValueError(f"no task has enough examples for one batch of {self.global_size}: {sizes}")
        self._epoch_cache: tuple[int, dict[str, np.ndarray], np.ndarray] | None = None

    def epoch(self, epoch: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Each task's examples shuffled, and the shuffled order of (task number, batch start) pairs:
        integer arrays, so a plan over 100M examples costs 8 bytes an example, not Python lists."""
        if self._epoch_cache and self._epoch_cache[0] == epoch:
            return self._epoch_cache[1], self._epoch_cache[2]
        rng = np.random.default_rng([self.seed, epoch])
        shuffled, starts = {}, []
        for number, task in enumerate(sorted(self.by_task)):
            shuffled[task] = self.by_task[task][rng.permutation(len(self.by_task[task]))]
            size = self.global_size[task]
            starts += [(number, start) for start in range(0, len(shuffled[task]) - size + 1, size)]
        order = np.asarray(starts, dtype=np.int64).reshape(-1, 2)[rng.permutation(len(starts))]
        self._epoch_cache = (epoch, shuffled, order)
        return shuffled, order

    def step(self, step: int) -> tuple[str, list[int]]:
        epoch, index = divmod(step, self.batches_per_epoch)
        shuffled, order = self.epoch(epoch)
        task = sorted(self.by_task)[order[index, 0]]
        start = int(order[index, 1])
        return task, shuffled[task][start : start + self.global_size[task]].tolist()


def make_batch(
    plan: TaskBatchPlan,
    step: int,
    hard_negatives: int,
    max_demos: int,
    rank: int = 0,
    instruction_dropout: float = 0.0,
    demo_source: str = "batch",
) -> TrainBatch:
    """Materialise this rank's slice of the global batch for ``step``.

    Positives and hard negatives are drawn with an RNG keyed by (seed, step) over the *global* batch
    (so any number of processes sees the same examples); each query gets k ~ Uniform{0..K} demos from
    the other pairs of its local batch, never its own (``demo_source="batch"``), or from K pairs of the
    task drawn from outside the global batch, shared by the rank's queries as inference shares a task's
    demos (``"outside"``: a demo's positive is then never one of the query's candidates), or the first
    k of those K pairs, the same demonstrations in the same order for every query as at inference
    (``"shared"``); with probability ``instruction_dropout`` a query with demos is marked to carry the
    generic instruction in its with-demonstrations prompt.
    """
    task_name, indices = plan.step(step)
    data = plan.data
    rng = np.random.default_rng([plan.seed, step, 7])
    pool = plan.by_task[task_name]
    in_batch = set(indices)
    queries, positives, negatives = [], [], []
    for i in indices:
        ex = data.examples[i]
        queries.append(ex.query)
        positives.append(ex.pos[rng.integers(len(ex.pos))])
        if hard_negatives == 0:
            negatives.append([])
        elif len(ex.neg) >= hard_negatives:
            negatives.append([ex.neg[j] for j in rng.choice(len(ex.neg), hard_negatives, replace=False)])
        elif ex.neg:
            negatives.append([ex.neg[j] for j in rng.choice(len(ex.neg), hard_negatives, replace=True)])
        else:  # no mined negatives: random documents of the same task from outside the batch
            fill = [j for j in rng.choice(pool, min(len(pool), hard_negatives + len(indices))) if j not in in_batch]
            fill = (fill or [pool[0]]) * hard_negatives
            negatives.append([data.examples[j].pos[0] for j in fill[:hard_negatives]])
    b = plan.local_size[task_name]
    sl = slice(rank * b, (rank + 1) * b)
    queries, positives, negatives = queries[sl], positives[sl], negatives[sl]
    outside = demo_source != "batch"
    demo_pairs = _outside_pairs(plan, task_name, in_batch, max_demos, [plan.seed, step, rank, 17]) if outside else []
    demos = _draw_demos(b, len(demo_pairs) if outside else None, max_demos, [plan.seed, step, rank, 11])
    if demo_source == "shared":  # the first k of the same pairs, in the same order, for every query
        demos = [list(range(len(d))) for d in demos]
    generic = []
    if instruction_dropout > 0:  # its own stream: the draws above stay those of a run without it
        drop_rng = np.random.default_rng([plan.seed, step, rank, 13])
        generic = [bool(d) and drop_rng.random() < instruction_dropout for d in demos]
    return TrainBatch(data.tasks[task_name], queries, positives, negatives, demos, generic, demo_pairs)


def _outside_pairs(plan: TaskBatchPlan, task: str, in_batch: set[int], k: int, key: list[int]) -> list[Demo]:
    """Up to ``k`` (query, positive) pairs of ``task`` from outside the global batch."""
    rng = np.random.default_rng(key)
    pool = plan.by_task[task]
    picked: list[int] = []
    for j in rng.permutation(len(pool)):
        if int(pool[j]) not in in_batch:
            picked.append(int(pool[j]))
            if len(picked) == k:
                break
    examples = [plan.data.examples[i] for i in picked]
    return [Demo(ex.query, ex.pos[rng.integers(len(ex.pos))]) for ex in examples]


def _draw_demos(b: int, pool: int | None, max_demos: int, key: list[int]) -> list[list[int]]:
    """Each of ``b`` queries draws k ~ Uniform{0..K} distinct demos: rows of a shared pool of ``pool``
    pairs, or (``pool=None``) other rows of the batch, never its own."""
    rng = np.random.default_rng(key)
    demos = []
    for i in range(b):
        others = list(range(pool)) if pool is not None else [j for j in range(b) if j != i]
        k = int(rng.integers(0, min(max_demos, len(others)) + 1))
        demos.append(rng.choice(others, k, replace=False).tolist() if k else [])
    return demos
