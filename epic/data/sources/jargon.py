"""The Jargon File (Debian ``dict-jargon``): hackers' slang, entries in paragraphs."""

from __future__ import annotations

import re
from pathlib import Path

from . import Package, Source
from .dictd import DICTD_DIR, NOT_TEXT, clean_links, dictd_entries

# what opens a Jargon File paragraph before its text: "[Usenet]" etymology, "2." sense numbers, "vt." parts of speech
JARGON_LABELS = re.compile(
    r"^(?:\[[^\]]*\]\s*|\d+\.\s+|(?:n|v|vi|vt|adj|adv|interj|obs|imp|imper|pl|prep|pron|conj|abbrev|suff)\.(?:,\s*|\s+))+"
)


SOURCE = Source("jargon", "the Jargon File", "dictionary", "public domain", Package("deb", "dict-jargon", ""))


def read_jargon(folder: Path = DICTD_DIR) -> list[tuple[str, list[str]]]:
    """``(term, paragraphs)`` of every Jargon File entry with text of its own, in index order, without
    the bracketed etymology, sense numbers, parts of speech, "See ..." lines and fragments under 20
    characters; entries left with nothing (pure cross-references) are left out."""
    out = []
    for _, text in dictd_entries(folder, "jargon", "the Jargon File", "dict-jargon"):
        head, *paras = re.split(r"\n\s*\n", text)
        kept = [JARGON_LABELS.sub("", clean_links(p)) for p in paras]
        kept = [p for p in kept if len(p) >= 20 and not p.startswith(NOT_TEXT)]  # not "(also on drugs)"
        if kept:
            out.append((head.strip().split("\n")[0].strip(), kept))
    return out
