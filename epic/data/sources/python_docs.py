"""The Python 3.11 documentation (Debian ``python3.11-doc``): the reST sources of docs.python.org.

Format: ``usr/share/doc/python3.11/html/_sources/**/*.rst.txt``, Sphinx reStructuredText, read with a
small line-based parser (docutils stops at Sphinx directives it does not know). One document a page:
id = the path under ``_sources``, title = the page's first title, group = its top folder (``library``,
``reference``, ``tutorial``, ``howto``, ``faq``, ``c-api``...; a top-level page is its own group).

Kept: the prose paragraphs under the nearest title (a FAQ question is a title, so question → answer);
the description of each API directive (``.. function::``, ``.. method::``, ``.. class::``, ``.. c:function::``,
``.. opcode::``, ``.. cmdoption::``...) as its own section headed by the signature, qualified with the
current module and class (``os.path.join(path, *paths)``); each glossary term as a section; the prose of
notes, warnings and CPython implementation details; list items and definitions of at least 8 words.
Inline markup becomes its text (:mod:`.rest`: ``:class:`~os.PathLike``` → ``PathLike``, ``:pep:`8``` →
``PEP 8``, ``:ref:`label``` → the title it points at); a paragraph introducing a literal block keeps one colon.

Dropped: code (literal blocks, ``>>>`` doctests, code-block/doctest/testcode directives), tables,
field lists, comments and targets, version notes (``versionadded``/``versionchanged``/``deprecated``),
``seealso``, ``index``, ``toctree``, availability and audit events, grammar productions, block quotes,
short list items, the "Source code:" line, and every other directive with its body.

Exclusions: ``whatsnew/`` (changelogs, lists of names); the ``license``, ``bugs``, ``copyright`` and
``about`` pages (boilerplate, not documentation); and the fragments other pages include (``includes/``,
``distutils/_setuptools_disclaimer``, a note every ``distutils`` page repeats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..documents import Document, Section, clean
from . import Package, Source
from .rest import inline

SOURCE = Source(
    "python_docs",
    "the Python 3.11 documentation",
    "technical docs",
    "PSF-2.0 (code examples also 0BSD)",
    Package("deb", "python3.11-doc", ""),
)
SOURCES = "usr/share/doc/python3.11/html/_sources"
EXCLUDED_DIRS = ("whatsnew", "includes")  # includes/: fragments that pages include, not pages
EXCLUDED_PAGES = ("license.rst.txt", "bugs.rst.txt", "copyright.rst.txt", "about.rst.txt",
                  "distutils/_setuptools_disclaimer.rst.txt")  # fmt: skip
MIN_ITEM_WORDS = 8  # a shorter list item or definition is a name or a fragment, not prose

PY_API = {"function", "method", "class", "attribute", "exception", "data", "classmethod", "staticmethod",
          "decorator", "decoratormethod", "coroutinefunction", "coroutinemethod", "abstractmethod",
          "awaitablefunction", "awaitablemethod", "property"}  # fmt: skip
OTHER_API = {"c:function", "c:member", "c:type", "c:var", "c:macro", "c:struct", "opcode", "cmdoption",
             "option", "envvar", "pdbcommand", "describe", "object"}  # fmt: skip
ADMONITIONS = {"note", "warning", "important", "caution", "impl-detail", "tip", "hint", "attention", "danger"}

_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1+\s*$")
_DIRECTIVE = re.compile(r"\.\.\s+([\w:-]+)::\s*(.*)$")
_BULLET = re.compile(r"([-*+•]|\d+[.)]|#[.)]|\(\d+\))\s+\S")
_FIELD = re.compile(r":[\w .-]+:(\s|$)")
_TABLE_BORDER = re.compile(r"=+( +=+)+\s*$")
_LABEL = re.compile(r"\.\.\s+_([^:]+):\s*$")


@dataclass
class _Page:
    """What the parser of one page carries: where it is, and the sections it has made so far."""

    path: str
    labels: dict[str, str]
    title: str = ""
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    heading: str = ""
    module: str = ""
    cls: str = ""

    def start(self, heading: str) -> None:
        self.heading = heading
        self.sections.append((heading, []))

    def text_of(self, markup: str) -> str:
        """Inline markup as plain text, ``:ref:`` and ``:doc:`` read with the labels of every page."""
        return inline(markup, self.labels, self.path)

    def add(self, text: str, min_words: int) -> None:
        text = self.text_of(text)
        if text and len(text.split()) >= min_words:
            if not self.sections:
                self.start(self.heading)
            self.sections[-1][1].append(text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _dedent(lines: list[str]) -> list[str]:
    width = min((_indent(x) for x in lines if x.strip()), default=0)
    return [x[width:] if x.strip() else "" for x in lines]


def _block_end(lines: list[str], i: int) -> int:
    """The end of the block opened at ``lines[i]``: the next non-blank line back at indent 0."""
    i += 1
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > 0):
        i += 1
    return i


def _title(lines: list[str], i: int) -> tuple[str, int] | None:
    """``(title, lines it takes)`` when a section title (underlined, maybe overlined) starts at ``i``."""
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if _ADORNMENT.match(lines[i]) and i + 2 < len(lines) and lines[i + 2].strip() == lines[i].strip():
        return (nxt.strip(), 3) if nxt.strip() else None
    text = lines[i].rstrip()
    if (
        text
        and not _ADORNMENT.match(text)
        and _ADORNMENT.match(nxt)
        and len(nxt.rstrip()) >= max(len(text), 2)
        and nxt.strip() != "::"
    ):
        return text, 2
    return None


def _walk(lines: list[str], page: _Page, top: bool, min_words: int = 0) -> None:
    """Parse one level of body elements (``lines`` dedented so that this level is at indent 0)."""
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith((">>>", "+-", "+=", "| ")):  # a doctest, grid table or line block: to a blank line
            while i < n and lines[i].strip():
                i += 1
        elif _indent(line) > 0 or _FIELD.match(line):
            i = _block_end(lines, i)  # a block quote or literal block; a field with its indented body
        elif line.startswith(".."):
            end = _block_end(lines, i)
            _directive(lines[i:end], page)
            i = end
        elif (title := _title(lines, i)) is not None:
            if top:
                page.start(page.text_of(title[0]))
                page.title = page.title or page.heading
            i += title[1]
        elif _ADORNMENT.match(line) or _TABLE_BORDER.match(line):
            i = _skip_table(lines, i) if " " in line.strip() else i + 1  # a table, or a transition
        elif bullet := _BULLET.match(line):
            end = _block_end(lines, i)
            width = bullet.end() - 1
            body = [line[width:]] + [x[min(width, _indent(x)) :] for x in lines[i + 1 : end]]
            _walk(_dedent(body), page, False, max(min_words, MIN_ITEM_WORDS))
            i = end
        else:
            j = i
            while j < n and lines[j].strip() and _indent(lines[j]) == 0:
                j += 1
            if j == i + 1 and j < n and lines[j].strip():  # a definition list item: keep the definition
                end = _block_end(lines, i)
                _walk(_dedent(lines[i + 1 : end]), page, False, max(min_words, MIN_ITEM_WORDS))
                j = end
            elif not line.startswith("**Source code:**"):
                page.add(_expanded_colon(" ".join(lines[i:j])), min_words)
            i = j


def _expanded_colon(text: str) -> str:
    """A paragraph that introduces a literal block as it reads: ``Example::`` → ``Example:``, ``Text ::`` → ``Text``."""
    if text == "::" or text.endswith((" ::", "\t::")):
        return text[:-2].rstrip()
    return text[:-1] if text.endswith("::") else text


def _skip_table(lines: list[str], i: int) -> int:
    """Past a simple table: up to its last border (one followed by a blank line)."""
    for j in range(i + 1, len(lines)):
        if _TABLE_BORDER.match(lines[j]) and (j + 1 == len(lines) or not lines[j + 1].strip()):
            return j + 1
    return len(lines)


def _directive(block: list[str], page: _Page) -> None:
    """One explicit markup block: a directive, or a comment, target or footnote (dropped)."""
    m = _DIRECTIVE.match(block[0])
    if m is None:
        return
    name, arg = m.group(1), m.group(2).strip()
    j = 1
    while j < len(block) and block[j].strip():
        j += 1
    head = [x.strip() for x in block[1:j]]
    body = _dedent(block[j:])
    if name in ("module", "currentmodule"):
        page.module = "" if arg == "None" else arg
    elif name in ADMONITIONS:
        _walk([arg, *_dedent(block[1:])] if arg else body, page, False)
    elif name == "glossary":
        _glossary(body, page)
    elif name in PY_API or name in OTHER_API:
        sigs = "\n".join([arg] + [x for x in head if not _FIELD.match(x)]).replace("\\\n", " ")  # "\": one sig
        _api(name, [clean(s.replace("\\*", "*")) for s in sigs.split("\n") if s.strip()], body, page)


def _api(kind: str, sigs: list[str], body: list[str], page: _Page) -> None:
    """An API description as its own section, headed by its (qualified) signature."""
    names = []
    for sig in sigs:
        if kind in PY_API:
            scope = page.cls or page.module
            if scope and not sig.startswith(scope + ".") and not (page.module and sig.startswith(page.module + ".")):
                sig = f"{scope}.{sig}"
            sig = "@" + sig if kind.startswith("decorator") else sig
        names.append(sig)
    outer, cls = page.heading, page.cls
    page.start("; ".join(names))
    if kind in ("class", "exception"):
        page.cls = re.split(r"[(\s\[]", names[0].lstrip("@"), maxsplit=1)[0]
    _walk(body, page, False)
    page.cls = cls
    page.start(outer)


def _glossary(lines: list[str], page: _Page) -> None:
    """Glossary terms (one or more unindented lines) each as a section of their indented definition."""
    outer, i, terms = page.heading, 0, []
    while i < len(lines):
        if not lines[i].strip() or lines[i].startswith(".."):
            i = _block_end(lines, i) if lines[i].startswith("..") else i + 1
        elif _indent(lines[i]) == 0:
            terms.append(page.text_of(lines[i]))
            i += 1
        else:
            end = _block_end(lines, i - 1)
            page.start(terms[0] if terms else outer)
            _walk(_dedent(lines[i:end]), page, False)
            terms, i = [], end
    page.start(outer)


def _labels(pages: dict[str, list[str]]) -> dict[str, str]:
    """What ``:ref:`` and ``:doc:`` without a title point at: a label's section title, a page's title."""
    labels: dict[str, str] = {}
    for path, lines in pages.items():
        pending = []
        for i, line in enumerate(lines):
            if label := _LABEL.match(line):
                pending.append(label.group(1).strip().lower())
            elif line.strip() and _indent(line) == 0 and (title := _title(lines, i)) is not None:
                text = inline(title[0], {}, "")
                labels.setdefault("doc:" + path.removesuffix(".rst.txt"), text)
                labels.update(dict.fromkeys(pending, text))
                pending = []
            elif line.strip() and not _ADORNMENT.match(line):
                pending = []
    return labels


def read(folder: Path | None = None) -> list[Document]:
    """Every page of the Python documentation but the exclusions, in path order; folder = the unpacked
    package root (default ``SOURCE.folder()``)."""
    root = SOURCE.path(SOURCES, folder)
    pages = {}
    for file in sorted(root.rglob("*.rst.txt")):
        path = file.relative_to(root).as_posix()
        if path.split("/")[0] not in EXCLUDED_DIRS and path not in EXCLUDED_PAGES:
            text = file.read_text(encoding="utf-8").expandtabs(8)
            pages[path] = [line.rstrip() for line in text.splitlines()]
    labels = _labels(pages)
    documents = []
    for path, lines in pages.items():
        page = _Page(path, labels)
        _walk(lines, page, True)
        sections = tuple(Section(h, tuple(ps)) for h, ps in page.sections if ps)
        if sections:
            group = path.split("/")[0] if "/" in path else path.removesuffix(".rst.txt")
            documents.append(Document(path, page.title, sections, group))
    return documents
