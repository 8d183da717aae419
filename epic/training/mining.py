"""``epic data mine``: hard negatives chosen by a model, per task, with a positive-aware filter.

For each task of a training set, every query is scored against the task's corpus (all its positives
and negatives) with any embedding model (:mod:`epic.encoder.embedders`). Candidates ranked in
``[rank_from, rank_to)`` after the query's own positives are kept as its pool (FlagEmbedding's
``hn_mine`` samples from ranks 10-100 the same way), less any that score above ``max_ratio`` x the
positive's score: those are likely unlabelled positives (NV-Retriever's TopK-PercPos, 0.95). Up to
``negatives`` of the pool are drawn with a generator seeded by the query, so the output is the same on
every run. Symmetric tasks are mined with both sides instructed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..data.train_data import TrainTask, load_train_data, write_train_tasks
from ..encoder.embedders import Embedder, load_embedder
from ..utils.io import atomic_dir, replace_dir


@dataclass
class MineConfig:
    """How negatives are mined (``epic data mine`` flags)."""

    rank_from: int = 10  # skip the top ranks: the nearest candidates are the likeliest false negatives
    rank_to: int = 100
    negatives: int = 7  # per query (bge-en-icl trains with 7)
    max_ratio: float = 0.95  # drop candidates scoring above this fraction of the positive's score
    batch_size: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.rank_from < self.rank_to:
            raise ValueError(f"--rank-from/--rank-to: need 0 <= from < to, got {self.rank_from}, {self.rank_to}")
        if self.negatives < 1 or not 0 < self.max_ratio <= 1:
            raise ValueError("--negatives must be >= 1 and --max-ratio in (0, 1]")


def _query_rng(query: str, seed: int) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{query}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def mine_task(
    embedder: Embedder, task: TrainTask, examples: list, cfg: MineConfig
) -> tuple[list[dict], dict[str, float]]:
    """The task's rows with mined negatives, and what happened (pool sizes, filtered candidates)."""
    corpus = sorted({t for ex in examples for t in ex.pos + ex.neg})
    index = {t: i for i, t in enumerate(corpus)}
    docs = embedder.documents(corpus, task.as_task())
    queries = embedder.queries([ex.query for ex in examples], task.as_task())
    rows, filtered, pooled = [], 0, 0
    for start in range(0, len(examples), 256):  # scores a block of queries at a time: bounded memory
        scores = queries[start : start + 256] @ docs.T
        for ex, row in zip(examples[start : start + 256], scores):
            own = [index[p] for p in ex.pos]
            ceiling = cfg.max_ratio * row[own].max()
            k = min(len(row), cfg.rank_to + len(own))
            top = np.argpartition(-row, k - 1)[:k]
            top = top[np.lexsort((top, -row[top]))]  # by score, ties by corpus order: the same on every run
            ranked = [j for j in top if j not in own][cfg.rank_from : cfg.rank_to]
            pool = [j for j in ranked if row[j] <= ceiling]
            filtered += len(ranked) - len(pool)
            pooled += len(pool)
            picked = _query_rng(ex.query, cfg.seed).permutation(len(pool))[: cfg.negatives]
            rows.append({"query": ex.query, "pos": ex.pos, "neg": [corpus[pool[k]] for k in sorted(picked)],
                         "task": ex.task})  # fmt: skip
    n = max(1, len(examples))
    return rows, {"examples": len(rows), "mean_pool": pooled / n, "mean_filtered": filtered / n}


def mine(data: str | Path, output: str | Path, model: str | None, cfg: MineConfig, quiet: bool = False) -> dict:
    """Write ``data`` (a training set folder or file) to ``output`` with mined negatives; returns the
    report that ``output/manifest.json`` also records under ``"mined"``."""
    source, out = Path(data), Path(output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"--output {out} exists: choose a new folder for the mined set")
    train = load_train_data(source)
    embedder = load_embedder(model, cfg.batch_size)
    by_task = train.examples.rows_by_task()
    report = {"model": embedder.name, "config": asdict(cfg), "tasks": {}}
    tmp = atomic_dir(out)
    try:
        for name in tqdm(sorted(by_task), desc="mining", unit="task", disable=quiet):
            examples = [train.examples[int(i)] for i in by_task[name]]
            rows, report["tasks"][name] = mine_task(embedder, train.tasks[name], examples, cfg)
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            (tmp / f"{name}.jsonl").write_text(text, encoding="utf-8")
        write_train_tasks(tmp / "tasks.yaml", list(train.tasks.values()))
        manifest = json.loads((source / "manifest.json").read_text()) if (source / "manifest.json").is_file() else {}
        (tmp / "manifest.json").write_text(json.dumps({**manifest, "mined": report}, indent=2) + "\n")
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report
