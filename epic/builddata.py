"""``epic data build``: a deterministic training set from the dictionaries that install here.

Sources (real, third-party text; see ``../shared/ASSETS.md``):

* WordNet 3.0 (Debian ``wordnet-base``): ``/usr/share/wordnet/data.{noun,verb,adj,adv}``
* GCIDE (Debian ``dict-gcide``): ``/usr/share/dictd/gcide.{index,dict.dz}``

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

The evaluation suite uses none of these sources (news and film reviews), so train and test stay disjoint.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

WORDNET_DIR = Path("/usr/share/wordnet")
DICTD_DIR = Path("/usr/share/dictd")  # dictd databases: GCIDE and FOLDOC
INSTALL_HINT = "apt-get install -y wordnet-base dict-gcide dict-foldoc"
BUILD_VERSION = 2  # bump when the builder changes, so cached sets are rebuilt

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
}
DEFAULT_MAX_PER_TASK = 6000  # about a quarter of the examples (and of the batches) are FOLDOC's
NOT_TEXT = ("[", "See ", "Home page", "E-mail", "FTP")  # FOLDOC paragraphs that are sources or links
MIN_PASSAGE_CHARS = 60  # shorter FOLDOC paragraphs are captions and fragments ("Results.")


def _stable_key(text: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()


def read_wordnet(folder: Path = WORDNET_DIR) -> list[dict]:
    """Synsets as ``{"id", "lemmas", "gloss", "examples"}``, in file order."""
    synsets = []
    for pos in ("noun", "verb", "adj", "adv"):
        path = folder / f"data.{pos}"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: install WordNet with `{INSTALL_HINT}`")
        for line in path.open(encoding="latin-1"):
            if line.startswith("  "):  # licence header
                continue
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            n_words = int(fields[3], 16)
            lemmas = [fields[4 + 2 * i].replace("_", " ") for i in range(n_words)]
            lemmas = [re.sub(r"\(\w+\)$", "", w) for w in lemmas]  # adjective markers like (a)
            parts = [p.strip() for p in gloss.strip().split(";")]
            definition = "; ".join(p for p in parts if not p.startswith('"')).strip()
            examples = [p.strip('"') for p in parts if p.startswith('"') and p.endswith('"') and len(p) > 12]
            if definition:
                synsets.append(
                    {"id": f"{pos}:{fields[0]}", "lemmas": lemmas, "gloss": definition, "examples": examples}
                )
    return synsets


def _b64(s: str) -> int:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    n = 0
    for c in s:
        n = n * 64 + alphabet.index(c)
    return n


def _clean_gcide(body: str) -> tuple[str, bool]:
    """First definition of a GCIDE entry, and whether it comes from Webster 1913 (not WordNet)."""
    webster = "[1913 Webster]" in body
    text = re.sub(r"\[[^\]]*\]", " ", body)  # etymologies and sources, which may span lines
    text = text.split("\n", 1)[1] if "\n" in text else ""  # the headword and pronunciation line
    text = re.sub(r"--\s*[A-Z][\w. ]*", " ", text)  # author citations
    text = re.sub(r"[{}]", "", text)
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    for p in paras:
        p = re.sub(r"^\d+\.\s*", "", p)
        p = re.sub(r"^\([A-Z][\w. &]*\)\s*", "", p)  # (Zool.), (Bot.) labels
        if len(p) >= 12 and not p.startswith(("Syn", "Note", "See", "Same as", "Alt. of", "Obs.", "pl.")):
            return p.split(" Syn:")[0].strip().rstrip("."), webster
    return "", webster


def _read_dictd(folder: Path, name: str, label: str) -> tuple[list[tuple[str, int, int]], bytes]:
    """A dictd database: its index as ``(headword, offset, length)`` in file order, and its text."""
    index, data = folder / f"{name}.index", folder / f"{name}.dict.dz"
    if not index.is_file() or not data.is_file():
        raise FileNotFoundError(f"{index} is missing: install {label} with `{INSTALL_HINT}`")
    entries = []
    for line in index.open(encoding="utf-8"):
        word, off, size = line.rstrip("\n").split("\t")
        entries.append((word, _b64(off), _b64(size)))
    return entries, gzip.open(data).read()


def read_gcide(folder: Path = DICTD_DIR) -> list[tuple[str, str, bool]]:
    """``(headword, first definition, from_webster)`` for single-word alphabetic headwords."""
    entries, blob = _read_dictd(folder, "gcide", "GCIDE")
    seen, out = set(), []
    for word, off, size in entries:
        key = word.lower()
        if not re.fullmatch(r"[a-z]{3,}", key) or key in seen:
            continue
        seen.add(key)
        definition, webster = _clean_gcide(blob[off : off + size].decode("utf-8", "replace"))
        if definition:
            out.append((key, definition, webster))
    return out


def _clean_foldoc(paragraph: str) -> str:
    text = re.sub(r"\{([^{}]*?)(?:\s*\([^()]*\))?\}", r"\1", paragraph)  # {link (url)} -> link
    return " ".join(re.sub(r"[{}]", "", text).split())


def read_foldoc(folder: Path = DICTD_DIR) -> list[tuple[str, str, list[str]]]:
    """``(term, subject, paragraphs)`` of every FOLDOC entry with text of its own (not a pure
    cross-reference), without the subject tag, dates, "See also" lines and bracketed sources."""
    entries, blob = _read_dictd(folder, "foldoc", "FOLDOC")
    seen, out = set(), []
    for word, off, size in entries:
        if word.startswith("00-database") or (off, size) in seen:  # aliases share one entry
            continue
        seen.add((off, size))
        head, *paras = re.split(r"\n\s*\n", blob[off : off + size].decode("utf-8", "replace"))
        paras = [p for p in paras if p.strip()]
        subject = re.match(r"\s*<([^>]*)>", paras[0]) if paras else None
        if subject is None:
            continue
        paras[0] = paras[0][subject.end() :]
        kept = [_clean_foldoc(p) for p in paras]
        kept = [p for p in kept if p and not re.fullmatch(r"\(\d{4}-\d\d-\d\d\)", p) and not p.startswith(NOT_TEXT)]
        if kept:
            out.append((head.strip().split("\n")[0].strip(), subject.group(1).split(",")[0].strip(), kept))
    return out


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


def build(output: str | Path, max_per_task: int = DEFAULT_MAX_PER_TASK, seed: int = 0) -> dict:
    """Write the training set into ``output``; returns the manifest (counts and content hashes)."""
    out = Path(output)
    if max_per_task < 1:
        raise ValueError(f"--max-per-task must be >= 1, got {max_per_task}")
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--output {out} is a file; the training set is a folder of JSONL files")
    out.mkdir(parents=True, exist_ok=True)
    synsets = read_wordnet()
    gcide = read_gcide()
    senses = defaultdict(list)  # lemma -> glosses of its synsets
    for s in synsets:
        for w in s["lemmas"]:
            senses[w.lower()].append(s["gloss"])

    rows: dict[str, list[dict]] = {name: [] for name in TASKS}
    for s in synsets:
        others = {g for w in s["lemmas"] for g in senses[w.lower()] if g != s["gloss"]}
        others = sorted(others, key=lambda g: _stable_key(g, seed))
        if s["examples"] and others:
            rows["wn-example2def"].append({"query": s["examples"][0], "pos": [s["gloss"]], "neg": others[:7]})
        if len(s["lemmas"]) >= 2:
            first = [g for g in senses[s["lemmas"][0].lower()] if g != s["gloss"]]
            rows["wn-synonyms2def"].append({"query": ", ".join(s["lemmas"][:4]), "pos": [s["gloss"]], "neg": first[:7]})
    for i, (word, definition, _) in enumerate(gcide):
        neighbours = [gcide[j][1] for j in (i - 2, i - 1, i + 1, i + 2) if 0 <= j < len(gcide)]
        rows["gcide-word2def"].append({"query": word, "pos": [definition], "neg": neighbours})
    webster = {w: d for w, d, from_webster in gcide if from_webster}
    for w, glosses in sorted(senses.items()):
        if len(glosses) == 1 and w in webster and glosses[0].lower() != webster[w].lower():
            rows["def-paraphrase"].append({"query": glosses[0], "pos": [webster[w]], "neg": []})
    rows.update(_foldoc_rows(read_foldoc(), seed))

    manifest = {"seed": seed, "max_per_task": max_per_task, "tasks": {}}
    for name, items in rows.items():
        # a deterministic, order-independent sample: sort by a seeded hash of the query
        items = sorted(items, key=lambda r: _stable_key(r["query"] + r["pos"][0], seed))[:max_per_task]
        seen_pos, unique = set(), []
        for r in items:  # one example per positive: a repeated positive would be a false in-batch negative
            if r["pos"][0] not in seen_pos:
                seen_pos.add(r["pos"][0])
                unique.append({**r, "task": name})
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in unique)
        (out / f"{name}.jsonl").write_text(text, encoding="utf-8")
        manifest["tasks"][name] = {
            "examples": len(unique),
            "instruction": TASKS[name][0],
            "type": TASKS[name][1],
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
    task_lines = ["tasks:"]
    for name, (instruction, kind) in TASKS.items():
        task_lines.append(f"  - name: {name}\n    instruction: {json.dumps(instruction)}\n    type: {kind}")
    (out / "tasks.yaml").write_text("\n".join(task_lines) + "\n")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def default_train_data(max_per_task: int = DEFAULT_MAX_PER_TASK) -> Path:
    """The default training set in the epic cache folder, built on first use."""
    from .backbone import cache_dir

    folder = cache_dir() / f"train-data-v{BUILD_VERSION}-{max_per_task}"
    if not (folder / "manifest.json").is_file():
        build(folder, max_per_task)
    return folder
