"""The dictd database format (``NAME.index`` + ``NAME.dict.dz``) that GCIDE, FOLDOC, the Jargon File and
The Devil's Dictionary install in, and the cross-reference markup they share."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

DICTD_DIR = Path("/usr/share/dictd")
NOT_TEXT = ("[", "See ", "Home page", "E-mail", "FTP")  # paragraphs that are sources or links, not text


def _b64(s: str) -> int:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    n = 0
    for c in s:
        n = n * 64 + alphabet.index(c)
    return n


def read_dictd(folder: Path, name: str, label: str, package: str) -> tuple[list[tuple[str, int, int]], bytes]:
    """A dictd database: its index as ``(headword, offset, length)`` in file order, and its text."""
    index, data = folder / f"{name}.index", folder / f"{name}.dict.dz"
    if not index.is_file() or not data.is_file():
        raise FileNotFoundError(f"{index} is missing: install {label} with `apt-get install -y {package}`")
    entries = []
    for line in index.open(encoding="utf-8"):
        word, off, size = line.rstrip("\n").split("\t")
        entries.append((word, _b64(off), _b64(size)))
    return entries, gzip.open(data).read()


def dictd_entries(folder: Path, name: str, label: str, package: str) -> Iterator[tuple[str, str]]:
    """``(headword, text)`` of each entry once, in index order: aliases share an entry (the first
    headword names it) and the database's own ``00-database…`` records are left out."""
    entries, blob = read_dictd(folder, name, label, package)
    seen = set()
    for word, off, size in entries:
        if re.match(r"00-?database", word) or (off, size) in seen:
            continue
        seen.add((off, size))
        yield word, blob[off : off + size].decode("utf-8", "replace")


def clean_links(paragraph: str) -> str:
    text = re.sub(r"\{([^{}]*?)(?:\s*\([^()]*\))?\}", r"\1", paragraph)  # {link (url)} -> link
    return " ".join(re.sub(r"[{}]", "", text).split())
