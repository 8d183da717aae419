"""Training rows from the dictionaries (word-level sources): each function takes the records of its
sources (``{"wordnet": [...], "gcide": [...]}``, as :mod:`epic.data.sources` reads them) and a seed,
and returns rows ``{"query", "pos", "neg"}``. The prose sources' rows come from :mod:`epic.data.shapes`."""

from __future__ import annotations

from collections import defaultdict

from .shapes import seeded, stable_key
from .sources.foldoc import MIN_PASSAGE_CHARS

Records = dict[str, list]


def neighbour_rows(pairs: list[tuple[str, str]]) -> list[dict]:
    """query -> positive rows whose hard negatives are the positives of the two pairs either side."""
    return [
        {"query": q, "pos": [p], "neg": [pairs[j][1] for j in (i - 2, i - 1, i + 1, i + 2) if 0 <= j < len(pairs)]}
        for i, (q, p) in enumerate(pairs)
    ]


def _senses(synsets: list[dict]) -> dict[str, list[str]]:
    """lemma (lower case) -> the glosses of its synsets."""
    senses = defaultdict(list)
    for s in synsets:
        for w in s["lemmas"]:
            senses[w.lower()].append(s["gloss"])
    return senses


def wn_example2def(records: Records, seed: int) -> list[dict]:
    """A WordNet example sentence -> the gloss of the sense it uses; negatives: the words' other senses."""
    senses, rows = _senses(records["wordnet"]), []
    for s in records["wordnet"]:
        others = {g for w in s["lemmas"] for g in senses[w.lower()] if g != s["gloss"]}
        others = sorted(others, key=lambda g: stable_key(g, seed))
        if s["examples"] and others:
            rows.append({"query": s["examples"][0], "pos": [s["gloss"]], "neg": others[:7]})
    return rows


def wn_synonyms2def(records: Records, seed: int) -> list[dict]:
    """A synset's lemmas ("car, auto, automobile") -> its gloss; negatives: its first lemma's other senses."""
    senses = _senses(records["wordnet"])
    return [
        {"query": ", ".join(s["lemmas"][:4]), "pos": [s["gloss"]],
         "neg": [g for g in senses[s["lemmas"][0].lower()] if g != s["gloss"]][:7]}
        for s in records["wordnet"] if len(s["lemmas"]) >= 2
    ]  # fmt: skip


def def_paraphrase(records: Records, seed: int) -> list[dict]:
    """Symmetric: the WordNet gloss of a single-sense word <-> its GCIDE (Webster 1913) definition."""
    if "wordnet" not in records or "gcide" not in records:
        return []
    webster = {w: d for w, d, from_webster in records["gcide"] if from_webster}
    return [
        {"query": glosses[0], "pos": [webster[w]], "neg": []}
        for w, glosses in sorted(_senses(records["wordnet"]).items())
        if len(glosses) == 1 and w in webster and glosses[0].lower() != webster[w].lower()
    ]


def gcide_word2def(records: Records, seed: int) -> list[dict]:
    """A GCIDE headword -> its first definition; negatives: the adjacent headwords' definitions."""
    return neighbour_rows([(word, definition) for word, definition, _ in records["gcide"]])


def _same_subject(entries: list[tuple[str, str, list[str]]], seed: int, k: int = 50) -> list[list[int]]:
    """For each FOLDOC entry, up to ``k`` other entries of its subject, drawn by a generator seeded by its term."""
    by_subject = defaultdict(list)
    for i, (_, subject, _) in enumerate(entries):
        by_subject[subject].append(i)
    peers = []
    for i, (term, subject, _) in enumerate(entries):
        others = by_subject[subject]
        drawn = seeded(term, seed).sample(range(len(others)), min(len(others), k + 1))
        peers.append([others[j] for j in drawn if others[j] != i][:k])
    return peers


def foldoc_term2def(records: Records, seed: int) -> list[dict]:
    """A FOLDOC term -> the first paragraph of its entry; negatives: same-subject entries' first paragraphs."""
    entries = records["foldoc"]
    return [
        {"query": term, "pos": [paras[0]], "neg": [entries[j][2][0] for j in peers[:4]]}
        for (term, _, paras), peers in zip(entries, _same_subject(entries, seed))
    ]


def foldoc_lead2rest(records: Records, seed: int) -> list[dict]:
    """An entry's first paragraph -> its second; negatives: same-subject entries' second paragraphs."""
    entries, rows = records["foldoc"], []
    for (_, _, paras), peers in zip(entries, _same_subject(entries, seed)):
        if len(paras) >= 2 and min(len(paras[0]), len(paras[1])) >= MIN_PASSAGE_CHARS:
            seconds = (entries[j][2][1] for j in peers if len(entries[j][2]) >= 2)
            negatives = [p for p in seconds if len(p) >= MIN_PASSAGE_CHARS][:4]
            rows.append({"query": paras[0], "pos": [paras[1]], "neg": negatives})
    return rows


def jargon_term2def(records: Records, seed: int) -> list[dict]:
    """A Jargon File term -> its first sense; negatives: adjacent terms' first senses."""
    return neighbour_rows([(t, paras[0]) for t, paras in records["jargon"]])


def jargon_lead2rest(records: Records, seed: int) -> list[dict]:
    """A Jargon File entry's first paragraph -> its second; negatives: adjacent such entries' seconds."""
    return neighbour_rows(
        [(p[0], p[1]) for _, p in records["jargon"] if len(p) >= 2 and min(map(len, p[:2])) >= MIN_PASSAGE_CHARS]
    )


def devil_word2def(records: Records, seed: int) -> list[dict]:
    """A word -> its definition in *The Devil's Dictionary*; negatives: adjacent words' definitions."""
    return neighbour_rows(records["devil"])
