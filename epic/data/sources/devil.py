"""Ambrose Bierce's *The Devil's Dictionary* (Debian ``dict-devil``, 1911 satire): words and their definitions."""

from __future__ import annotations

import re
from pathlib import Path

from . import Package, Source
from .dictd import DICTD_DIR, dictd_entries

DEVIL_HEAD = re.compile(r"[A-Z][A-Z' -]*,\s*(?:[a-z]+\.\s*)+(?:(?:and|or)\s+(?:[a-z]+\.\s*)+)?")


SOURCE = Source("devil", "The Devil's Dictionary", "dictionary", "public domain", Package("deb", "dict-devil", ""))


def read_devil(folder: Path = DICTD_DIR) -> list[tuple[str, str]]:
    """``(word, definition)`` from *The Devil's Dictionary*: the first paragraph after "WORD, n."; the
    verses and anecdotes that follow are left out, as are the ~15 entries whose head does not parse."""
    out = []
    for word, text in dictd_entries(folder, "devil", "The Devil's Dictionary", "dict-devil"):
        first = text.strip().split("\n\n")[0]
        head = DEVIL_HEAD.match(first)
        definition = " ".join(first[head.end() :].replace("_", "").split()) if head else ""
        if len(definition) >= 12:
            out.append((word.lower(), definition))
    return out
