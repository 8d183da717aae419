"""Training examples on disk: a memory-mapped Arrow table (🤗 ``datasets``), read row by row.

:func:`build_table` streams validated examples into an Arrow file under the epic cache (keyed by the
source files' paths, sizes and modification times, so a changed file is read again) and memory-maps
it: a 100-million-line corpus costs disk, not RAM. :class:`ExampleTable` is the sequence of
:class:`~epic.train_data.TrainExample` the batch plan indexes; its row order is the files' order, so
batches, their order and a resumed run are the same as with the examples in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .backbone import cache_dir

COLUMNS = ("query", "pos", "neg", "task", "rank")
TABLE_VERSION = 3  # part of each table's key: a new layout never reads an old file
ROWS_PER_READ = 1024


def _features():
    from datasets import Features, Sequence, Value

    return Features({"query": Value("string"), "pos": Sequence(Value("string")), "neg": Sequence(Value("string")),
                     "task": Value("string"), "rank": Value("int64")})  # fmt: skip


def tables_dir() -> Path:
    """Where training tables are kept: ``$EPIC_TABLES``, or ``train-tables`` in the epic cache."""
    return Path(os.environ.get("EPIC_TABLES") or cache_dir() / "train-tables")


def build_table(files: list[Path], rows: Callable[[], Iterable[dict[str, Any]]]) -> Any:
    """The Arrow dataset of ``rows()`` (validated dicts of :data:`COLUMNS`), written once per version
    of ``files`` (datasets' ``ArrowWriter``, batch by batch) and memory-mapped."""
    from datasets import Dataset
    from datasets.arrow_writer import ArrowWriter

    stamp = [TABLE_VERSION] + [(str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    key = hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:20]
    target = tables_dir() / f"{key}.arrow"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        try:
            with ArrowWriter(features=_features(), path=str(tmp), writer_batch_size=ROWS_PER_READ) as writer:
                for row in rows():
                    writer.write(row)
                writer.finalize()
            os.replace(tmp, target)  # atomic: a half-written table is never taken for a whole one
        finally:
            tmp.unlink(missing_ok=True)
    return Dataset.from_file(str(target))


class ExampleTable(Sequence):
    """Read-only :class:`~epic.train_data.TrainExample` sequence over an Arrow table, optionally a
    subset of its rows (``rows``: the training rows once validation examples are held out)."""

    def __init__(self, table: Any, rows: np.ndarray | None = None):
        self.table, self.rows = table, rows

    def __len__(self) -> int:
        return len(self.rows) if self.rows is not None else self.table.num_rows

    def __getitem__(self, i):
        from .train_data import TrainExample

        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        row = self.table[int(self.rows[i]) if self.rows is not None else int(i)]
        return TrainExample(row["query"], row["pos"], row["neg"], row["task"])

    def __iter__(self) -> Iterator:
        for start in range(0, len(self), ROWS_PER_READ):
            yield from self[start : start + ROWS_PER_READ]

    def task_codes(self) -> tuple[np.ndarray, list[str]]:
        """Each example's task as a code into the returned names (4 bytes per example, not a string)."""
        import pyarrow as pa

        encoded = self.table.data.column("task").combine_chunks().dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
        names = pa.array(encoded.dictionary).to_pylist()
        return (codes[self.rows] if self.rows is not None else codes), names

    def ranks(self) -> np.ndarray:
        """Each example's content hash (int64): the seed-independent order validation hold-outs use,
        read from its own column (the texts' pages are not touched)."""
        ranks = self.table.data.column("rank").to_numpy()
        return ranks[self.rows] if self.rows is not None else ranks

    def rows_by_task(self) -> dict[str, np.ndarray]:
        """Positions of each task's examples, in order."""
        codes, names = self.task_codes()
        return {name: np.flatnonzero(codes == c) for c, name in enumerate(names) if (codes == c).any()}

    def without(self, drop: Iterable[int]) -> ExampleTable:
        """The same table less the examples at positions ``drop``."""
        keep = np.ones(len(self), dtype=bool)
        keep[list(drop)] = False
        positions = np.flatnonzero(keep)
        return ExampleTable(self.table, self.rows[positions] if self.rows is not None else positions)
