"""Tasks and demonstrations: the data model, its file formats and validation, and reading texts.

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


def _utf8_error(path: Path, lineno: int, e: UnicodeDecodeError) -> DataError:
    return DataError(f"{path}:{lineno}: not valid UTF-8 (byte 0x{e.object[e.start]:02x} at column {e.start + 1})")


def read_text(path: str | Path, what: str = "file") -> str:
    """A whole UTF-8 text file; a decoding error names the file and line, never a bare codec error."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read {what} ({e.strerror})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        lineno = raw.count(b"\n", 0, e.start) + 1
        line_start = raw.rfind(b"\n", 0, e.start) + 1
        bad = UnicodeDecodeError(e.encoding, raw[line_start:], e.start - line_start, e.end - line_start, e.reason)
        raise _utf8_error(path, lineno, bad) from None


def read_lines(path: str | Path, skipped: list[str] | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` of a UTF-8 file; a line that does not decode raises DataError
    naming file and line, or is recorded in ``skipped`` when given."""
    path = Path(path)
    try:
        fh = path.open("rb")
    except OSError as e:
        raise DataError(f"{path}: cannot open ({e.strerror})") from None
    with fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                yield lineno, raw.decode("utf-8")
            except UnicodeDecodeError as e:
                if skipped is None:
                    raise _utf8_error(path, lineno, e) from None
                skipped.append(str(_utf8_error(path, lineno, e)))


def read_yaml(path: Path, what: str) -> Any:
    text = read_text(path, what)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise DataError(f"{path}: not valid YAML/JSON: {e}") from None


def check_mapping(item: Any, where: str, allowed: set[str], required: tuple[str, ...]) -> None:
    """A mapping with only ``allowed`` keys and each ``required`` key a non-empty string."""
    if not isinstance(item, dict):
        raise DataError(f"{where}: expected a mapping with fields {sorted(allowed)}")
    unknown = set(item) - allowed
    if unknown:
        raise DataError(f"{where}: unknown field(s) {sorted(unknown)}")
    for f in required:
        if not isinstance(item.get(f), str) or not item[f].strip():
            raise DataError(f"{where}: field '{f}' is missing or not a non-empty string")
    if item.get("type", "retrieval") not in TASK_TYPES:
        raise DataError(f"{where}: field 'type' must be one of {TASK_TYPES}, got {item.get('type')!r}")


def _task_from_mapping(item: Any, where: str, base: Path) -> Task:
    check_mapping(item, where, {"name", "instruction", "demos", "type", "demos_file"}, ("name", "instruction"))
    demos_raw = item.get("demos") or []
    if "demos_file" in item:
        demos_raw = list(read_demos(base / item["demos_file"]))
    if not isinstance(demos_raw, list):
        raise DataError(f"{where}: field 'demos' must be a list")
    demos = []
    for i, d in enumerate(demos_raw):
        if not isinstance(d, Demo):
            check_mapping(d, f"{where}.demos[{i}]", {"query", "response"}, ("query", "response"))
            d = Demo(d["query"], d["response"])
        demos.append(d)
    return Task(item["name"], item["instruction"], demos, item.get("type", "retrieval"))


def load_tasks(path: str | Path) -> dict[str, Task]:
    """Read tasks from YAML/JSON: one task mapping, a list of them, or ``{tasks: [...]}``.

    A task may give ``demos`` inline or ``demos_file`` (JSONL of ``{query, response}``, relative to
    the task file).
    """
    path = Path(path)
    doc = read_yaml(path, "task file")
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


def iter_jsonl(path: str | Path, skipped: list[str] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line.

    A line that is not a JSON object raises DataError, or is recorded in ``skipped`` when given.
    """
    path = Path(path)
    for lineno, line in read_lines(path, skipped):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise DataError(f"{path}:{lineno}: expected a JSON object")
        except (json.JSONDecodeError, RecursionError, DataError) as e:
            reason = e.msg if isinstance(e, json.JSONDecodeError) else "nested too deeply"
            msg = str(e) if isinstance(e, DataError) else f"{path}:{lineno}: not valid JSON ({reason})"
            if skipped is None:
                raise DataError(msg) from None
            skipped.append(msg)
            continue
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


def read_inputs(path: str | Path) -> list[str]:
    """Texts to encode: one per line (.txt) or ``{"text": ...}`` per line (.jsonl)."""
    path = Path(path)
    if path.suffix == ".jsonl":
        out = []
        for lineno, obj in iter_jsonl(path):
            if not isinstance(obj.get("text"), str):
                raise DataError(f"{path}:{lineno}: field 'text' is missing or not a string")
            out.append(obj["text"])
        return out
    return [line.rstrip("\r\n") for _, line in read_lines(path) if line.strip()]


def pick_task(task_file: str | Path | None, name: str | None) -> Task | None:
    """The task ``name`` of ``task_file`` (or its only task); None without a file."""
    if not task_file:
        return None
    tasks = load_tasks(task_file)
    if name is None:
        if len(tasks) > 1:
            raise DataError(f"{task_file}: holds {len(tasks)} tasks; choose one with --task {sorted(tasks)}")
        return next(iter(tasks.values()))
    if name not in tasks:
        raise DataError(f"{task_file}: no task named {name!r}; tasks: {sorted(tasks)}")
    return tasks[name]
