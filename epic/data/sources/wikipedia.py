"""English Wikipedia articles: the shortened dump of 106 "A" articles shipped in gensim's test data.

The file is a bz2 MediaWiki XML export (``<page>`` records with namespace-qualified tags: ``title``,
``ns``, ``id``, ``redirect``, ``revision/text``), streamed with ``iterparse``. Only namespace-0 pages
that are not redirects are read; the wikitext is parsed with ``mwparserfromhell`` (the standard
wikitext parser: nested templates, refs and tables defeat regular expressions) and rendered to plain
text by our own walk over its nodes, so that we decide what survives:

* kept: running text, link text, bold/italic contents, a few inline templates that carry words
  (``convert``, ``lang``, ``nihongo``, ``as of``...), simple ``<math>`` (no TeX commands) as written;
* dropped: other templates (infoboxes, citations, hatnotes, navboxes), ``<ref>`` with its content,
  tables, galleries, file/image, category and interlanguage links, comments, list and indented lines
  (bullets, definitions, block formulas), the parenthesis (or else the paragraph) holding a TeX
  formula or a number computed at render time (``{{inflation}}``, ``{{age}}``), paragraphs ending in
  ":" (they introduce a dropped list), fragments under 8 words, paragraphs with markup the parser
  could not take apart, and the end-matter sections (See also, References, External links, Further
  reading, Notes, Bibliography and their synonyms).

Document: id ``enwiki:<page id>``, the page title, the lead (heading ``""``) then one section per
heading; a sub-section's heading is the path of its headings (``"History / Early years"``). Group:
the first category that is not a birth/death year, "Living people" or an "Articles ..." maintenance
category ("" if none).

Excluded: film articles (their plots and reception overlap the evaluation's movie reviews): an
``{{Infobox film}}``, a category containing "films", or a lead whose first sentence says "is a ...
film"; and disambiguation pages (lists of links, no prose). Text: CC BY-SA (Wikipedia).
"""

from __future__ import annotations

import bz2
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..documents import Document, Section, clean
from . import Package, Source

DUMP = "gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
LEE = "gensim/test/test_data/lee_background.cor"  # the other member of the package (read by abcnews)

SOURCE = Source(
    name="wikipedia",
    title="English Wikipedia (gensim test dump)",
    domain="encyclopedia",
    licence="CC BY-SA (Wikipedia text), shipped in gensim's LGPL-2.1 wheel",
    package=Package("wheel", "gensim", "4.4.0", members=(DUMP, LEE)),
)

MIN_WORDS = 8  # shorter blocks are captions, labels and leftovers of removed markup
END_MATTER = {
    "see also", "references", "external links", "further reading", "notes", "bibliography", "footnotes",
    "sources", "citations", "notes and references", "references and notes", "works cited", "source",
}  # fmt: skip
LINK_PREFIXES = {
    "file", "image", "media", "category", "wikipedia", "wp", "template", "help", "portal", "wikt", "wiktionary",
    "commons", "s", "q", "b", "n", "v", "voy", "species", "meta", "mw", "special",
}  # fmt: skip
DROP_TAGS = {
    "ref", "references", "table", "gallery", "timeline", "imagemap", "score", "graph", "syntaxhighlight", "source",
    "pre", "code", "hiero", "poem", "templatedata", "categorytree", "noinclude",
}  # fmt: skip
LIST_MARKUP = {"*", "#", ":", ";"}
LIST, FORMULA = "\x00", "\x01"  # markers: a list line to drop; a paragraph with a formula or computed number to drop
# comments and refs go before parsing: refs never nest, and a stray '' in a citation otherwise makes
# the parser give up on the rest of the paragraph, leaving its markup as text
PRECLEAN = re.compile(r"<!--.*?(?:-->|$)|<ref\b[^>]*/>|<ref\b[^>]*>.*?</ref\s*>", re.I | re.S)
MARKUP = re.compile(r"\{\{|\}\}|\[\[|\]\]|</?[a-zA-Z][^>]*>|\{\||\|\}")  # what the parser could not take apart
CATEGORY = re.compile(r"\[\[\s*Category\s*:\s*([^\]|]+)", re.I)
NOT_GROUP = re.compile(r"^(?:\d+s?(?: BC| AD)?(?: births| deaths)?|Living people|Articles .*)$")
DISAMBIGUATION = re.compile(r"\{\{\s*(?:[^|}]*disambig[^|}]*|dab|hndis|geodis|set index|sia)\s*[|}]", re.I)
INFOBOX_FILM = re.compile(r"\{\{\s*Infobox[ _]film\b", re.I)
FILM_SENTENCE = re.compile(  # "is a 1997 drama film", not "was a film director"
    r"\b(?:is|was) (?:a|an|the)\b[^.]*?\bfilm\b(?!\s*(?:-?makers?|directors?|producers?|critics?|studios?|"
    r"industry|festivals?|awards?|scores?|composers?|editors?|actors?|actress(?:es)?|historians?|theorists?))",
    re.I,
)

# inline templates that carry words of the sentence (every other template is dropped)
FIRST_ARG = {"nihongo", "nowrap", "nobr", "small", "smaller", "big", "sc", "ipa", "vr", "vanchor", "em", "val",
             "mvar", "math", "tooltip"}  # fmt: skip
JOINED = {"frac": "/", "chem": "", "keypress": "+"}  # {{frac|1|2}}, {{chem|H|2|O}}
FIXED = {
    "'s": "'s", "'": "'", "=": "=", "nbsp": " ", "sp": " ", "mdash": "—", "mdashb": " — ", "ndash": "–", "snd": " – ",
    "spaced ndash": " – ", "hydrogen": "H", "carbon": "C", "nitrogen": "N", "oxygen": "O",
}  # fmt: skip
# numbers worked out at render time: the parenthesis or paragraph they sit in goes, or it would have a hole
COMPUTED = {"inflation", "format price", "e", "age", "years ago", "time ago", "currentyear", "age in years"}
CONVERT_UNITS = {"C": "°C", "F": "°F", "sqkm": "km²", "sqmi": "sq mi", "km2": "km²", "m2": "m²"}
CONVERT_JOINS = {"-": "–", "to": " to ", "and": " and ", "or": " or ", "x": " × ", "by": " by ", "+/-": " ± "}


def read(folder: Path | None = None) -> list[Document]:
    """Every kept article of the dump, in dump order (folder = the unpacked package root, default
    ``SOURCE.folder()``)."""
    import mwparserfromhell  # the one library this reader needs; imported here so SOURCE loads without it

    path = SOURCE.path(DUMP, folder)
    docs = []
    for page_id, title, text in pages(path):
        sections = tuple(_sections(mwparserfromhell.parse(PRECLEAN.sub("", text))))
        if sections and excluded(text, sections) is None:
            docs.append(Document(f"enwiki:{page_id}", title, sections, group(text)))
    return docs


def pages(path: Path) -> Iterator[tuple[str, str, str]]:
    """``(page id, title, wikitext)`` of each namespace-0 page of the dump that is not a redirect."""
    with bz2.open(path) as stream:
        for _, elem in ET.iterparse(stream):
            elem.tag = elem.tag.rpartition("}")[2]  # drop the export namespace: children are renamed first
            if elem.tag != "page":
                continue
            if elem.findtext("ns") == "0" and elem.find("redirect") is None:
                yield elem.findtext("id", ""), elem.findtext("title", ""), elem.findtext("revision/text", "")
            elem.clear()


def excluded(text: str, sections: tuple[Section, ...]) -> str | None:
    """Why an article (its wikitext and rendered sections) is left out: "film", "disambiguation";
    None to keep it."""
    if INFOBOX_FILM.search(text) or any("films" in c.lower() for c in CATEGORY.findall(text)):
        return "film"
    if FILM_SENTENCE.search(lead_sentence(sections)):
        return "film"
    if DISAMBIGUATION.search(text):
        return "disambiguation"
    return None


def lead_sentence(sections: tuple[Section, ...]) -> str:
    """The first sentence of the article's lead (for the "is a ... film" test); "" without a lead."""
    if not sections or sections[0].heading != "":
        return ""
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", sections[0].paragraphs[0], maxsplit=1)[0]


def group(text: str) -> str:
    """The article's first topical category: not a year of birth or death, nor a maintenance one."""
    return next((c.strip() for c in CATEGORY.findall(text) if not NOT_GROUP.match(c.strip())), "")


def _sections(code: Any) -> Iterator[Section]:
    """The lead and each headed section, with their paragraphs (end matter and empty sections left out)."""
    path: list[str] = []
    parts: list[str] = []

    def flush() -> Iterator[Section]:
        paragraphs = _paragraphs("".join(parts))
        if paragraphs and not any(h.lower() in END_MATTER for h in path):
            yield Section(" / ".join(path), paragraphs)
        parts.clear()

    for node in code.nodes:
        if type(node).__name__ == "Heading":
            yield from flush()
            depth = max(node.level - 2, 0)  # == H == is depth 0; a stray = H = counts as one too
            path[depth:] = [clean(_render(node.title).replace(LIST, ""))]
        else:
            parts.append(_node(node))
    yield from flush()


def _paragraphs(text: str) -> tuple[str, ...]:
    """Blank-line separated blocks of rendered text; list lines split blocks and are dropped."""
    text = re.sub(r"__[A-Z]+__", "", text)  # __NOTOC__ and other magic words
    blocks, lines = [], []
    for line in text.split("\n"):
        if not line.strip() or line.lstrip().startswith((LIST, "{|", "|", "!")):
            blocks.append(" ".join(lines))
            lines = []
        else:
            lines.append(line)
    blocks.append(" ".join(lines))
    blocks = [re.sub(rf"\([^()\n]*{FORMULA}[^()\n]*\)", "", b) for b in blocks]  # "(<math>x^2</math>)" goes alone
    kept = (_tidy(b) for b in blocks if FORMULA not in b)
    return tuple(p for p in kept if len(p.split()) >= MIN_WORDS and not p.endswith(":") and not MARKUP.search(p))


def _tidy(text: str) -> str:
    """One paragraph: whitespace collapsed, the holes left by removed templates and refs closed."""
    text = clean(html.unescape(text))  # entities in stretches the parser left as text
    text = re.sub(r"'{2,}", "", re.sub(r"'{2,}(?=s\b)", "'", text))  # quote marks the parser left: ''Iliad'''s
    text = re.sub(r"\(\s*(?:[,;:]\s*)*\)", "", text)  # "Albedo () or" after a removed pronunciation
    text = re.sub(r"\(\s*[,;:]?\s*", "(", text)  # "(; born 1947)", "( in Attic)"
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)  # "undertakings ." after a removed template
    return clean(text)


def _render(code: Any) -> str:
    return "".join(_node(n) for n in code.nodes) if code is not None else ""


def _node(node: Any) -> str:
    """Plain text of one wikitext node (see the module docstring for what survives)."""
    kind = type(node).__name__
    if kind == "Text":
        return node.value
    if kind == "Wikilink":
        target = str(node.title).strip()
        prefix = target.split(":", 1)[0].strip().lower() if ":" in target else ""
        if prefix in LINK_PREFIXES or re.fullmatch(r"[a-z]{2,3}(?:-[a-z]+)*", prefix):
            return ""  # files, categories, interlanguage and interwiki links
        return _render(node.text) if node.text is not None else target.lstrip(":").split("#")[0]
    if kind == "ExternalLink":
        return _render(node.title)  # a bare URL has no title and goes
    if kind == "Template":
        return _template(node)
    if kind == "Tag":
        return _tag(node)
    if kind == "HTMLEntity":
        return node.normalize()
    if kind == "Heading":
        return "\n\n"
    return ""  # comments, template arguments


def _tag(node: Any) -> str:
    if node.wiki_markup in LIST_MARKUP:
        return "\n" + LIST
    tag = str(node.tag).strip().lower()
    if tag in DROP_TAGS or node.wiki_markup == "{|":  # {| tables |}
        return ""
    if tag in ("chem", "ce"):
        return FORMULA
    if tag == "math":  # simple math reads as text ("n = 1"); TeX does not
        tex = _render(node.contents).strip()
        return FORMULA if re.search(r"[\\{}^_]", tex) else tex
    if tag == "br":
        return " "
    if tag == "hr":
        return "\n\n"
    return _render(node.contents) if node.contents is not None else ""


def _template(node: Any) -> str:
    """The words an inline template puts in its sentence ("" for infoboxes, citations, hatnotes...)."""
    name = str(node.name).strip().lower().replace("_", " ")
    args = [_render(p.value).strip() for p in node.params if not p.showkey]
    if name in ("convert", "cvt") and len(args) >= 2:
        if len(args) >= 4 and args[1] in CONVERT_JOINS:  # {{convert|5|to|10|km}}
            return f"{args[0]}{CONVERT_JOINS[args[1]]}{args[2]} {CONVERT_UNITS.get(args[3], args[3])}"
        return f"{args[0]} {CONVERT_UNITS.get(args[1], args[1])}"
    if name in COMPUTED or name.startswith("formatnum:"):
        return FORMULA
    if name in ("lang", "transl"):  # {{lang|fr|mot}}: the text is the last argument
        return args[-1] if args else ""
    if name in FIRST_ARG or name.startswith("lang-"):
        return args[0] if args else ""
    if name in JOINED:
        return JOINED[name].join(args)
    if name == "angbr":
        return f"⟨{args[0]}⟩" if args else ""
    if name == "as of":
        return f"As of {args[0]}" if args else ""
    if name == "quote":  # a block quotation: its own paragraph
        text = node.get("text").value if node.has("text") else node.params[0].value if node.params else None
        return "\n\n" + _render(text) + "\n\n"
    return FIXED.get(name, "")
