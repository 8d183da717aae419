"""The training objective: one step's prompts, its loss, and the plain and GradCache backward passes.

One step, batch of B pairs from one task (see ``../shared/EPIC.md``):

1. ``E = f(base)`` over the zero-shot queries, positives and hard negatives (one forward).
2. Query i gets k_i demos j != i of its batch. EPIC: soft slots whose vectors are rows of ``E``
   (``proj(E[q_j]), proj(E[p_j])``: no extra forward for the demos); text ICL: their text, in the
   bge-en-icl format. With ``demo_source`` outside or shared the demos are pairs of the task from
   outside the batch, whose prompts join ``base`` (their rows of ``E`` are never scored).
3. ``QI = f(query with demos)`` for the queries with k_i > 0; loss = InfoNCE(QI) (+ InfoNCE(q0) for
   EPIC's zero-shot term).

All three modes share this code, the data and the budget: only step 2 differs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from ..data.tasks import Demo
from ..encoder.config import DEFAULT_INSTRUCTION
from ..encoder.model import EpicEncoder
from ..encoder.prompt import Prompt
from .batches import TrainBatch
from .config import TrainConfig
from .loss import LogitScale, batch_geometry, info_nce

WHOLE_BATCH = 1 << 30  # a GradCache chunk larger than any batch


@dataclass
class StepInputs:
    """The prompts of one step: ``base`` = queries (B) + positives (B) + negatives (B*H) [+ demo pairs];
    ``icl`` = the queries that have demonstrations (rows ``icl_rows``), whose soft slots name rows of
    ``f(base)``."""

    base: list[Prompt]
    icl: list[Prompt]
    icl_rows: list[int]
    b: int
    h: int
    in_batch_negatives: bool


class RandomState:
    """The CPU and CUDA generators' state, to replay a forward's dropout exactly (GradCache)."""

    def __init__(self) -> None:
        self.cpu = torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None

    def restore(self) -> None:
        torch.set_rng_state(self.cpu)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)


class Objective:
    """Builds a step's prompts from a batch and computes the loss and its gradients.

    On several processes every rank runs the same number of forward and backward calls whatever its
    demonstration draw (a rank without demonstrations runs a one-token placeholder that adds zero to
    the loss): sharded weights are gathered per call, so unequal counts would hang the job.
    """

    def __init__(
        self, config: TrainConfig, model: EpicEncoder, logit_scale: LogitScale, world_size: int = 1,
        fsdp: nn.Module | None = None,
    ) -> None:  # fmt: skip
        self.cfg, self.model, self.logit_scale, self.world_size = config, model, logit_scale, world_size
        self.fsdp = fsdp  # GradCache reduce-scatters once per step, at the last backward
        self.placeholder = Prompt([model.prompts.head])  # one token: the forward of a rank with nothing to run
        # sharded weights are gathered per forward: every rank must run as many, so one per chunk there
        self.groups = 1 if fsdp is not None else config.length_groups

    def embed(self, prompts: list[Prompt], table: torch.Tensor | None = None) -> torch.Tensor:
        """Pooled states with gradients, in up to ``length_groups`` forwards of similar lengths."""
        return self.model.embed(prompts, table, self.groups)

    def prepare(self, batch: TrainBatch) -> StepInputs:
        c, m, p = self.cfg, self.model, self.model.prompts
        task = batch.task.as_task()
        b = len(batch.queries)
        h = len(batch.negatives[0]) if batch.negatives else 0
        base = [p.query(q, task.instruction, limit=c.query_max_length) for q in batch.queries]
        base += [p.task_document(d, task, c.passage_max_length) for d in batch.positives]
        base += [p.task_document(n, task, c.passage_max_length) for negs in batch.negatives for n in negs]
        icl, rows = [], []
        # the pairs the demos name: the batch's own, or pairs from outside it (their prompts join f(base))
        pairs = batch.demo_pairs or [Demo(q, d) for q, d in zip(batch.queries, batch.positives, strict=True)]
        sources: dict[int, list[int]] = {}  # demo j -> rows of f(base) holding its vectors
        for i, demos in enumerate(batch.demos):
            if not demos or c.mode == "contrastive":
                continue
            rows.append(i)
            instruction = DEFAULT_INSTRUCTION if batch.generic and batch.generic[i] else task.instruction
            if c.mode == "text-icl":
                icl.append(p.query(batch.queries[i], instruction, text_demos=[pairs[j] for j in demos],
                                   limit=c.query_max_length))  # fmt: skip
                continue
            for j in demos:
                if j in sources:
                    continue
                if m.config.vectors_per_demo == 2 and not batch.demo_pairs:  # its query and positive rows
                    sources[j] = [j, b + j]
                else:
                    sources[j] = list(range(len(base), len(base) + m.config.vectors_per_demo))
                    base += p.demo_vector_prompts(task, [pairs[j]], c.query_max_length, c.passage_max_length)
            soft = [sources[j] for j in demos]
            icl.append(p.query(batch.queries[i], instruction, soft_demos=soft, limit=c.query_max_length))
        return StepInputs(base, icl, rows, b, h, batch.task.in_batch_negatives)

    def _nce(
        self, inp: StepInputs, cross_device: bool, stats: dict | None = None, mask_false_negatives: bool = True
    ) -> Callable[..., torch.Tensor]:
        margin = self.cfg.false_negative_margin if mask_false_negatives else None
        return partial(
            info_nce, temperature=self.logit_scale(), in_batch_negatives=inp.in_batch_negatives,
            cross_device=cross_device, false_negative_margin=margin, stats=stats,
        )  # fmt: skip

    @staticmethod
    def split_base(E: torch.Tensor, inp: StepInputs) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Zero-shot queries (B, d), positives (B, d) and hard negatives (B, H, d) or None, from f(base)."""
        b, h = inp.b, inp.h
        return E[:b], E[b : 2 * b], E[2 * b : 2 * b + b * h].reshape(b, h, -1) if h else None

    @staticmethod
    def with_demos(q0: torch.Tensor, QI: torch.Tensor | None, inp: StepInputs) -> torch.Tensor:
        """The queries as encoded with their demonstrations (zero-shot where a query drew none)."""
        if QI is None:
            return q0
        return q0.index_put((torch.tensor(inp.icl_rows, device=q0.device),), QI)

    def loss_from(self, E: torch.Tensor, QI: torch.Tensor | None, inp: StepInputs) -> tuple[torch.Tensor, dict]:
        """The loss from the pooled embeddings of ``base`` (E) and of the ``icl`` queries (QI).

        InfoNCE of the queries with their demonstrations (+ of the zero-shot queries for EPIC's
        zero-shot term). The formula is the same whatever the demo draw, so every process issues the
        same collectives even when none of its queries drew a demonstration.
        """
        c, masked = self.cfg, {}
        nce = self._nce(inp, c.cross_device_negatives and self.world_size > 1)
        q0, pos, neg = self.split_base(E, inp)
        loss = nce(self.with_demos(q0, QI, inp), pos, neg, stats=masked)
        if c.mode == "epic":
            loss = c.demo_loss_weight * loss + (nce(q0, pos, neg) if c.zero_shot_loss else 0.0)
        metrics = {**batch_geometry(q0, pos, neg), **masked}
        if QI is not None:
            rows = torch.tensor(inp.icl_rows, device=E.device)
            metrics["demo_cos"] = F.cosine_similarity(QI.detach(), q0[rows].detach(), dim=-1).mean().item()
        return loss, metrics

    def demo_table(self, E: torch.Tensor) -> torch.Tensor | None:
        """The vectors the ``icl`` prompts' soft slots take their rows from (EPIC: f(base))."""
        if self.cfg.mode != "epic":
            return None
        return E.detach() if self.cfg.detach_demos else E

    def forward(self, inp: StepInputs) -> tuple[torch.Tensor, torch.Tensor | None]:
        """E = f(base) and QI = f(icl) in one batch each."""
        E, QI, _ = self._forward(inp)
        return E, QI

    def _forward(self, inp: StepInputs) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """(E, QI, placeholder): where this rank has no ICL queries but others may, a one-token
        placeholder runs in the ICL forward's place (same collectives, in the same order)."""
        E = self.embed(inp.base)
        if inp.icl:
            return E, self.embed(inp.icl, self.demo_table(E)), None
        if self.world_size > 1 and self.cfg.mode != "contrastive":
            return E, None, self.embed([self.placeholder])
        return E, None, None

    def forward_backward(self, inp: StepInputs) -> tuple[float, dict]:
        """Compute the loss and its gradients (plain, or GradCache when ``grad_cache_chunk`` is set).

        Sharded (FSDP), the step always runs GradCache's way (one chunk = the whole batch unless
        ``grad_cache_chunk`` says less): each backward then covers one forward's graph, so every rank
        gathers the same layers in the same order; one graph spanning two forwards does not guarantee it.
        """
        if self.cfg.grad_cache_chunk or self.fsdp is not None:
            return self._forward_backward_cached(inp, self.cfg.grad_cache_chunk or WHOLE_BATCH)
        E, QI, placeholder = self._forward(inp)
        loss, metrics = self.loss_from(E, QI, inp)
        if placeholder is not None:  # its backward too: zero gradient, same collectives
            loss = loss + 0.0 * placeholder.sum()
        loss.backward()
        return loss.item(), metrics

    def _chunks(self, prompts: list[Prompt], size: int, count: int) -> Iterator[tuple[int, list[Prompt]]]:
        """``count`` chunks of ``size``: the prompts', then placeholders (empty slice) up to the count."""
        for c in range(count):
            s = c * size
            yield s, prompts[s : s + size] if s < len(prompts) else []

    def _chunk_counts(self, inp: StepInputs, size: int) -> tuple[int, int]:
        """How many base and ICL chunks every rank runs: the most any rank needs."""
        counts = [math.ceil(len(inp.base) / size), math.ceil(len(inp.icl) / size)]
        if self.world_size == 1:
            return counts[0], counts[1]
        t = torch.tensor(counts, device=self.model.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return int(t[0]), int(t[1])

    def _forward_backward_cached(self, inp: StepInputs, chunk: int) -> tuple[float, dict]:
        """GradCache (Gao et al. 2021): embed without graphs, take the loss's gradient w.r.t. the
        embeddings, then re-run each chunk with a graph and back-propagate that gradient. Each re-run
        replays its chunk's random state, so dropout masks match and the gradients are those of the
        loss computed (equal to the plain step's when one chunk holds the batch; tested)."""
        states: dict[tuple[str, int], RandomState] = {}
        n_base, n_icl = self._chunk_counts(inp, chunk)

        def no_grad_pass(kind: str, prompts: list[Prompt], count: int, table: torch.Tensor | None):
            out = []
            for s, part in self._chunks(prompts, chunk, count):
                states[kind, s] = RandomState()
                pooled = self.embed(part or [self.placeholder], table)
                out.append(pooled if part else pooled[:0])
            return torch.cat(out) if out else None

        with torch.no_grad():
            E = no_grad_pass("base", inp.base, n_base, None)
            QI = no_grad_pass("icl", inp.icl, n_icl, self.demo_table(E))
            QI = QI if inp.icl else None
        after = RandomState()
        E_leaf = E.detach().requires_grad_()
        QI_leaf = QI.detach().requires_grad_() if QI is not None else None
        loss, metrics = self.loss_from(E_leaf, QI_leaf, inp)
        loss.backward()
        grad_E = E_leaf.grad if E_leaf.grad is not None else torch.zeros_like(E)
        backwards = iter(range(n_base + n_icl, 0, -1))  # calls left: the last one reduce-scatters (FSDP)
        E_demo = E.detach().requires_grad_(self.cfg.mode == "epic" and not self.cfg.detach_demos)
        for s, part in self._chunks(inp.icl, chunk, n_icl):
            states["icl", s].restore()
            self._backward_chunk(part, self.demo_table(E_demo), QI_leaf.grad[s : s + len(part)] if part else None,
                                 next(backwards) == 1)  # fmt: skip
        if E_demo.grad is not None:
            grad_E = grad_E + E_demo.grad
        for s, part in self._chunks(inp.base, chunk, n_base):
            states["base", s].restore()
            self._backward_chunk(part, None, grad_E[s : s + len(part)] if part else None, next(backwards) == 1)
        after.restore()  # the generators continue as after the plain step's forwards
        return loss.item(), metrics

    def _backward_chunk(self, part: list[Prompt], table: torch.Tensor | None, grad: torch.Tensor | None, last: bool):
        """Re-run one chunk with a graph and back-propagate its embeddings' gradient (a placeholder
        chunk back-propagates zeros, so every rank runs as many backwards)."""
        if self.fsdp is not None:
            self.fsdp.set_requires_gradient_sync(last)
        out = self.embed(part or [self.placeholder], table if part else None)
        out.backward(grad if part else torch.zeros_like(out))
