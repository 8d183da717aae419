"""GCIDE, the GNU Collaborative International Dictionary of English (Debian ``dict-gcide``): headwords and
their first definitions, marked when they come from Webster 1913."""

from __future__ import annotations

import re
from pathlib import Path

from . import Package, Source
from .dictd import DICTD_DIR, read_dictd


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


SOURCE = Source("gcide", "GCIDE", "dictionary", "GPL-3+", Package("deb", "dict-gcide", ""))


def read_gcide(folder: Path = DICTD_DIR) -> list[tuple[str, str, bool]]:
    """``(headword, first definition, from_webster)`` for single-word alphabetic headwords."""
    entries, blob = read_dictd(folder, "gcide", "GCIDE", "dict-gcide")
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
