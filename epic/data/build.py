"""``epic data build``: a deterministic training set from the dictionaries that install here.

Sources (real, third-party text, read by ``epic.data.sources``; see ``../shared/ASSETS.md``): WordNet 3.0
(Debian ``wordnet-base``) and the dictd databases of ``dict-gcide``, ``dict-foldoc``, ``dict-jargon`` and
``dict-devil``.

Tasks written (one JSONL each, plus ``tasks.yaml`` and ``manifest.json`` with counts and hashes):

* ``wn-example2def``  retrieval: a WordNet example sentence -> the gloss of the sense it uses;
  hard negatives: the glosses of the other senses of the same words.
* ``wn-synonyms2def`` retrieval: the lemmas of a synset ("car, auto, automobile") -> its gloss;
  hard negatives: other senses of its first lemma.
* ``gcide-word2def``  retrieval: a GCIDE headword -> its first definition; hard negatives: the
  definitions of alphabetically adjacent headwords.
* ``def-paraphrase``  symmetric: the WordNet gloss of a single-sense word <-> its GCIDE (1913 Webster)
  definition; two independent dictionaries describing the same thing.
* ``foldoc-term2def``  retrieval: a FOLDOC (Debian ``dict-foldoc``) term -> the first paragraph of its
  entry; hard negatives: first paragraphs of entries in the same subject (``<networking>`` ...).
* ``foldoc-lead2rest`` retrieval: an entry's first paragraph -> its second (passage-level text, where
  the dictionaries are word-level); hard negatives: second paragraphs of same-subject entries.
* ``jargon-term2def``  retrieval: a Jargon File (Debian ``dict-jargon``, hackers' slang) term -> its first
  sense; hard negatives: first senses of alphabetically adjacent terms.
* ``jargon-lead2rest`` retrieval: as ``foldoc-lead2rest``, on Jargon File entries (adjacent terms' second
  paragraphs as hard negatives).
* ``devil-word2def``   retrieval: a word -> its definition in Ambrose Bierce's *The Devil's Dictionary*
  (Debian ``dict-devil``, 1911 satire); hard negatives: definitions of alphabetically adjacent words.

The evaluation suite uses none of these sources (news and film reviews), so train and test stay disjoint.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

from .sources.devil import read_devil
from .sources.foldoc import MIN_PASSAGE_CHARS, read_foldoc
from .sources.gcide import read_gcide
from .sources.jargon import read_jargon
from .sources.wordnet import read_wordnet

BUILD_VERSION = 2  # bump when the builder's output changes, so cached sets are rebuilt

TASKS = {
    "wn-example2def": ("Given a sentence, retrieve the dictionary definition of the word sense it uses", "retrieval"),
    "wn-synonyms2def": ("Given a set of synonyms, retrieve the definition they share", "retrieval"),
    "gcide-word2def": ("Given a word, retrieve its dictionary definition", "retrieval"),
    "def-paraphrase": ("Retrieve a definition that means the same as the given definition", "symmetric"),
    "foldoc-term2def": ("Given a computing term, retrieve its encyclopedia entry", "retrieval"),
    "foldoc-lead2rest": (
        "Given the opening paragraph of an encyclopedia entry, retrieve the paragraph that follows it",
        "retrieval",
    ),
    "jargon-term2def": ("Given a term of hackers' slang, retrieve its lexicon entry", "retrieval"),
    "jargon-lead2rest": (
        "Given the opening paragraph of a lexicon entry, retrieve the paragraph that follows it",
        "retrieval",
    ),
    "devil-word2def": ("Given a word, retrieve its satirical definition", "retrieval"),
}
DEFAULT_MAX_PER_TASK = 6000  # about a quarter of the examples (and of the batches) are FOLDOC's
EXTRA_SOURCES = ("foldoc", "jargon", "devil")  # beside WordNet and GCIDE, which every set is built from
DEFAULT_EXTRA_SOURCES = ("foldoc",)


def _stable_key(text: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()


def _neighbour_rows(pairs: list[tuple[str, str]]) -> list[dict]:
    """query -> positive rows whose hard negatives are the positives of the two pairs either side."""
    return [
        {"query": q, "pos": [p], "neg": [pairs[j][1] for j in (i - 2, i - 1, i + 1, i + 2) if 0 <= j < len(pairs)]}
        for i, (q, p) in enumerate(pairs)
    ]


def _jargon_rows(entries: list[tuple[str, list[str]]]) -> dict[str, list[dict]]:
    long = [
        (paras[0], paras[1])
        for _, paras in entries
        if len(paras) >= 2 and min(map(len, paras[:2])) >= MIN_PASSAGE_CHARS
    ]
    return {
        "jargon-term2def": _neighbour_rows([(t, paras[0]) for t, paras in entries]),
        "jargon-lead2rest": _neighbour_rows(long),
    }


def _foldoc_rows(entries: list[tuple[str, str, list[str]]], seed: int) -> dict[str, list[dict]]:
    by_subject = defaultdict(list)
    for i, (_, subject, _) in enumerate(entries):
        by_subject[subject].append(i)
    rows: dict[str, list[dict]] = {"foldoc-term2def": [], "foldoc-lead2rest": []}
    for i, (term, subject, paras) in enumerate(entries):
        peers = sorted(set(by_subject[subject]) - {i}, key=lambda j: _stable_key(entries[j][0] + term, seed))
        rows["foldoc-term2def"].append({"query": term, "pos": [paras[0]], "neg": [entries[j][2][0] for j in peers[:4]]})
        if len(paras) >= 2 and min(len(paras[0]), len(paras[1])) >= MIN_PASSAGE_CHARS:
            seconds = (entries[j][2][1] for j in peers if len(entries[j][2]) >= 2)
            negatives = [p for p in seconds if len(p) >= MIN_PASSAGE_CHARS][:4]
            rows["foldoc-lead2rest"].append({"query": paras[0], "pos": [paras[1]], "neg": negatives})
    return rows


def _dictionary_rows(seed: int) -> dict[str, list[dict]]:
    """The four WordNet and GCIDE tasks, which every set has."""
    synsets, gcide = read_wordnet(), read_gcide()
    senses = defaultdict(list)  # lemma -> glosses of its synsets
    for s in synsets:
        for w in s["lemmas"]:
            senses[w.lower()].append(s["gloss"])
    rows: dict[str, list[dict]] = {"wn-example2def": [], "wn-synonyms2def": [], "def-paraphrase": []}
    for s in synsets:
        others = {g for w in s["lemmas"] for g in senses[w.lower()] if g != s["gloss"]}
        others = sorted(others, key=lambda g: _stable_key(g, seed))
        if s["examples"] and others:
            rows["wn-example2def"].append({"query": s["examples"][0], "pos": [s["gloss"]], "neg": others[:7]})
        if len(s["lemmas"]) >= 2:
            first = [g for g in senses[s["lemmas"][0].lower()] if g != s["gloss"]]
            rows["wn-synonyms2def"].append({"query": ", ".join(s["lemmas"][:4]), "pos": [s["gloss"]], "neg": first[:7]})
    rows["gcide-word2def"] = _neighbour_rows([(word, definition) for word, definition, _ in gcide])
    webster = {w: d for w, d, from_webster in gcide if from_webster}
    for w, glosses in sorted(senses.items()):
        if len(glosses) == 1 and w in webster and glosses[0].lower() != webster[w].lower():
            rows["def-paraphrase"].append({"query": glosses[0], "pos": [webster[w]], "neg": []})
    return rows


def _write_task(out: Path, name: str, items: list[dict], max_per_task: int, seed: int) -> dict:
    """Write one task's JSONL; returns its manifest entry."""
    # a deterministic, order-independent sample: sort by a seeded hash of the query
    items = sorted(items, key=lambda r: _stable_key(r["query"] + r["pos"][0], seed))[:max_per_task]
    seen_pos, unique = set(), []
    for r in items:  # one example per positive: a repeated positive would be a false in-batch negative
        if r["pos"][0] not in seen_pos:
            seen_pos.add(r["pos"][0])
            unique.append({**r, "task": name})
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in unique)
    (out / f"{name}.jsonl").write_text(text, encoding="utf-8")
    instruction, kind = TASKS[name]
    return {
        "examples": len(unique),
        "instruction": instruction,
        "type": kind,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def build(
    output: str | Path,
    max_per_task: int = DEFAULT_MAX_PER_TASK,
    seed: int = 0,
    extra_sources: tuple[str, ...] = DEFAULT_EXTRA_SOURCES,
) -> dict:
    """Write the training set into ``output``: WordNet's and GCIDE's tasks and those of ``extra_sources``;
    returns the manifest (counts and content hashes)."""
    out = Path(output)
    if max_per_task < 1:
        raise ValueError(f"--max-per-task must be >= 1, got {max_per_task}")
    unknown = sorted(set(extra_sources) - set(EXTRA_SOURCES))
    if unknown:
        raise ValueError(f"--extra-sources: unknown {unknown}; choose from {', '.join(EXTRA_SOURCES)}")
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--output {out} is a file; the training set is a folder of JSONL files")
    out.mkdir(parents=True, exist_ok=True)
    rows = _dictionary_rows(seed)
    if "foldoc" in extra_sources:
        rows.update(_foldoc_rows(read_foldoc(), seed))
    if "jargon" in extra_sources:
        rows.update(_jargon_rows(read_jargon()))
    if "devil" in extra_sources:
        rows["devil-word2def"] = _neighbour_rows(read_devil())
    manifest = {"seed": seed, "max_per_task": max_per_task, "extra_sources": list(extra_sources), "tasks": {}}
    for name in (n for n in TASKS if n in rows):  # TASKS' order, the chosen sources' tasks
        manifest["tasks"][name] = _write_task(out, name, rows[name], max_per_task, seed)
    task_lines = ["tasks:"]
    for name, task in manifest["tasks"].items():
        task_lines.append(
            f"  - name: {name}\n    instruction: {json.dumps(task['instruction'])}\n    type: {task['type']}"
        )
    (out / "tasks.yaml").write_text("\n".join(task_lines) + "\n")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def default_train_data(
    max_per_task: int = DEFAULT_MAX_PER_TASK, extra_sources: tuple[str, ...] = DEFAULT_EXTRA_SOURCES
) -> Path:
    """The training set in the epic cache folder, built on first use."""
    from ..utils.io import cache_dir

    name = f"train-data-v{BUILD_VERSION}-{max_per_task}"
    if tuple(extra_sources) != DEFAULT_EXTRA_SOURCES:
        name += "-" + "+".join(extra_sources or ("none",))
    folder = cache_dir() / name
    if not (folder / "manifest.json").is_file():
        build(folder, max_per_task, extra_sources=tuple(extra_sources))
    return folder
