"""FOLDOC, the Free On-line Dictionary of Computing (Debian ``dict-foldoc``): encyclopedic entries in
paragraphs, each under a subject."""

from __future__ import annotations

import re
from pathlib import Path

from . import Package, Source
from .dictd import DICTD_DIR, NOT_TEXT, clean_links, dictd_entries

MIN_PASSAGE_CHARS = 60  # shorter FOLDOC paragraphs are captions and fragments ("Results.")


SOURCE = Source("foldoc", "FOLDOC", "dictionary", "GFDL-1.1+", Package("deb", "dict-foldoc", ""))


def read_foldoc(folder: Path = DICTD_DIR) -> list[tuple[str, str, list[str]]]:
    """``(term, subject, paragraphs)`` of every FOLDOC entry with text of its own (not a pure
    cross-reference), without the subject tag, dates, "See also" lines and bracketed sources."""
    out = []
    for _, text in dictd_entries(folder, "foldoc", "FOLDOC", "dict-foldoc"):
        head, *paras = re.split(r"\n\s*\n", text)
        paras = [p for p in paras if p.strip()]
        subject = re.match(r"\s*<([^>]*)>", paras[0]) if paras else None
        if subject is None:
            continue
        paras[0] = paras[0][subject.end() :]
        kept = [clean_links(p) for p in paras]
        kept = [p for p in kept if p and not re.fullmatch(r"\(\d{4}-\d\d-\d\d\)", p) and not p.startswith(NOT_TEXT)]
        if kept:
            out.append((head.strip().split("\n")[0].strip(), subject.group(1).split(",")[0].strip(), kept))
    return out
