"""Training data: examples ``{"query", "pos", "neg", "task", ...}`` in JSONL or Parquet files and
their task file, read and validated line by line (errors name the file, the line and the field) and
kept on disk as a memory-mapped table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .example_table import ExampleTable, TrainExample, build_table
from .tasks import TASK_TYPES, DataError, Task, check_mapping, iter_jsonl, read_yaml


@dataclass
class TrainTask:
    """Per-task training settings (from the task file, else from the examples)."""

    name: str
    instruction: str
    type: str = "retrieval"
    batch_size: int | None = None
    in_batch_negatives: bool = True

    def as_task(self) -> Task:
        return Task(self.name, self.instruction, type=self.type)


def _check_example(obj: dict[str, Any], where: str, default_task: str) -> TrainExample:
    known = {"query", "pos", "neg", "task", "instruction", "type", "pos_scores", "neg_scores", "prompt"}
    unknown = set(obj) - known
    if unknown:
        raise DataError(f"{where}: unknown field(s) {sorted(unknown)}")
    if not isinstance(obj.get("query"), str) or not obj["query"].strip():
        raise DataError(f"{where}: field 'query' is missing or not a non-empty string")
    pos = obj.get("pos")
    if not isinstance(pos, list) or not pos:
        raise DataError(f"{where}: field 'pos' must be a non-empty list of strings")
    neg = obj.get("neg", [])
    if not isinstance(neg, list):
        raise DataError(f"{where}: field 'neg' must be a list of strings")
    for name, values in (("pos", pos), ("neg", neg)):
        for i, v in enumerate(values):
            if not isinstance(v, str) or not v.strip():
                raise DataError(f"{where}: field '{name}[{i}]' must be a non-empty string")
    task = obj.get("task", default_task)
    if not isinstance(task, str) or not task:
        raise DataError(f"{where}: field 'task' must be a non-empty string")
    instruction = obj.get("instruction", obj.get("prompt"))
    if instruction is not None and (not isinstance(instruction, str) or not instruction.strip()):
        raise DataError(f"{where}: field 'instruction' must be a non-empty string")
    kind = obj.get("type")
    if kind is not None and kind not in TASK_TYPES:
        raise DataError(f"{where}: field 'type' must be one of {TASK_TYPES}, got {kind!r}")
    return TrainExample(obj["query"], pos, neg, task, instruction, kind)


def rank_key(ex: TrainExample) -> int:
    """A hash of the example's content (task, query, positives) as an integer: orders examples the
    same way for every seed and every run of the same data (60 bits: it fits an int64 column)."""
    return int(hashlib.sha256(json.dumps([ex.task, ex.query, ex.pos]).encode()).hexdigest()[:15], 16)


def load_train_tasks(path: str | Path) -> dict[str, TrainTask]:
    """Read a training task file: ``tasks: [{name, instruction, type?, batch_size?, in_batch_negatives?}]``."""
    path = Path(path)
    doc = read_yaml(path, "task file")
    items = doc.get("tasks") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise DataError(f"{path}: expected a list of tasks under 'tasks:'")
    out: dict[str, TrainTask] = {}
    for i, item in enumerate(items):
        where = f"{path}: tasks[{i}]"
        allowed = {"name", "instruction", "type", "batch_size", "in_batch_negatives"}
        check_mapping(item, where, allowed, ("name", "instruction"))
        bs = item.get("batch_size")
        if bs is not None and (not isinstance(bs, int) or bs < 2):
            raise DataError(f"{where}: field 'batch_size' must be an integer >= 2")
        if not isinstance(item.get("in_batch_negatives", True), bool):
            raise DataError(f"{where}: field 'in_batch_negatives' must be true or false")
        out[item["name"]] = TrainTask(
            item["name"], item["instruction"], item.get("type", "retrieval"), bs, item.get("in_batch_negatives", True)
        )
    return out


def write_train_tasks(path: Path, tasks: list[TrainTask]) -> None:
    """Write a training task file that :func:`load_train_tasks` reads back (name, instruction, type)."""
    lines = ["tasks:"] + [
        f"  - name: {t.name}\n    instruction: {json.dumps(t.instruction)}\n    type: {t.type}" for t in tasks
    ]
    path.write_text("\n".join(lines) + "\n")


@dataclass
class TrainData:
    examples: ExampleTable  # a sequence of TrainExample, memory-mapped from disk
    tasks: dict[str, TrainTask]
    skipped: list[str] = field(default_factory=list)  # "file:line: reason" for each skipped line


def _source_files(source: Path) -> list[Path]:
    if source.is_dir():
        files = sorted([*source.glob("*.jsonl"), *source.glob("*.parquet")])
        if not files:
            raise DataError(f"{source}: no *.jsonl or *.parquet files in this folder")
        return files
    if source.is_file():
        return [source]
    raise DataError(f"{source}: no such file or folder")


def _records(file: Path, skipped: list[str] | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, record) of a JSONL file line by line, or of a Parquet file row by row, streaming."""
    if file.suffix == ".parquet":
        import pyarrow.parquet as pq

        n = 0
        for batch in pq.ParquetFile(file).iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                n += 1
                yield f"{file}:row {n}", {k: v for k, v in row.items() if v is not None}
        return
    for lineno, obj in iter_jsonl(file, skipped):
        yield f"{file}:{lineno}", obj


def _valid_examples(files: list[Path], tasks: dict[str, TrainTask], skip_bad: bool, skipped: list[str]):
    """Every valid example, in file order; ``tasks`` gains the tasks the examples define."""
    for file in files:
        for where, obj in _records(file, skipped if skip_bad else None):
            try:
                ex = _check_example(obj, where, file.stem)
                if ex.task not in tasks and ex.instruction is None:
                    raise DataError(
                        f"{where}: field 'instruction' is missing and task {ex.task!r} is not in the task file"
                    )
            except DataError as e:
                if not skip_bad:
                    raise
                skipped.append(str(e))
                continue
            if ex.task not in tasks:
                tasks[ex.task] = TrainTask(ex.task, ex.instruction, ex.type or "retrieval")
            yield ex


def load_train_data(source: str | Path, task_file: str | Path | None = None, skip_bad: bool = False) -> TrainData:
    """Read training JSONL or Parquet (a file, or every ``*.jsonl`` / ``*.parquet`` in a folder, with its
    ``tasks.yaml`` if any) into a memory-mapped table (:mod:`epic.data.example_table`): memory stays flat
    however many lines there are.

    Every line is validated; a bad line raises :class:`DataError` naming file, line and field, or with
    ``skip_bad`` is skipped and listed in ``TrainData.skipped`` (never silently).
    """
    source = Path(source)
    files = _source_files(source)
    if task_file is None and source.is_dir() and (source / "tasks.yaml").is_file():
        task_file = source / "tasks.yaml"
    base_tasks = load_train_tasks(task_file) if task_file else {}
    tasks, skipped = dict(base_tasks), []
    count = sum(1 for _ in _valid_examples(files, tasks, skip_bad, skipped))  # validate first, keep nothing
    if not count:
        raise DataError(f"{source}: no valid training examples")

    def rows() -> Iterator[dict[str, Any]]:
        for ex in _valid_examples(files, dict(base_tasks), True, []):
            yield {"query": ex.query, "pos": ex.pos, "neg": ex.neg, "task": ex.task, "rank": rank_key(ex)}

    stamp_files = files + ([Path(task_file)] if task_file else [])
    return TrainData(ExampleTable(build_table(stamp_files, rows)), tasks, skipped)
