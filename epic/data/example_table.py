"""Training examples on disk: an Arrow IPC file, read a record batch at a time.

:func:`build_table` streams validated examples into the file (batches of :data:`ROWS_PER_BATCH` rows)
under ``$EPIC_TABLES`` (default: the epic cache), keyed by the source files' paths, sizes and
modification times, so an edited file is read again. :class:`ExampleTable` is the sequence of
:class:`TrainExample` the batch plan indexes, in the files' order, so batches, their
order and a resumed run are the same as with the examples in memory. The IPC *file* format has a
footer that locates every batch, so reading a row reads only its batch (~100 KB), and the columns the
plan needs (task, content hash) are copied out batch by batch. The file is read, not memory-mapped:
a mapping would keep every page it ever touched resident (🤗 ``datasets`` maps the same Arrow data as
a stream and reads through it on load; at a million lines that was 64 MB before the first step, and
the kernel's fault-around made each touched batch cost 64 KB for good).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..utils.io import cache_dir

ROWS_PER_BATCH = 1024
TABLE_VERSION = 4  # part of each table's key: a new layout never reads an old file
SCHEMA = pa.schema([("query", pa.string()), ("pos", pa.list_(pa.string())), ("neg", pa.list_(pa.string())),
                    ("task", pa.string()), ("rank", pa.int64())])  # fmt: skip


@dataclass
class TrainExample:
    """One training line: ``{"query", "pos": [...], "neg": [...], "task", "instruction"?, "type"?}``."""

    query: str
    pos: list[str]
    neg: list[str]
    task: str
    instruction: str | None = None
    type: str | None = None


def tables_dir() -> Path:
    """Where training tables are kept: ``$EPIC_TABLES``, or ``train-tables`` in the epic cache."""
    return Path(os.environ.get("EPIC_TABLES") or cache_dir() / "train-tables")


def build_table(files: list[Path], rows: Callable[[], Iterable[dict[str, Any]]]) -> Path:
    """The table file of ``rows()`` (validated dicts of the :data:`SCHEMA` columns), written once per
    version of ``files``, atomically."""
    stamp = [TABLE_VERSION] + [(str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    target = tables_dir() / f"{hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:20]}.arrow"
    if target.is_file():
        if _readable(target):
            return target
        print(f"epic: the training table {target} is damaged; building it again", file=sys.stderr)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, SCHEMA) as writer:
            pending: list[dict[str, Any]] = []
            for row in rows():
                pending.append(row)
                if len(pending) == ROWS_PER_BATCH:
                    writer.write_batch(pa.RecordBatch.from_pylist(pending, SCHEMA))
                    pending = []
            if pending:
                writer.write_batch(pa.RecordBatch.from_pylist(pending, SCHEMA))
        os.replace(tmp, target)  # a half-written table is never taken for a whole one
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _readable(path: Path) -> bool:
    """Whether a cached table opens (its footer and schema are whole): a truncated one is built again."""
    try:
        with pa.OSFile(str(path)) as source:
            return pa.ipc.open_file(source).schema.equals(SCHEMA)
    except (pa.ArrowInvalid, OSError):
        return False


class ExampleTable(Sequence):
    """Read-only :class:`TrainExample` sequence over a table file, optionally a subset
    of its rows (``rows``: the training rows once validation examples are held out)."""

    def __init__(self, path: str | Path, rows: np.ndarray | None = None):
        self.path, self.rows = Path(path), rows
        self.reader = pa.ipc.open_file(pa.OSFile(str(self.path)))
        batches = self.reader.num_record_batches  # all full but the last
        last = self.reader.get_batch(batches - 1).num_rows if batches else 0
        self.num_rows = (batches - 1) * ROWS_PER_BATCH + last if batches else 0
        self._batch: tuple[int, pa.RecordBatch] | None = None  # the last batch read

    def __len__(self) -> int:
        return len(self.rows) if self.rows is not None else self.num_rows

    def _row(self, row: int) -> dict[str, Any]:
        number, offset = divmod(row, ROWS_PER_BATCH)
        if self._batch is None or self._batch[0] != number:
            self._batch = (number, self.reader.get_batch(number))
        return self._batch[1].slice(offset, 1).to_pylist()[0]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        r = self._row(int(self.rows[i]) if self.rows is not None else int(i))
        return TrainExample(r["query"], r["pos"], r["neg"], r["task"])

    def __iter__(self) -> Iterator:
        for i in range(len(self)):
            yield self[i]

    def _batches(self) -> Iterator[pa.RecordBatch]:
        for i in range(self.reader.num_record_batches):
            yield self.reader.get_batch(i)  # read, used, dropped: one batch in memory at a time

    def _subset(self, values: np.ndarray) -> np.ndarray:
        return values[self.rows] if self.rows is not None else values

    def task_codes(self) -> tuple[np.ndarray, list[str]]:
        """Each example's task as a code into the returned names (4 bytes per example, not a string)."""
        ids: dict[str, int] = {}
        parts = [np.zeros(0, dtype=np.int32)]
        for batch in self._batches():
            encoded = batch.column("task").dictionary_encode()
            remap = np.array([ids.setdefault(n, len(ids)) for n in encoded.dictionary.to_pylist()], dtype=np.int32)
            parts.append(remap[encoded.indices.to_numpy(zero_copy_only=False)])
        return self._subset(np.concatenate(parts)), list(ids)

    def ranks(self) -> np.ndarray:
        """Each example's content hash: the seed-independent order validation hold-outs use."""
        parts = [np.zeros(0, dtype=np.int64)] + [b.column("rank").to_numpy().copy() for b in self._batches()]
        return self._subset(np.concatenate(parts))

    def rows_by_task(self) -> dict[str, np.ndarray]:
        """Positions of each task's examples, in order."""
        codes, names = self.task_codes()
        positions = {name: np.flatnonzero(codes == c) for c, name in enumerate(names)}
        return {name: rows for name, rows in positions.items() if len(rows)}

    def without(self, drop: Iterable[int]) -> ExampleTable:
        """The same table less the examples at positions ``drop``."""
        keep = np.ones(len(self), dtype=bool)
        keep[list(drop)] = False
        positions = np.flatnonzero(keep)
        return ExampleTable(self.path, self.rows[positions] if self.rows is not None else positions)
