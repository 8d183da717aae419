"""Every source the builder reads and every task it builds from them: the training mix in one table.

A task names its sources, a function from their records to rows (:mod:`epic.data.dictionary_tasks`
for the dictionaries, a shape of :mod:`epic.data.shapes` for prose), its instruction and its type. A
task is built when any of its sources is chosen, from the chosen ones only (leave-one-out builds drop
a source's share of a shared task, not the task).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from . import dictionary_tasks as dt
from . import shapes
from .documents import Document

Records = dict[str, list]
DICTIONARIES = ("wordnet", "gcide", "foldoc", "jargon", "devil")
PROSE = ("spamassassin", "wikipedia", "abcnews", "brown", "sotu", "python_docs", "perl_docs", "gnome_help",
         "austen", "mobydick")  # fmt: skip
SOURCES = DICTIONARIES + PROSE


def source_module(name: str) -> ModuleType:
    """The reader module of source ``name`` (``epic.data.sources.<name>``), with its ``SOURCE`` metadata."""
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}; choose from {', '.join(SOURCES)}")
    return importlib.import_module(f"{__package__}.sources.{name}")


def read_source(name: str) -> list:
    """The records of source ``name``: tuples for a dictionary, documents for prose."""
    module = source_module(name)
    return (getattr(module, "read", None) or getattr(module, f"read_{name}"))()


@dataclass(frozen=True)
class TaskSpec:
    """A training task: its sources, how rows are made of their records, its instruction and type."""

    name: str
    sources: tuple[str, ...]
    rows: Callable[[Records, int], list[dict]]
    instruction: str
    type: str = "retrieval"


def prose(shape: Callable[..., list[dict]], keep: Callable[[Document], bool] | None = None, **options) -> Callable:
    """A task's rows function: ``shape`` over the documents of its chosen sources (those ``keep`` accepts)."""
    takes_seed = "seed" in inspect.signature(shape).parameters

    def rows(records: Records, seed: int) -> list[dict]:
        docs = [d for name in sorted(records) for d in records[name] if keep is None or keep(d)]
        return shape(docs, seed=seed, **options) if takes_seed else shape(docs, **options)

    return rows


def _mail(d: Document) -> bool:
    return not d.group.startswith("rss:")


T = TaskSpec
TASKS: tuple[TaskSpec, ...] = (
    # dictionaries: word -> definition
    T("wn-example2def", ("wordnet",), dt.wn_example2def,
      "Given a sentence, retrieve the dictionary definition of the word sense it uses"),
    T("wn-synonyms2def", ("wordnet",), dt.wn_synonyms2def,
      "Given a set of synonyms, retrieve the definition they share"),
    T("gcide-word2def", ("gcide",), dt.gcide_word2def, "Given a word, retrieve its dictionary definition"),
    T("def-paraphrase", ("wordnet", "gcide"), dt.def_paraphrase,
      "Retrieve a definition that means the same as the given definition", "symmetric"),
    T("foldoc-term2def", ("foldoc",), dt.foldoc_term2def, "Given a computing term, retrieve its encyclopedia entry"),
    T("foldoc-lead2rest", ("foldoc",), dt.foldoc_lead2rest,
      "Given the opening paragraph of an encyclopedia entry, retrieve the paragraph that follows it"),
    T("jargon-term2def", ("jargon",), dt.jargon_term2def, "Given a term of hackers' slang, retrieve its lexicon entry"),
    T("jargon-lead2rest", ("jargon",), dt.jargon_lead2rest,
      "Given the opening paragraph of a lexicon entry, retrieve the paragraph that follows it"),
    T("devil-word2def", ("devil",), dt.devil_word2def, "Given a word, retrieve its satirical definition"),
    # e-mail and news
    T("mail-subject2body", ("spamassassin",), prose(shapes.title_to_lead, keep=lambda d: _mail(d) and not d.parent),
      "Given the subject line of an e-mail, retrieve the e-mail"),
    T("news-headline2lead", ("spamassassin",), prose(shapes.title_to_lead, keep=lambda d: not _mail(d)),
      "Given a news headline, retrieve the opening of the news item"),
    T("mail-message2reply", ("spamassassin",), prose(shapes.message_to_reply, keep=_mail),
      "Given an e-mail, retrieve a reply to it"),
    T("mail-same-thread", ("spamassassin",), prose(shapes.same_group, keep=_mail),
      "Retrieve an e-mail from the same discussion thread", "symmetric"),
    T("news-lead2rest", ("abcnews",), prose(shapes.lead_to_rest),
      "Given the first sentence of a news story, retrieve the rest of the story"),
    # encyclopedia
    T("wiki-heading2section", ("wikipedia",), prose(shapes.heading_to_section, lead=True),
      "Given an encyclopedia article's title and a section heading, retrieve that section"),
    T("wiki-paragraph2next", ("wikipedia",), prose(shapes.next_paragraph),
      "Given a paragraph of an encyclopedia article, retrieve the paragraph that follows it"),
    T("wiki-sentence2passage", ("wikipedia",), prose(shapes.inverse_cloze),
      "Given a sentence, retrieve the encyclopedia passage it was taken from"),
    # edited prose and speeches
    T("brown-paragraph2next", ("brown",), prose(shapes.next_paragraph),
      "Given a paragraph, retrieve the paragraph that follows it"),
    T("brown-sentence2passage", ("brown",), prose(shapes.inverse_cloze),
      "Given a sentence, retrieve the passage it was taken from"),
    T("speech-sentence2passage", ("sotu",), prose(shapes.inverse_cloze),
      "Given a sentence from a speech, retrieve the passage of the speech it comes from"),
    T("speech-paragraph2next", ("sotu",), prose(shapes.next_paragraph),
      "Given a passage of a speech, retrieve the passage that follows it"),
    # technical documentation
    T("docs-question2answer", ("python_docs", "perl_docs"), prose(shapes.heading_to_section, questions=True,
      with_title=False), "Given a question about programming, retrieve the answer from the documentation"),
    T("docs-heading2section", ("python_docs", "perl_docs"), prose(shapes.heading_to_section, questions=False,
      lead=True), "Given a documentation page and a section heading, retrieve that section"),
    T("help-title2page", ("gnome_help",), prose(shapes.title_to_lead),
      "Given the title of a help page, retrieve the page"),
    T("help-summary2page", ("gnome_help",), prose(shapes.title_to_lead, summary=True),
      "Given a one-line description of a help page, retrieve the page"),
    # literature
    T("novel-paragraph2next", ("austen", "mobydick"), prose(shapes.next_paragraph),
      "Given a paragraph of a novel, retrieve the paragraph that follows it"),
)  # fmt: skip
