"""Prompts as token spans.

Every prompt is assembled from separately tokenized parts (fixed template text, the user's text,
demonstration slots) and never by decoding and re-tokenizing. Formats (bge-en-icl, arXiv 2409.15700):

* query:      ``<instruct>{instruction}\\n<query>{query}\\n<response>``
* text demo:  ``<instruct>{instruction}\\n<query>{demo_query}\\n<response>{demo_response}``, demos joined
  and followed by a blank line, placed before the query.
* EPIC demo:  ``<query>[q]<response>[r]\\n\\n`` with ``[q]``, ``[r]`` soft tokens (``demo_markers``), or
  the bare slots; one vector per demo gives ``<demo>[v]\\n\\n``.

Every sequence starts with the tokenizer's BOS token (EOS where there is none), so a soft token never
takes position 0 (the attention-sink slot), and ends with EOS, on which last-token pooling reads.

``template="eol"`` (PromptEOL, arXiv 2307.16645) instead asks the model to sum the text up in one word
and pools the position that would produce it: ``This text : "{text}" means in one word:"`` for
documents, with the instruction and ``<query>`` before it for queries; no EOS. An untrained decoder's
state there already carries the meaning (docs/study.md, section 7), where the EOS after raw text does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from ..data.tasks import Demo, Task

TEMPLATES = ("bge", "eol")
EOL_OPEN, EOL_CLOSE = 'This text : "', '" means in one word:"'
SLOT = "slot"
TEXT = "text"
SPECIAL = "special"


@dataclass
class Part:
    kind: str  # SLOT | TEXT | SPECIAL
    text: str
    ids: list[int]
    source: int = -1  # a SLOT's row in the vector table its batch is embedded with (demonstrations as data)


@dataclass
class Prompt:
    """A tokenized prompt: its parts, and the positions that take soft tokens (in order)."""

    parts: list[Part] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [i for p in self.parts for i in p.ids]

    @property
    def slots(self) -> list[int]:
        out, pos = [], 0
        for p in self.parts:
            if p.kind == SLOT:
                out.append(pos)
            pos += len(p.ids)
        return out

    @property
    def sources(self) -> list[int]:
        """Each slot's row in the batch's vector table, in slot order."""
        return [p.source for p in self.parts if p.kind == SLOT]

    def __len__(self) -> int:
        return sum(len(p.ids) for p in self.parts)

    def render(self) -> str:
        """The prompt's text without special tokens; slots are shown as ``[DEMO]``."""
        return "".join("[DEMO]" if p.kind == SLOT else p.text for p in self.parts if p.kind != SPECIAL)


class PromptBuilder:
    """Builds :class:`Prompt` objects for queries, documents and demonstrations."""

    def __init__(
        self,
        tokenizer,
        max_length: int = 512,
        demo_max_length: int = 256,
        demo_markers: bool = True,
        vectors_per_demo: int = 2,
        template: str = "bge",
    ) -> None:
        if vectors_per_demo not in (1, 2):
            raise ValueError(f"vectors_per_demo must be 1 or 2, got {vectors_per_demo}")
        if template not in TEMPLATES:
            raise ValueError(f"template must be one of {TEMPLATES}, got {template!r}")
        self.template = template
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.demo_max_length = demo_max_length
        self.demo_markers = demo_markers
        self.vectors_per_demo = vectors_per_demo
        eos = tokenizer.eos_token_id
        if eos is None:
            raise ValueError("the tokenizer has no EOS token, which last-token pooling needs")
        bos = tokenizer.bos_token_id
        self.head = Part(SPECIAL, "", [bos if bos is not None else eos])
        # eol pools the closing quote of its own template: no EOS after it
        self.tail = Part(SPECIAL, "", [eos] if template == "bge" else [])
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
        self._template_cache: dict[str, list[int]] = {}

    @classmethod
    def from_config(cls, tokenizer, config) -> PromptBuilder:
        """The builder an :class:`~epic.encoder.config.EpicConfig` describes (the one place that reads it)."""
        c = config
        return cls(tokenizer, c.max_length, c.demo_max_length, c.demo_markers, c.vectors_per_demo, c.template)

    # -- tokenization -------------------------------------------------------------------------
    def _template(self, text: str) -> Part:
        ids = self._template_cache.get(text)
        if ids is None:
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            self._template_cache[text] = ids
        return Part(TEXT, text, ids)

    def _user(self, text: str, limit: int) -> Part:
        ids = self.tokenizer(text, add_special_tokens=False, truncation=True, max_length=limit)["input_ids"]
        return Part(TEXT, text, ids)

    def _slot(self, source: int) -> Part:
        return Part(SLOT, "", [self.pad_id], source)

    # -- pieces -------------------------------------------------------------------------------
    def instruction(self, instruction: str) -> Part:
        """``<instruct>{instruction}\\n<query>`` (+ the eol opening): the same for every query of a task."""
        opening = EOL_OPEN if self.template == "eol" else ""
        return self._template(f"<instruct>{instruction}\n<query>{opening}")

    def query_body(self, text: str, limit: int | None = None) -> list[Part]:
        """``{text}\\n<response>``: what follows the instruction."""
        closing = EOL_CLOSE if self.template == "eol" else "\n<response>"
        return [self._user(text, limit or self.max_length), self._template(closing)]

    def instructed(self, instruction: str, text: str, limit: int | None = None) -> list[Part]:
        """``<instruct>{instruction}\\n<query>{text}\\n<response>`` as three parts."""
        return [self.instruction(instruction), *self.query_body(text, limit)]

    def text_demo(self, instruction: str, demo: Demo) -> list[Part]:
        parts = self.instructed(instruction, demo.query, self.demo_max_length)
        parts.append(self._user(demo.response, self.demo_max_length))
        parts.append(self._template("\n\n"))
        return parts

    def soft_demo(self, sources: Sequence[int]) -> list[Part]:
        """One demonstration as soft slots that take the vectors at rows ``sources`` of the table
        (its query and response vectors, or its one pair vector)."""
        if len(sources) != self.vectors_per_demo:
            raise ValueError(f"a demonstration has {self.vectors_per_demo} vector(s), got sources {list(sources)}")
        if self.vectors_per_demo == 1:
            inner = [self._slot(sources[0])]
            return [self._template("<demo>"), *inner, self._template("\n\n")] if self.demo_markers else inner
        if not self.demo_markers:
            return [self._slot(sources[0]), self._slot(sources[1])]
        return [
            self._template("<query>"),
            self._slot(sources[0]),
            self._template("<response>"),
            self._slot(sources[1]),
            self._template("\n\n"),
        ]

    def table_rows(self, demos: Sequence[int]) -> list[list[int]]:
        """Sources of demonstrations ``demos`` in a table of their vectors laid out as
        :meth:`demo_vector_prompts` produces them: demo j's vectors at rows ``j*V .. j*V+V-1``."""
        v = self.vectors_per_demo
        return [list(range(j * v, (j + 1) * v)) for j in demos]

    # -- whole prompts ------------------------------------------------------------------------
    def query(
        self,
        text: str,
        instruction: str,
        text_demos: Sequence[Demo] = (),
        n_soft_demos: int = 0,
        limit: int | None = None,
        soft_demos: Sequence[Sequence[int]] = (),
    ) -> Prompt:
        """An instructed query, preceded by text demonstrations and/or soft demonstrations.

        ``soft_demos``: per demonstration, the table rows of its vectors; ``n_soft_demos=n`` is short
        for the first n demonstrations of a table laid out by :meth:`demo_vector_prompts`.
        """
        parts = [self.head]
        for demo in text_demos:
            parts += self.text_demo(instruction, demo)
        for sources in soft_demos or self.table_rows(range(n_soft_demos)):
            parts += self.soft_demo(sources)
        parts += self.instructed(instruction, text, limit)
        parts.append(self.tail)
        return Prompt(parts)

    def prefix(self, instruction: str, text_demos: Sequence[Demo] = (), n_soft_demos: int = 0) -> Prompt:
        """What every query of a task starts with when it has these demonstrations: BOS, the
        demonstrations and the instruction (:meth:`query` = this prefix + :meth:`query_body` + tail)."""
        parts = [self.head]
        for demo in text_demos:
            parts += self.text_demo(instruction, demo)
        for sources in self.table_rows(range(n_soft_demos)):
            parts += self.soft_demo(sources)
        return Prompt([*parts, self.instruction(instruction)])

    def document(self, text: str, instruction: str | None = None, limit: int | None = None) -> Prompt:
        """A document: raw text, or instructed like a query for symmetric tasks."""
        limit = limit or self.max_length
        if instruction:
            body = self.instructed(instruction, text, limit)
        elif self.template == "eol":
            body = [self._template(EOL_OPEN), self._user(text, limit), self._template(EOL_CLOSE)]
        else:
            body = [self._user(text, limit)]
        return Prompt([self.head, *body, self.tail])

    def task_document(self, text: str, task: Task | None, limit: int | None = None) -> Prompt:
        """A document of ``task``: raw text, or instructed when the task is symmetric."""
        return self.document(text, task.instruction if task is not None and task.symmetric else None, limit)

    def demo_vector_prompts(
        self, task: Task, demos: Sequence[Demo], query_limit: int | None = None, doc_limit: int | None = None
    ) -> list[Prompt]:
        """The prompts whose pooled outputs are the demonstrations' vectors, ``vectors_per_demo`` per
        demonstration in table order: the instructed query and the response as a document, or the
        whole formatted pair. The one place, for inference and training, that says what a demo vector is."""
        if self.vectors_per_demo == 1:
            return [self.demo_pair(task.instruction, d) for d in demos]
        out = []
        for d in demos:
            out.append(self.query(d.query, task.instruction, limit=query_limit))
            out.append(self.task_document(d.response, task, doc_limit))
        return out

    def demo_pair(self, instruction: str, demo: Demo) -> Prompt:
        """The whole formatted demonstration, embedded as one vector (``vectors_per_demo=1``)."""
        parts = self.instructed(instruction, demo.query, self.demo_max_length)
        parts.append(self._user(demo.response, self.demo_max_length))
        return Prompt([self.head, *parts, self.tail])


def pad_batch(prompts: Sequence[Prompt], pad_id: int, padding_side: str = "left") -> dict[str, torch.Tensor]:
    """Pad prompts into tensors, with explicit ``position_ids`` so padding never shifts positions.

    Returns ``input_ids``, ``attention_mask``, ``position_ids`` (B, T) and ``slot_rows``,
    ``slot_cols``, ``slot_sources`` (S,): every soft-token slot's coordinates and the table row of
    the vector that fills it, in prompt order.
    """
    if padding_side not in ("left", "right"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    rows, cols, sources = [], [], []
    for r, p in enumerate(prompts):
        n = len(p)
        start = width - n if padding_side == "left" else 0
        ids[r, start : start + n] = torch.tensor(p.ids, dtype=torch.long)
        mask[r, start : start + n] = 1
        for s, source in zip(p.slots, p.sources):
            rows.append(r)
            cols.append(start + s)
            sources.append(source)
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "position_ids": position_ids,
        "slot_rows": torch.tensor(rows, dtype=torch.long),
        "slot_cols": torch.tensor(cols, dtype=torch.long),
        "slot_sources": torch.tensor(sources, dtype=torch.long),
    }
