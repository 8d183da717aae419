"""ABC (Australian Broadcasting Corporation) news stories: the Lee background corpus in gensim's test data.

``lee_background.cor`` holds 300 short news stories (around the end of 2001: bushfires, Afghanistan,
cricket...), one story a line, without titles or paragraph breaks. It is the background corpus of
Lee, Pincombe & Welsh (2005), "An empirical evaluation of models of text document similarity"; the
file is plain ASCII (gensim reads it as Latin-1, and so do we: it cannot fail on a stray byte).

Each story becomes one document with one untitled section holding the whole story as one paragraph
(splitting it into lead sentence and rest is a task shape's job). Ten lines are dropped: a story
whose opening (first 200 characters) repeats an earlier story's is the same story filed again, seven
word for word and three updated or corrected, and keeping both would pair a story with its own copy
as a "different" document.

Not read: ``lee.cor``, the 50 documents of the same paper's similarity benchmark (an evaluation set),
nor anything else in the test data.
"""

from __future__ import annotations

from pathlib import Path

from ..documents import Document, Section, clean
from . import Package, Source

LEE = "gensim/test/test_data/lee_background.cor"
DUMP = "gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"  # wikipedia's
OPENING_CHARS = 200  # stories that open with the same 200 characters are one story filed twice

SOURCE = Source(
    name="abcnews",
    title="ABC news stories (Lee background corpus)",
    domain="e-mail and news",
    licence="ABC news text, distributed with gensim's test data (LGPL-2.1)",
    package=Package("wheel", "gensim", "4.4.0", members=(DUMP, LEE)),
)


def read(folder: Path | None = None) -> list[Document]:
    """One document per story, in file order, ids ``abc:<line number>`` (from 1); repeated stories are
    left out (folder = the unpacked package root, default ``SOURCE.folder()``)."""
    text = SOURCE.path(LEE, folder).read_text(encoding="latin-1")
    docs, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        story = clean(line)
        if not story or story[:OPENING_CHARS] in seen:
            continue
        seen.add(story[:OPENING_CHARS])
        docs.append(Document(f"abc:{number}", "", (Section("", (story,)),), group="abc"))
    return docs
