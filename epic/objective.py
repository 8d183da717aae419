"""The training objective: one step's prompts, its loss, and the plain and GradCache backward passes.

One step, batch of B pairs from one task (see ``../shared/EPIC.md``):

1. ``E = f(base)`` over the zero-shot queries, positives and hard negatives (one forward).
2. Query i gets k_i demos j != i of its batch. EPIC: soft slots whose vectors are rows of ``E``
   (``proj(E[q_j]), proj(E[p_j])``: no extra forward for the demos); text ICL: their text, in the
   bge-en-icl format.
3. ``QI = f(query with demos)`` for the queries with k_i > 0; loss = InfoNCE(QI) (+ InfoNCE(q0) for
   EPIC's zero-shot term).

All three modes share this code, the data and the budget: only step 2 differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F

from .batches import TrainBatch
from .data import Demo
from .loss import LogitScale, batch_geometry, info_nce
from .model import EpicEncoder
from .prompt import Prompt
from .train_config import TrainConfig


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
    """Builds a step's prompts from a batch and computes the loss and its gradients."""

    def __init__(self, config: TrainConfig, model: EpicEncoder, logit_scale: LogitScale, world_size: int = 1):
        self.cfg, self.model, self.logit_scale, self.world_size = config, model, logit_scale, world_size

    def prepare(self, batch: TrainBatch) -> StepInputs:
        c, m, p = self.cfg, self.model, self.model.prompts
        task = batch.task.as_task()
        b = len(batch.queries)
        h = len(batch.negatives[0]) if batch.negatives else 0
        base = [p.query(q, task.instruction, limit=c.query_max_length) for q in batch.queries]
        base += [p.task_document(d, task, c.passage_max_length) for d in batch.positives]
        base += [p.task_document(n, task, c.passage_max_length) for negs in batch.negatives for n in negs]
        icl, rows = [], []
        sources: dict[int, list[int]] = {}  # demo j -> rows of f(base) holding its vectors
        for i, demos in enumerate(batch.demos):
            if not demos or c.mode == "contrastive":
                continue
            rows.append(i)
            if c.mode == "text-icl":
                text_demos = [Demo(batch.queries[j], batch.positives[j]) for j in demos]
                icl.append(p.query(batch.queries[i], task.instruction, text_demos=text_demos, limit=c.query_max_length))
                continue
            for j in demos:
                if j in sources:
                    continue
                if m.config.vectors_per_demo == 2:  # its query and positive rows are its demo-vector prompts
                    sources[j] = [j, b + j]
                else:
                    sources[j] = [len(base)]
                    base += p.demo_vector_prompts(task, [Demo(batch.queries[j], batch.positives[j])])
            soft = [sources[j] for j in demos]
            icl.append(p.query(batch.queries[i], task.instruction, soft_demos=soft, limit=c.query_max_length))
        return StepInputs(base, icl, rows, b, h, batch.task.in_batch_negatives)

    def _nce(self, inp: StepInputs, cross_device: bool) -> Callable[..., torch.Tensor]:
        return partial(
            info_nce, temperature=self.logit_scale(), in_batch_negatives=inp.in_batch_negatives,
            cross_device=cross_device,
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
        c = self.cfg
        nce = self._nce(inp, c.cross_device_negatives and self.world_size > 1)
        q0, pos, neg = self.split_base(E, inp)
        loss = nce(self.with_demos(q0, QI, inp), pos, neg)
        if c.mode == "epic" and c.zero_shot_loss:
            loss = loss + nce(q0, pos, neg)
        metrics = batch_geometry(q0, pos, neg)
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
        E = self.model.embed(inp.base)
        return E, self.model.embed(inp.icl, self.demo_table(E)) if inp.icl else None

    def forward_backward(self, inp: StepInputs) -> tuple[float, dict]:
        """Compute the loss and its gradients (plain, or GradCache when ``grad_cache_chunk`` is set)."""
        if self.cfg.grad_cache_chunk:
            return self._forward_backward_cached(inp, self.cfg.grad_cache_chunk)
        loss, metrics = self.loss_from(*self.forward(inp), inp)
        loss.backward()
        return loss.item(), metrics

    @staticmethod
    def _chunks(prompts: list[Prompt], size: int) -> Iterator[tuple[int, list[Prompt]]]:
        for s in range(0, len(prompts), size):
            yield s, prompts[s : s + size]

    def _forward_backward_cached(self, inp: StepInputs, chunk: int) -> tuple[float, dict]:
        """GradCache (Gao et al. 2021): embed without graphs, take the loss's gradient w.r.t. the
        embeddings, then re-run each chunk with a graph and back-propagate that gradient. Each re-run
        replays its chunk's random state, so dropout masks match and the gradients are those of the
        loss computed (equal to the plain step's when one chunk holds the batch; tested)."""
        m, states = self.model, {}

        def no_grad_pass(kind: str, prompts: list[Prompt], table: torch.Tensor | None) -> torch.Tensor:
            out = []
            for s, part in self._chunks(prompts, chunk):
                states[kind, s] = RandomState()
                out.append(m.embed(part, table))
            return torch.cat(out)

        with torch.no_grad():
            E = no_grad_pass("base", inp.base, None)
            QI = no_grad_pass("icl", inp.icl, self.demo_table(E)) if inp.icl else None
        after = RandomState()
        E_leaf = E.detach().requires_grad_()
        QI_leaf = QI.detach().requires_grad_() if QI is not None else None
        loss, metrics = self.loss_from(E_leaf, QI_leaf, inp)
        loss.backward()
        grad_E = E_leaf.grad if E_leaf.grad is not None else torch.zeros_like(E)
        if QI_leaf is not None:
            E_demo = E.detach().requires_grad_(self.cfg.mode == "epic" and not self.cfg.detach_demos)
            for s, part in self._chunks(inp.icl, chunk):
                states["icl", s].restore()
                m.embed(part, self.demo_table(E_demo)).backward(QI_leaf.grad[s : s + len(part)])
            if E_demo.grad is not None:
                grad_E = grad_E + E_demo.grad
        for s, part in self._chunks(inp.base, chunk):
            states["base", s].restore()
            m.embed(part).backward(grad_E[s : s + len(part)])
        after.restore()  # the generators continue as after the plain step's forwards
        return loss.item(), metrics

    @torch.no_grad()
    def evaluate(self, validation: dict[str, list[TrainBatch]], step: int) -> dict:
        """Validation loss per task at the current weights: zero-shot, and with fixed in-batch
        demonstrations for the modes that use them. Local to each process (no collectives)."""
        m = self.model
        m.eval()
        zero_shot: dict[str, float] = {}
        with_demos: dict[str, float] = {}
        top1: list[float] = []
        for name, batches in validation.items():
            zs, wd = [], []
            for batch in batches:
                inp = self.prepare(batch)
                E, QI = self.forward(inp)
                nce = self._nce(inp, cross_device=False)
                q0, pos, neg = self.split_base(E, inp)
                zs.append(nce(q0, pos, neg).item())
                top1.append(batch_geometry(q0, pos, neg)["top1"])
                if QI is not None:
                    wd.append(nce(self.with_demos(q0, QI, inp), pos, neg).item())
            zero_shot[name] = sum(zs) / len(zs)
            if wd:
                with_demos[name] = sum(wd) / len(wd)
        m.train()
        record = {"step": step, "eval_loss": sum(zero_shot.values()) / len(zero_shot)}
        record["eval_top1"] = sum(top1) / len(top1)  # temperature-free: comparable across recipes
        record.update({f"eval_loss/{t}": v for t, v in zero_shot.items()})
        if with_demos:
            record["eval_loss_demos"] = sum(with_demos.values()) / len(with_demos)
            record.update({f"eval_loss_demos/{t}": v for t, v in with_demos.items()})
        return record
