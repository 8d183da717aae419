"""Tasks, demonstrations and training examples: the data model, file formats and validation.

Every reader validates its input and raises :class:`DataError` naming the file, the line (JSONL) or
the path inside the document (YAML) and the field, so bad input never surfaces as a torch traceback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TASK_TYPES = ("retrieval", "symmetric")


class DataError(ValueError):
    """Malformed data; the message says which file, line and field."""


@dataclass(frozen=True)
class Demo:
    """One demonstration: a query and the response it should retrieve."""

    query: str
    response: str


@dataclass
class Task:
    """A task: its instruction, its kind and its pool of demonstrations.

    ``type="retrieval"`` (asymmetric): queries get the instruction, documents are encoded raw.
    ``type="symmetric"`` (STS, classification, clustering): every text gets the instruction.
    """

    name: str
    instruction: str
    demos: list[Demo] = field(default_factory=list)
    type: str = "retrieval"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise DataError(f"task name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.instruction, str) or not self.instruction.strip():
            raise DataError(f"task {self.name!r}: field 'instruction' must be a non-empty string")
        if self.type not in TASK_TYPES:
            raise DataError(f"task {self.name!r}: field 'type' must be one of {TASK_TYPES}, got {self.type!r}")
        self.demos = [d if isinstance(d, Demo) else Demo(**d) for d in self.demos]
        for i, d in enumerate(self.demos):
            for f in ("query", "response"):
                if not isinstance(getattr(d, f), str) or not getattr(d, f):
                    raise DataError(f"task {self.name!r}: demos[{i}].{f} must be a non-empty string")

    @property
    def symmetric(self) -> bool:
        return self.type == "symmetric"

    def content_hash(self) -> str:
        """Stable hash of everything that determines this task's demonstration vectors."""
        payload = json.dumps([self.instruction, self.type, [[d.query, d.response] for d in self.demos]])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _task_from_mapping(item: Any, where: str, base: Path) -> Task:
    if not isinstance(item, dict):
        raise DataError(f"{where}: expected a mapping with name, instruction, demos")
    unknown = set(item) - {"name", "instruction", "demos", "type", "demos_file"}
    if unknown:
        raise DataError(f"{where}: unknown field(s) {sorted(unknown)}")
    for f in ("name", "instruction"):
        if not isinstance(item.get(f), str) or not item[f].strip():
            raise DataError(f"{where}: field '{f}' is missing or not a non-empty string")
    demos_raw = item.get("demos") or []
    if "demos_file" in item:
        demos_raw = list(read_demos(base / item["demos_file"]))
    if not isinstance(demos_raw, list):
        raise DataError(f"{where}: field 'demos' must be a list")
    demos = []
    for i, d in enumerate(demos_raw):
        if isinstance(d, Demo):
            demos.append(d)
            continue
        if not isinstance(d, dict):
            raise DataError(f"{where}.demos[{i}]: expected a mapping with query and response")
        for f in ("query", "response"):
            if not isinstance(d.get(f), str) or not d[f]:
                raise DataError(f"{where}.demos[{i}]: field '{f}' is missing or not a non-empty string")
        demos.append(Demo(d["query"], d["response"]))
    task_type = item.get("type", "retrieval")
    if task_type not in TASK_TYPES:
        raise DataError(f"{where}: field 'type' must be one of {TASK_TYPES}, got {task_type!r}")
    return Task(item["name"], item["instruction"], demos, task_type)


def load_tasks(path: str | Path) -> dict[str, Task]:
    """Read tasks from YAML/JSON: one task mapping, a list of them, or ``{tasks: [...]}``.

    A task may give ``demos`` inline or ``demos_file`` (JSONL of ``{query, response}``, relative to
    the task file).
    """
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as e:
        raise DataError(f"{path}: cannot read task file ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise DataError(f"{path}: not valid YAML/JSON: {e}") from None
    if isinstance(doc, dict) and "tasks" in doc:
        doc = doc["tasks"]
    items = doc if isinstance(doc, list) else [doc]
    if not items or items == [None]:
        raise DataError(f"{path}: no tasks found")
    tasks: dict[str, Task] = {}
    for i, item in enumerate(items):
        where = f"{path}: tasks[{i}]" if isinstance(doc, list) else f"{path}"
        task = _task_from_mapping(item, where, path.parent)
        if task.name in tasks:
            raise DataError(f"{where}: duplicate task name {task.name!r}")
        tasks[task.name] = task
    return tasks


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; a bad line raises DataError."""
    path = Path(path)
    try:
        fh = path.open(encoding="utf-8")
    except OSError as e:
        raise DataError(f"{path}: cannot open ({e.strerror})") from None
    with fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise DataError(f"{path}:{lineno}: expected a JSON object")
            yield lineno, obj


def read_demos(path: str | Path) -> Iterator[Demo]:
    """Read a JSONL file of ``{"query": str, "response": str}`` demonstrations."""
    for lineno, obj in iter_jsonl(path):
        for f in ("query", "response"):
            if not isinstance(obj.get(f), str) or not obj[f]:
                raise DataError(f"{path}:{lineno}: field '{f}' is missing or not a non-empty string")
        yield Demo(obj["query"], obj["response"])


def check_texts(texts: Any, what: str = "texts") -> list[str]:
    """Validate a list of input strings for encoding."""
    if isinstance(texts, str):
        raise TypeError(f"{what}: expected a list of strings, got a single string (wrap it in a list)")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"{what}[{i}]: expected str, got {type(t).__name__}")
    return texts
