"""Duplicates and near-duplicates out of a task, before anything is written.

Two examples of one task that share a query, or whose positives are copies of each other (a forwarded
e-mail, a page repeated in two guides), are false negatives for each other in a batch; a "hard
negative" that repeats the positive is one by construction. Texts are compared by their word 5-gram
shingles (Broder 1997): a text is a near-duplicate of what a task already holds when most of its
shingles were seen there before.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache

_WORD = re.compile(r"\w+")


@lru_cache(maxsize=200_000)
def shingles(text: str, n: int = 5) -> frozenset[int]:
    """Hashes of the lower-cased word ``n``-grams of ``text`` (the whole text for shorter ones). Python's
    own string hash: only compared within one process, so its per-process salt changes nothing."""
    words = _WORD.findall(text.lower())
    return frozenset(hash(tuple(words[i : i + n])) for i in range(max(1, len(words) - n + 1)))


def overlap(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' shingles."""
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / max(1, len(sa | sb))


class SeenTexts:
    """The texts kept so far, indexed by shingle; ``is_copy`` says whether a text is a near-duplicate
    (Jaccard of shingles at least ``threshold``) of one of them."""

    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold
        self.sizes: list[int] = []
        self.index: dict[int, list[int]] = defaultdict(list)

    def is_copy(self, text: str) -> bool:
        grams = shingles(text)
        shared = Counter(i for g in grams for i in self.index.get(g, ()))
        return any(n / (len(grams) + self.sizes[i] - n) >= self.threshold for i, n in shared.items())

    def add(self, text: str) -> None:
        grams = shingles(text)
        for g in grams:
            self.index[g].append(len(self.sizes))
        self.sizes.append(len(grams))


def dedupe_rows(rows: list[dict], threshold: float = 0.5, limit: int | None = None) -> list[dict]:
    """``rows`` in order, without: a repeated query, a positive that copies an earlier positive, a
    positive that copies its own query; and each row's negatives without copies of its query or
    positive; the first ``limit`` such rows. Returns new rows; the input is not changed."""
    queries, positives, kept = set(), SeenTexts(threshold), []
    for row in rows:
        if limit is not None and len(kept) >= limit:
            break
        query, positive = row["query"], row["pos"][0]
        key = " ".join(_WORD.findall(query.lower()))
        if key in queries or positives.is_copy(positive) or overlap(query, positive) >= threshold:
            continue
        queries.add(key)
        positives.add(positive)
        negatives = [n for n in row["neg"] if max(overlap(n, positive), overlap(n, query)) < threshold]
        kept.append({**row, "neg": negatives})
    return kept
