"""Demonstrations at inference: which ones a query gets, and the memory of their vectors.

A task's demonstrations are embedded once per weights (:class:`DemoMemory`, saved and loaded as
safetensors tagged with the model's fingerprint) into a table laid out by
:meth:`~epic.encoder.prompt.PromptBuilder.demo_vector_prompts`; a query's soft slots then name their rows of
that table (:meth:`~epic.encoder.prompt.PromptBuilder.table_rows`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file

from ..data.tasks import Task
from ..utils.integrity import check_file, sealed_safetensors
from ..utils.io import write_bytes_atomic
from .config import DEMO_MODES, DEMO_SELECTIONS, EpicConfig


class DemoMemory:
    """Pooled vectors of each task's demonstrations, ``(n_demos, vectors_per_demo, d)``, computed once
    per version of the weights (:meth:`invalidate` when they may have changed). At most ``max_tasks``
    are kept, the least recently used leaving first: a server that embeds demonstrations given in
    requests must not grow without end."""

    def __init__(self, max_tasks: int = 1024) -> None:
        self._vectors: dict[tuple, torch.Tensor] = {}
        self.version = 0
        self.max_tasks = max_tasks

    def __len__(self) -> int:
        return len(self._vectors)

    def invalidate(self) -> None:
        self.version += 1
        self._vectors.clear()

    def get(self, fingerprint: str, task: Task, per_demo: int, compute: Callable[[], torch.Tensor]) -> torch.Tensor:
        """The task's vectors, computed (``compute()``: the pooled vectors in table order) if not kept."""
        vectors = self.lookup(fingerprint, task, per_demo)
        return vectors if vectors is not None else self.store(fingerprint, task, per_demo, compute())

    def lookup(self, fingerprint: str, task: Task, per_demo: int) -> torch.Tensor | None:
        """The kept vectors of ``task`` (now the most recently used), or None."""
        key = (fingerprint, self.version, task.content_hash(), per_demo)
        vectors = self._vectors.pop(key, None)
        if vectors is not None:
            self._vectors[key] = vectors
        return vectors

    def store(self, fingerprint: str, task: Task, per_demo: int, pooled: torch.Tensor) -> torch.Tensor:
        """Keep ``pooled`` (table order) as the task's vectors; the least recently used leave past ``max_tasks``."""
        vectors = pooled.reshape(len(task.demos), per_demo, -1)
        self._vectors[(fingerprint, self.version, task.content_hash(), per_demo)] = vectors
        while len(self._vectors) > self.max_tasks:
            del self._vectors[next(iter(self._vectors))]
        return vectors

    def save(self, path: str | Path, fingerprint: str) -> None:
        """Write this model's current vectors as safetensors, tagged with its fingerprint."""
        tensors = {
            f"{task_hash}/{per_demo}": t.contiguous().cpu()
            for (fp, version, task_hash, per_demo), t in self._vectors.items()
            if fp == fingerprint and version == self.version
        }
        data = sealed_safetensors(tensors, metadata={"fingerprint": fingerprint})
        write_bytes_atomic(Path(path), lambda fh: fh.write(data))

    def load(self, path: str | Path, fingerprint: str, device: torch.device) -> int:
        """Load vectors saved for this exact model (else an error); returns how many tasks."""
        check_file(Path(path), "write the demonstration cache again (save_demo_cache)")
        with safe_open(str(path), framework="pt") as f:
            saved = (f.metadata() or {}).get("fingerprint")
        if saved != fingerprint:
            raise ValueError(f"{path}: demonstration cache of another model (fingerprint {saved!r})")
        tensors = load_file(str(path))
        for name, t in tensors.items():
            task_hash, per_demo = name.split("/")
            self._vectors[(fingerprint, self.version, task_hash, int(per_demo))] = t.to(device)
        return len(tensors)


@dataclass
class DemoRequest:
    """What one ``encode_queries`` call asks for, resolved against the model's defaults and checked."""

    task: Task
    mode: str
    selection: str
    n_demos: int

    @property
    def shared(self) -> bool:
        """Every query starts with the same demonstrations (or none): a prefix worth caching."""
        return self.n_demos == 0 or self.selection == "fixed"


def resolve_request(
    config: EpicConfig,
    task: Task | None,
    instruction: str | None,
    n_demos: int | None,
    demo_mode: str | None,
    demo_selection: str | None,
) -> DemoRequest:
    """Fill in the model's defaults and refuse what cannot be done, by name."""
    if task is None:
        if not instruction:
            raise ValueError("encode_queries needs a task or a non-empty instruction")
        task = Task("adhoc", instruction)
    mode = demo_mode or config.demo_mode
    if mode not in DEMO_MODES:
        raise ValueError(f"demo_mode must be one of {DEMO_MODES}, got {mode!r}")
    selection = demo_selection or config.demo_selection
    if selection not in DEMO_SELECTIONS:
        raise ValueError(f"demo_selection must be one of {DEMO_SELECTIONS}, got {selection!r}")
    if n_demos is None:
        n_demos = min(config.n_demos, len(task.demos)) if mode != "none" else 0
    if n_demos < 0 or n_demos > len(task.demos):
        raise ValueError(f"n_demos={n_demos} but task {task.name!r} has {len(task.demos)} demonstrations")
    return DemoRequest(task, mode, selection, 0 if mode == "none" else n_demos)


def select(
    n_texts: int,
    n: int,
    selection: str,
    pool_size: int,
    seed: int = 0,
    nearest: Callable[[], tuple[torch.Tensor, torch.Tensor]] | None = None,
) -> list[list[int]]:
    """Demonstration indices for each text: the first ``n``, ``n`` at random (a control), or the ``n``
    nearest; ``nearest()`` returns the zero-shot queries and the demonstrations' query vectors."""
    if selection == "fixed":
        return [list(range(n))] * n_texts
    if selection == "random":
        rng = np.random.default_rng(seed)
        return [sorted(rng.choice(pool_size, n, replace=False).tolist()) for _ in range(n_texts)]
    if nearest is None:
        raise ValueError("nearest demonstration selection needs the query and demonstration vectors")
    queries, pool = nearest()
    top = (F.normalize(queries, dim=-1) @ F.normalize(pool, dim=-1).T).topk(n, dim=-1).indices
    return [sorted(row) for row in top.tolist()]  # pool order, as for fixed demos
