"""Readers of the real text that installs here: WordNet and four dictd databases (GCIDE, FOLDOC, the
Jargon File, The Devil's Dictionary). Each returns plain records; ``builddata`` turns them into tasks."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

WORDNET_DIR = Path("/usr/share/wordnet")
DICTD_DIR = Path("/usr/share/dictd")  # dictd databases: GCIDE, FOLDOC, the Jargon File, the Devil's Dictionary
INSTALL_HINT = "apt-get install -y wordnet-base dict-gcide dict-foldoc dict-jargon dict-devil"
NOT_TEXT = ("[", "See ", "Home page", "E-mail", "FTP")  # FOLDOC paragraphs that are sources or links
MIN_PASSAGE_CHARS = 60  # shorter FOLDOC paragraphs are captions and fragments ("Results.")


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


def _dictd_entries(folder: Path, name: str, label: str) -> Iterator[tuple[str, str]]:
    """``(headword, text)`` of each entry once, in index order: aliases share an entry (the first
    headword names it) and the database's own ``00-database…`` records are left out."""
    entries, blob = _read_dictd(folder, name, label)
    seen = set()
    for word, off, size in entries:
        if re.match(r"00-?database", word) or (off, size) in seen:
            continue
        seen.add((off, size))
        yield word, blob[off : off + size].decode("utf-8", "replace")


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


def _clean_links(paragraph: str) -> str:
    text = re.sub(r"\{([^{}]*?)(?:\s*\([^()]*\))?\}", r"\1", paragraph)  # {link (url)} -> link
    return " ".join(re.sub(r"[{}]", "", text).split())


def read_foldoc(folder: Path = DICTD_DIR) -> list[tuple[str, str, list[str]]]:
    """``(term, subject, paragraphs)`` of every FOLDOC entry with text of its own (not a pure
    cross-reference), without the subject tag, dates, "See also" lines and bracketed sources."""
    out = []
    for _, text in _dictd_entries(folder, "foldoc", "FOLDOC"):
        head, *paras = re.split(r"\n\s*\n", text)
        paras = [p for p in paras if p.strip()]
        subject = re.match(r"\s*<([^>]*)>", paras[0]) if paras else None
        if subject is None:
            continue
        paras[0] = paras[0][subject.end() :]
        kept = [_clean_links(p) for p in paras]
        kept = [p for p in kept if p and not re.fullmatch(r"\(\d{4}-\d\d-\d\d\)", p) and not p.startswith(NOT_TEXT)]
        if kept:
            out.append((head.strip().split("\n")[0].strip(), subject.group(1).split(",")[0].strip(), kept))
    return out


# what opens a Jargon File paragraph before its text: "[Usenet]" etymology, "2." sense numbers, "vt." parts of speech
JARGON_LABELS = re.compile(
    r"^(?:\[[^\]]*\]\s*|\d+\.\s+|(?:n|v|vi|vt|adj|adv|interj|obs|imp|imper|pl|prep|pron|conj|abbrev|suff)\.(?:,\s*|\s+))+"
)


def read_jargon(folder: Path = DICTD_DIR) -> list[tuple[str, list[str]]]:
    """``(term, paragraphs)`` of every Jargon File entry with text of its own, in index order, without
    the bracketed etymology, sense numbers, parts of speech, "See ..." lines and fragments under 20
    characters; entries left with nothing (pure cross-references) are left out."""
    out = []
    for _, text in _dictd_entries(folder, "jargon", "the Jargon File"):
        head, *paras = re.split(r"\n\s*\n", text)
        kept = [JARGON_LABELS.sub("", _clean_links(p)) for p in paras]
        kept = [p for p in kept if len(p) >= 20 and not p.startswith(NOT_TEXT)]  # not "(also on drugs)"
        if kept:
            out.append((head.strip().split("\n")[0].strip(), kept))
    return out


DEVIL_HEAD = re.compile(r"[A-Z][A-Z' -]*,\s*(?:[a-z]+\.\s*)+(?:(?:and|or)\s+(?:[a-z]+\.\s*)+)?")


def read_devil(folder: Path = DICTD_DIR) -> list[tuple[str, str]]:
    """``(word, definition)`` from *The Devil's Dictionary*: the first paragraph after "WORD, n."; the
    verses and anecdotes that follow are left out, as are the ~15 entries whose head does not parse."""
    out = []
    for word, text in _dictd_entries(folder, "devil", "The Devil's Dictionary"):
        first = text.strip().split("\n\n")[0]
        head = DEVIL_HEAD.match(first)
        definition = " ".join(first[head.end() :].replace("_", "").split()) if head else ""
        if len(definition) >= 12:
            out.append((word.lower(), definition))
    return out
