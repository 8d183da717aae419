"""``epic data build``: a deterministic training set from the sources that install here.

Every task of :mod:`epic.data.catalog` whose sources are chosen is built: its rows made from the
sources' records, duplicates and near-duplicates removed (:mod:`epic.data.dedupe`), a seeded sample
of at most ``max_per_task`` kept, and written as one JSONL file; ``tasks.yaml`` gives the
instructions and types, ``manifest.json`` the builder version, every source (name, domain, licence,
package, examples) and every task (examples, sources, sha256). See docs/data.md.

The evaluation suite's sources (BBC News, Rotten Tomatoes) and Debian package descriptions are never
read: the readers honour ``../shared/ASSETS.md``'s exclusions, so train and test stay disjoint.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from ..utils.io import atomic_dir, cache_dir, replace_dir
from .catalog import PROSE, SOURCES, TASKS, TaskSpec, read_source, source_module
from .dedupe import dedupe_rows
from .shapes import stable_key
from .train_data import TrainTask, write_train_tasks

BUILD_VERSION = 3  # bump when the builder's output changes, so cached sets are rebuilt
DEFAULT_MAX_PER_TASK = 6000
# chosen by measurement (docs/study.md §9): the prose of six domains; the dictionaries did not earn their place
DEFAULT_SOURCES = PROSE


def choose_sources(sources: str | tuple[str, ...] | None = None, without: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The sources of a build in catalog order: ``sources`` (names or a comma-separated string of them, where
    ``"default"`` stands for :data:`DEFAULT_SOURCES` and ``"all"`` for every source; default: the default)
    less ``without``; unknown names are an error."""
    if sources is None:
        sources = DEFAULT_SOURCES
    if isinstance(sources, str):
        sources = tuple(s.strip() for s in sources.split(",") if s.strip())
    groups = {"default": DEFAULT_SOURCES, "all": SOURCES}  # "default,foldoc": the default set and FOLDOC
    sources = tuple(name for s in sources for name in groups.get(s, (s,)))
    unknown = sorted(set(sources) - set(SOURCES)) + sorted(set(without) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}; choose from {', '.join(SOURCES)}")
    chosen = tuple(s for s in SOURCES if s in sources and s not in without)
    if not chosen:
        raise ValueError("no source left to build from")
    return chosen


def describe_sources(sources: tuple[str, ...] = DEFAULT_SOURCES) -> str:
    """The sources by domain, for people: ``"e-mail and news (the SpamAssassin …), encyclopedia (…)"``."""
    by_domain: dict[str, list[str]] = {}
    for name in sources:
        meta = source_module(name).SOURCE
        by_domain.setdefault(meta.domain, []).append(meta.title)
    return "; ".join(f"{domain}: {', '.join(titles)}" for domain, titles in by_domain.items())


def task_rows(spec: TaskSpec, records: dict[str, list], seed: int, max_per_task: int) -> list[dict]:
    """One task's rows: made from its chosen sources' records, deduplicated, then a seeded sample."""
    rows = spec.rows({s: records[s] for s in spec.sources if s in records}, seed)
    rows = sorted(rows, key=lambda r: stable_key(r["query"] + r["pos"][0], seed))  # order-independent sample
    return [{**r, "task": spec.name} for r in dedupe_rows(rows, limit=max_per_task)]


def _write_task(out: Path, spec: TaskSpec, rows: list[dict], chosen: tuple[str, ...]) -> dict:
    """Write one task's JSONL; returns its manifest entry."""
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    (out / f"{spec.name}.jsonl").write_text(text, encoding="utf-8")
    return {
        "examples": len(rows),
        "instruction": spec.instruction,
        "type": spec.type,
        "sources": [s for s in spec.sources if s in chosen],
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def _source_entry(name: str, tasks: dict[str, dict]) -> dict:
    meta = source_module(name).SOURCE
    examples = sum(t["examples"] for t in tasks.values() if name in t["sources"])
    return {"name": name, "title": meta.title, "domain": meta.domain, "licence": meta.licence,
            "package": str(meta.package), "examples": examples}  # fmt: skip


def build(
    output: str | Path,
    max_per_task: int = DEFAULT_MAX_PER_TASK,
    seed: int = 0,
    sources: str | tuple[str, ...] | None = None,
    without: tuple[str, ...] = (),
) -> dict:
    """Write the training set of the chosen sources (see :func:`choose_sources`) into ``output``;
    returns the manifest. Every source is read before anything is written."""
    out = Path(output)
    if max_per_task < 1:
        raise ValueError(f"--max-per-task must be >= 1, got {max_per_task}")
    chosen = choose_sources(sources, without)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--output {out} is a file: choose a new folder")
    if out.exists() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise FileExistsError(f"--output {out} exists and is not a training set built here: choose a new folder")
    records = {name: read_source(name) for name in chosen}  # a missing source fails here, before any write
    tmp = atomic_dir(out)  # written aside, then swapped in: no half set, no stale task of an earlier build
    try:
        manifest = _write_set(tmp, chosen, records, seed, max_per_task)
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _write_set(out: Path, chosen: tuple[str, ...], records: dict[str, list], seed: int, max_per_task: int) -> dict:
    tasks = {}
    for spec in TASKS:
        if set(spec.sources) & set(chosen) and (rows := task_rows(spec, records, seed, max_per_task)):
            tasks[spec.name] = _write_task(out, spec, rows, chosen)
    manifest = {"builder": BUILD_VERSION, "seed": seed, "max_per_task": max_per_task,
                "sources": [_source_entry(name, tasks) for name in chosen], "tasks": tasks}  # fmt: skip
    write_train_tasks(out / "tasks.yaml", [TrainTask(n, t["instruction"], t["type"]) for n, t in tasks.items()])
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def default_train_data(
    max_per_task: int = DEFAULT_MAX_PER_TASK,
    sources: str | tuple[str, ...] | None = None,
    without: tuple[str, ...] = (),
) -> Path:
    """The training set of these sources in the epic cache folder, built on first use."""
    chosen = choose_sources(sources, without)
    # named by its sources too, so a set built for other sources (or an earlier default) is never reused
    digest = hashlib.sha256(",".join(chosen).encode()).hexdigest()[:10]
    folder = cache_dir() / f"train-data-v{BUILD_VERSION}-{max_per_task}-{digest}"
    manifest = folder / "manifest.json"
    if not manifest.is_file() or [s["name"] for s in json.loads(manifest.read_text())["sources"]] != list(chosen):
        build(folder, max_per_task, sources=chosen)
    return folder
