"""Task shapes: training pairs from documents, one rule per shape whatever the source.

Each shape takes :class:`~epic.data.documents.Document` records and returns rows
``{"query", "pos": [passage], "neg": [passages]}``; the builder adds the task name and instruction.
Hard negatives come from the same document or group (a passage of the same article, another message
of the thread): close in topic, wrong as an answer. ``epic data mine`` can replace them with a model's
(:mod:`epic.training.mining`). Every choice that involves chance uses a seeded hash of the text, so a
row does not move when other documents are added or removed.

Shapes (as in bge / E5 / GTR pre-training data): title → lead, heading → section (question → answer
when the heading is a question), paragraph → next paragraph, sentence → its paragraph without it
(inverse cloze, Lee et al. 2019), lead sentence → the rest, message → reply, and symmetric same-group pairs.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from .documents import Document

MIN_WORDS = 12  # shorter passages are captions, list items and fragments
MAX_WORDS = 120  # longer ones are cut at a sentence end (training reads 64-256 tokens of them anyway)
NEGATIVES = 4
_NOT_AFTER = "".join(
    rf"(?<!\b{a}\.)" for a in ("Mr", "Mrs", "Ms", "Dr", "St", "vs", "e\\.g", "i\\.e", "etc", "No", "Jr", "Sr")
)
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])" + _NOT_AFTER + r"|(?<=[.!?][\"')\]]))\s+(?=[\"'(\[]?[A-Z0-9])")

Row = dict[str, object]


def stable_key(text: str, seed: int = 0) -> str:
    """A seeded, process-independent hash: the order of every deterministic sample."""
    return hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()


def n_words(text: str) -> int:
    return len(text.split())


def sentences(paragraph: str) -> list[str]:
    """The paragraph split after ``. ! ?`` before a capital or digit (common abbreviations kept whole)."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def cut(text: str, max_words: int = MAX_WORDS) -> str:
    """``text`` up to ``max_words`` words, ending at the last sentence end that fits when there is one."""
    words = text.split()
    if len(words) <= max_words:
        return text
    head = " ".join(words[:max_words])
    ends = [m.end() for m in re.finditer(r"[.!?][\"')\]]?(?=\s|$)", head)]
    return head[: ends[-1]] if ends and ends[-1] > len(head) // 2 else head


def joined(paragraphs: Iterable[str], max_words: int = MAX_WORDS) -> str:
    """Paragraphs joined with spaces until ``max_words`` is reached, then cut there."""
    out: list[str] = []
    for p in paragraphs:
        out.append(p)
        if n_words(" ".join(out)) >= max_words:
            break
    return cut(" ".join(out), max_words)


def seeded(key: str, seed: int = 0) -> random.Random:
    """A generator seeded by ``key``: the same draws in every process (str seeds are hashed with SHA-512)."""
    return random.Random(f"{seed}:{key}")


def _pick(pool: list[str], avoid: set[str], key: str, k: int = NEGATIVES) -> list[str]:
    """Up to ``k`` members of ``pool`` (distinct texts in a fixed order) not in ``avoid``, drawn by a
    generator seeded by ``key``: O(k) whatever the pool's size."""
    picked = []
    for i in seeded(key).sample(range(len(pool)), min(len(pool), k + len(avoid))):
        if pool[i] not in avoid and len(picked) < k:
            picked.append(pool[i])
    return picked


def _pools(docs: list[Document], texts: dict[str, str]) -> dict[str, list[str]]:
    """Each group's distinct texts (``texts``: document id -> text), in a fixed order."""
    pools = defaultdict(list)
    for d in docs:
        if d.id in texts:
            pools[d.group].append(texts[d.id])
    return {group: sorted(set(members)) for group, members in pools.items()}


def _row(query: str, positive: str, negatives: list[str]) -> Row:
    return {"query": query, "pos": [positive], "neg": negatives}


def title_to_lead(docs: list[Document], min_title_words: int = 2, summary: bool = False) -> list[Row]:
    """A document's title (headline, subject, chapter title), or with ``summary`` its one-line summary,
    → its opening text; negatives: the openings of other documents of its group."""
    leads = {d.id: joined(d.paragraphs) for d in docs if d.paragraphs}
    by_group = _pools(docs, leads)
    rows = []
    for d in docs:
        query = d.summary if summary else d.title
        if d.id in leads and n_words(query) >= min_title_words and n_words(leads[d.id]) >= MIN_WORDS:
            rows.append(_row(query, leads[d.id], _pick(by_group[d.group], {leads[d.id]}, query)))
    return rows


def heading_to_section(
    docs: list[Document], with_title: bool = True, questions: bool | None = None, lead: bool = False
) -> list[Row]:
    """A section's heading (``"Page: Heading"`` with ``with_title``) → its text; negatives: the other
    sections of the document. ``lead``: the untitled opening section too, under the document's title.
    ``questions=True`` keeps only headings that are questions (FAQ → answer), ``False`` only the others."""
    rows = []
    for d in docs:
        texts = []
        for number, s in enumerate(d.sections):
            heading = s.heading or (d.title if lead and number == 0 else "")
            if heading and s.paragraphs and n_words(text := joined(s.paragraphs)) >= MIN_WORDS:
                texts.append((heading, text))
        for heading, text in texts:
            if questions is not None and heading.rstrip().endswith("?") != questions:
                continue
            query = f"{d.title}: {heading}" if with_title and d.title and d.title != heading else heading
            rows.append(_row(query, text, _pick(sorted({t for _, t in texts}), {text}, query)))
    return rows


def _long_paragraphs(doc: Document) -> Iterator[tuple[int, list[str]]]:
    for number, section in enumerate(doc.sections):
        yield number, [p for p in section.paragraphs if n_words(p) >= MIN_WORDS]


def next_paragraph(docs: list[Document]) -> list[Row]:
    """A paragraph → the paragraph that follows it in the same section (both at least ``MIN_WORDS``
    long); negatives: other paragraphs of the document."""
    rows = []
    for d in docs:
        everything = sorted({cut(p) for _, ps in _long_paragraphs(d) for p in ps})
        for _, paras in _long_paragraphs(d):
            for first, second in zip(paras, paras[1:]):
                query, positive = cut(first, MAX_WORDS // 2 + 20), cut(second)
                rows.append(_row(query, positive, _pick(everything, {cut(first), positive}, query)))
    return rows


def inverse_cloze(docs: list[Document], seed: int = 0, min_sentences: int = 3) -> list[Row]:
    """A sentence → the rest of its paragraph (the sentence removed, so the match is by meaning, not by
    words); one sentence per paragraph of at least ``min_sentences``; negatives: the document's other
    paragraphs."""
    rows = []
    for d in docs:
        everything = sorted({cut(p) for _, ps in _long_paragraphs(d) for p in ps})
        for _, paras in _long_paragraphs(d):
            for p in paras:
                parts = sentences(p)
                choices = [i for i, s in enumerate(parts) if n_words(s) >= 6]
                if len(parts) < min_sentences or not choices:
                    continue
                i = min(choices, key=lambda j: stable_key(parts[j], seed))
                rest = cut(" ".join(parts[:i] + parts[i + 1 :]))
                rows.append(_row(parts[i], rest, _pick(everything, {cut(p), rest}, parts[i])))
    return rows


def lead_to_rest(docs: list[Document], lead_sentences: int = 1) -> list[Row]:
    """A story's first sentence(s) → the rest of the story (the nearest thing to headline → article
    where a source has no headlines); negatives: the rests of other stories of its group."""
    pairs = {}
    for d in docs:
        parts = [s for p in d.paragraphs for s in sentences(p)]
        lead, rest = " ".join(parts[:lead_sentences]), joined(parts[lead_sentences:])
        if n_words(lead) >= 6 and n_words(rest) >= MIN_WORDS:
            pairs[d.id] = (d.group, lead, rest)
    by_group = defaultdict(set)
    for group, _, rest in pairs.values():
        by_group[group].add(rest)
    pools = {group: sorted(rests) for group, rests in by_group.items()}
    return [_row(lead, rest, _pick(pools[group], {rest}, lead)) for group, lead, rest in pairs.values()]


def message_to_reply(docs: list[Document]) -> list[Row]:
    """A message → a reply to it (``parent`` links); negatives: other messages of the thread and group."""
    text = {d.id: joined(d.paragraphs) for d in docs if d.paragraphs}
    by_group = _pools(docs, text)
    rows = []
    for d in docs:
        if d.parent in text and d.id in text and min(n_words(text[d.id]), n_words(text[d.parent])) >= MIN_WORDS:
            query = cut(text[d.parent], MAX_WORDS // 2 + 20)
            rows.append(_row(query, text[d.id], _pick(by_group[d.group], {text[d.id], text[d.parent]}, query)))
    return rows


def same_group(docs: list[Document], seed: int = 0, per_group: int = 50) -> list[Row]:
    """Symmetric: an opening passage ↔ another document's of the same group (a thread, a section of a
    guide), at most ``per_group`` pairs a group, each document in at most one pair."""
    by_group = defaultdict(list)
    for d in docs:
        if d.group and d.paragraphs and n_words(text := joined(d.paragraphs)) >= MIN_WORDS:
            by_group[d.group].append(text)
    rows = []
    for group, texts in sorted(by_group.items()):
        texts = sorted(set(texts), key=lambda t: stable_key(group + t, seed))
        rows += [_row(a, b, []) for a, b in list(zip(texts[::2], texts[1::2]))[:per_group]]
    return rows
