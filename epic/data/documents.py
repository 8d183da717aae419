"""The shape every prose source is read into: documents of titled sections of paragraphs.

A reader (:mod:`epic.data.sources`) turns its files into :class:`Document` records; the task shapes
(:mod:`epic.data.shapes`) turn documents into training pairs. Keeping the two apart means one rule for
"paragraph → next paragraph" whatever the source, and one place per source that knows its format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Whitespace collapsed to single spaces, ends stripped: how every passage is stored."""
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Section:
    """A run of paragraphs under one heading (``""`` where the text has none), in reading order."""

    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """One unit of a source: an article, a chapter, a speech, a help page, an e-mail.

    ``id`` is unique within the source and stable across runs (a file path, a message id); ``group``
    is what related documents share (a genre, a thread, a novel: same-group pairs and hard negatives
    come from it); ``parent`` is the id of the document this one answers (an e-mail's reply-to);
    ``summary`` is a one-line description of the whole, apart from its text (a help page's ``<desc>``).
    """

    id: str
    title: str
    sections: tuple[Section, ...]
    group: str = ""
    parent: str = ""
    summary: str = ""

    @property
    def paragraphs(self) -> list[str]:
        """Every paragraph of every section, in reading order."""
        return [p for s in self.sections for p in s.paragraphs]
