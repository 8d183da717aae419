"""The GNOME desktop help (Debian ``gnome-user-docs``): task and concept pages of the GNOME Help and the
System Administration Guide, in English.

Format: ``usr/share/help/C/<guide>/*.page``, Mallard XML (namespace ``http://projectmallard.org/1.0/``),
read with :mod:`xml.etree.ElementTree`. One document a page: id = the path under ``help/C``
(``gnome-help/a11y-bouncekeys.page``), title = the page's ``<title>`` (not the ``type="link"`` title of its
``<info>``), group = ``<guide>/<topic>``, the guide folder and the page its first ``<link type="guide">``
files it under (``gnome-help/a11y``; the guide alone for a page with no such link), summary = the
``<desc>`` of the page's ``<info>`` (a one-line description: description → body pairs). Sections: the
page's paragraphs under heading ``""``, then each ``<section>`` (nested ones flattened in reading
order) under its title.

Kept: ``<p>`` paragraphs, those of notes and examples, and list, step and term items' paragraphs of at
least 8 words. Inline markup is its text (``<gui>``, ``<key>``, ``<app>``, ``<file>``, ``<cmd>``, inline
``<code>``, an inline image's text); key combinations are joined with "+", menu paths (``<guiseq>``)
with " ▸ "; an empty ``<link xref>`` reads as its target's link title (page or section, in the same guide),
one to another guide or an URL as nothing. Conditional text (``if:choose``/``if:when``/``if:test``) is
read as the default GNOME desktop shows it: not GNOME Classic, not Ubuntu, not a mobile screen.

Dropped: ``<info>`` (credits, revisions, licence, guide links), block code (``<code>``, ``<screen>``,
``<listing>``), images and figures, tables, ``<links>`` lists, editors' ``<comment>`` and XInclude'd
snippets; the titles of notes, steps and list items; shorter items; paragraphs that are only a command or
an address; boilerplate, the body paragraphs that 3 pages or more repeat word for word (the steps that
open a Settings panel: "Open the Activities overview and start typing Settings."); sections left with no
paragraph; pages left with no body paragraph (guide pages that are only lists of links).

Exclusions: every locale but ``C`` (the other folders of ``usr/share/help`` are translations) and the
``.xml`` files (the shared licence, dconf snippets), which are not pages.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from pathlib import Path

from ..documents import Document, Section, clean
from . import Package, Source

SOURCE = Source(
    "gnome_help",
    "the GNOME desktop help",
    "technical docs",
    "CC-BY-SA-3.0",
    Package("deb", "gnome-user-docs", ""),
)
HELP = "usr/share/help/C"
MIN_ITEM_WORDS = 8  # a shorter list item is a click instruction or a name, not prose
REPEATED_ON = 3  # a paragraph on this many pages is boilerplate ("Open the Activities overview and start...")

M = "{http://projectmallard.org/1.0/}"
IF = "{http://projectmallard.org/if/1.0/}"
TRUE_TESTS = frozenset({"platform:gnome", "target:html"})  # every other platform:/target:/action: test is false
SKIPPED = {f"{M}{tag}" for tag in ("info", "title", "subtitle", "desc", "comment", "media", "figure", "table",
                                   "links", "code", "screen", "listing", "synopsis")}  # fmt: skip
CODE = {f"{M}{tag}" for tag in ("cmd", "code", "sys", "input", "output", "file", "var")}
LISTS = {f"{M}{tag}" for tag in ("list", "steps", "terms", "tree")}


def _passes(test: str | None) -> bool:
    """A Mallard conditional test: ``,`` separates alternatives, spaces conditions that must all hold."""
    if test is None:
        return True
    return any(
        all((token[1:] not in TRUE_TESTS) if token.startswith("!") else token in TRUE_TESTS for token in alt.split())
        for alt in test.split(",")
    )


def _branch(cond: ET.Element) -> ET.Element | None:
    """What an ``if:if`` or ``if:choose`` shows: itself if its test passes, the first passing ``if:when``
    else the ``if:else``; None when nothing."""
    if cond.tag == f"{IF}if":
        return cond if _passes(cond.get("test")) else None
    shown = next((w for w in cond if w.tag == f"{IF}when" and _passes(w.get("test"))), None)
    return shown if shown is not None else cond.find(f"{IF}else")


def _shown(elem: ET.Element) -> list[ET.Element]:
    """The children of ``elem`` the default desktop shows, conditional wrappers opened."""
    out = []
    for child in elem:
        if not _passes(child.get(f"{IF}test")) or not isinstance(child.tag, str):
            continue
        if child.tag in (f"{IF}choose", f"{IF}if"):
            out += _shown(branch) if (branch := _branch(child)) is not None else []
        elif child.tag.startswith(M) or child.tag.startswith(IF):
            out.append(child)
    return out


def _text(elem: ET.Element, links: dict[str, str]) -> str:
    """The text of an inline run: markup dropped, keys joined, an empty link read as its target's title."""
    parts = [elem.text or ""]
    for child in elem:
        tag = child.tag.removeprefix(M) if isinstance(child.tag, str) else ""
        if child.tag in (f"{IF}choose", f"{IF}if"):
            parts.append(_text(branch, links) if (branch := _branch(child)) is not None else "")
        elif not _passes(child.get(f"{IF}test")) or tag in ("", "comment", "screen") or "}" in tag:
            pass  # hidden, an editor's comment, or another vocabulary (its:, XInclude); its tail is text
        elif tag == "link" and not "".join(child.itertext()).strip():  # what Yelp shows: a title, or the URL
            parts.append(links.get(child.get("xref", ""), "") or child.get("href", "").removeprefix("mailto:"))
        elif tag in ("keyseq", "guiseq"):
            join = child.get("join") or (" ▸ " if tag == "guiseq" else " " if child.get("type") == "sequence" else "+")
            parts.append(join.join(clean(_text(c, links)) for c in _shown(child)))
        else:
            parts.append(_text(child, links))
        if (child.tail or "")[:1] in tuple(".,;:!?)"):
            parts[-1] = parts[-1].rstrip()  # "<link>file permissions\n</link>." reads "permissions."
        parts.append(child.tail or "")
    return "".join(parts)


def _code_only(p: ET.Element) -> bool:
    """A paragraph that is only a command, an address or a file name (a code block written as ``<p>``)."""
    text = (p.text or "") + "".join(child.tail or "" for child in p)
    return len(p) == 1 and p[0].tag in CODE and not text.strip()


def _paragraphs(elem: ET.Element, links: dict[str, str], min_words: int = 1) -> list[str]:
    """The paragraphs of a block container (a page, section, note, example, list item) in reading order;
    ``min_words`` applies inside lists."""
    out = []
    for child in _shown(elem):
        if child.tag in SKIPPED or child.tag == f"{M}section":
            continue
        if child.tag == f"{M}p":
            text = clean(_text(child, links))
            if len(text.split()) >= min_words and not _code_only(child):
                out.append(text)
        elif child.tag in LISTS:
            for item in (i for i in _shown(child) if i.tag == f"{M}item"):
                out += _paragraphs(item, links, MIN_ITEM_WORDS)
        else:  # note, example, quote, div, item: containers of blocks
            out += _paragraphs(child, links, min_words)
    return out


def _sections(elem: ET.Element, links: dict[str, str], heading: str = "") -> list[Section]:
    """The paragraphs of ``elem`` under ``heading``, then each of its sections', depth first."""
    out = [Section(heading, tuple(paras))] if (paras := _paragraphs(elem, links)) else []
    for section in (s for s in _shown(elem) if s.tag == f"{M}section"):
        title = section.find(f"{M}title")
        out += _sections(section, links, clean(_text(title, links)) if title is not None else "")
    return out


def _link_title(elem: ET.Element, links: dict[str, str]) -> str:
    """What a link to a page or section reads as: its ``<info>`` link title, else its title."""
    for title in elem.findall(f"{M}info/{M}title"):
        if title.get("type") == "link" and not title.get("role"):
            return clean(_text(title, links))
    title = elem.find(f"{M}title")
    return clean(_text(title, links)) if title is not None else ""


def _page(rel: str, page: ET.Element, links: dict[str, str]) -> Document | None:
    """One page as a document (None when it has no body paragraph)."""
    body = _sections(page, links)
    if not body:
        return None
    guide = rel.split("/")[0]
    topic = next((link.get("xref", "") for link in page.findall(f"{M}info/{M}link") if link.get("type") == "guide"), "")
    desc = page.find(f"{M}info/{M}desc")
    described = clean(_text(desc, links)) if desc is not None else ""
    title = page.find(f"{M}title")
    return Document(
        rel,
        clean(_text(title, links)) if title is not None else "",
        tuple(body),
        f"{guide}/{topic.split('#')[0]}" if topic else guide,
        summary=described,
    )


def read(folder: Path | None = None) -> list[Document]:
    """Every English help page with body text, sorted by path; ``folder`` = the unpacked package root
    (default ``SOURCE.folder()``)."""
    root = SOURCE.path(HELP, folder)
    pages = {p.relative_to(root).as_posix(): ET.parse(p).getroot() for p in sorted(root.rglob("*.page"))}
    by_guide: dict[str, dict[str, str]] = {}
    for rel, page in pages.items():  # link titles first: a page's empty links read as other pages' titles
        links = by_guide.setdefault(rel.split("/")[0], {})
        page_id = page.get("id", Path(rel).stem)
        links[page_id] = _link_title(page, {})
        for section in page.iter(f"{M}section"):
            if section.get("id"):
                links[f"{page_id}#{section.get('id')}"] = _link_title(section, {})
    docs = []
    for rel, page in pages.items():
        links = by_guide[rel.split("/")[0]]
        own = f"{page.get('id', Path(rel).stem)}#"  # xref="#ways": a section of the page itself
        links = {**links, **{key[len(own) - 1 :]: title for key, title in links.items() if key.startswith(own)}}
        docs.append(_page(rel, page, links))
    return _without_boilerplate([doc for doc in docs if doc is not None])


def _without_boilerplate(docs: list[Document]) -> list[Document]:
    """The documents without the body paragraphs that :data:`REPEATED_ON` pages or more repeat word for
    word (the steps that open a Settings panel); a page left with no body paragraph is dropped."""
    pages = Counter(p for doc in docs for p in set(doc.paragraphs))
    out = []
    for doc in docs:
        sections = [Section(s.heading, tuple(p for p in s.paragraphs if pages[p] < REPEATED_ON)) for s in doc.sections]
        sections = [s for s in sections if s.paragraphs]
        if sections:
            out.append(replace(doc, sections=tuple(sections)))
    return out
