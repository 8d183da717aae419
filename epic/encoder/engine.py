"""The forward pass and the one batching engine every encode path runs through.

:func:`embed` is the differentiable forward of a batch of prompts: token embeddings, each soft slot
filled with its vector (``table[slot_sources]``, projected, see :mod:`epic.encoder.inject`), the backbone,
pooling. :func:`pooled` runs many prompts through it without gradients, longest first (little
padding), and, given a ``prefix`` that every prompt shares (BOS, fixed demonstrations, the
instruction), computes that prefix's key/value cache once so each prompt costs only its own tokens.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .inject import DemoProjector, inject
from .pooling import PooledStats
from .prompt import Prompt, PromptBuilder, pad_batch

MIXED_PRECISION = ("none", "bf16", "auto")
GROUP_OVERHEAD = 256  # a forward's fixed cost in padded tokens: a split must save more than this


def bf16_is_native(device: torch.device) -> bool:
    """Whether this device computes in bf16 natively (a CUDA GPU that supports it, or a CPU with
    AVX512-BF16 or AMX): there bf16 autocast runs ~1.8x faster than fp32; elsewhere it is emulated, slower."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # private: absent in some torch builds
    return device.type == "cpu" and any(getattr(torch.cpu, name, lambda: False)() for name in probes)


def compute_dtype(mixed_precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for a ``mixed_precision`` setting (none | bf16 | auto: bf16 where native)."""
    if mixed_precision not in MIXED_PRECISION:
        raise ValueError(f"mixed_precision must be one of {MIXED_PRECISION}, got {mixed_precision!r}")
    if mixed_precision == "bf16" or (mixed_precision == "auto" and bf16_is_native(device)):
        return torch.bfloat16
    return None


def autocast(model: Encoder) -> contextlib.AbstractContextManager:
    """The model's compute precision around a backbone call: matmuls in ``model.compute_dtype``
    (bf16) over fp32 weights; the residual stream, norms and so the pooled states stay fp32."""
    if model.compute_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(model.device.type, dtype=model.compute_dtype)


class Encoder(Protocol):
    """What the engine needs of a model (an :class:`~epic.encoder.model.Encoder`)."""

    backbone: nn.Module
    tokenizer: Any
    projector: DemoProjector
    pooled_stats: PooledStats
    prompts: PromptBuilder
    config: Any  # EpicConfig
    compute_dtype: torch.dtype | None  # autocast dtype of the backbone's matmuls (None: the weights' dtype)
    training: bool
    training_record: dict | None

    @property
    def device(self) -> torch.device: ...

    @property
    def hidden_size(self) -> int: ...

    def pool(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor: ...


def input_embeddings(model: Encoder, batch: dict[str, torch.Tensor], table: torch.Tensor | None) -> torch.Tensor:
    """Token embeddings of ``batch`` with every soft slot holding its projected vector from ``table``."""
    embeds = model.backbone.get_input_embeddings()(batch["input_ids"])
    if not batch["slot_rows"].numel():
        return embeds
    if table is None:
        raise ValueError("prompts have demonstration slots but no vectors were given")
    vectors = model.projector(table[batch["slot_sources"].to(table.device)])
    return inject(embeds, batch["slot_rows"], batch["slot_cols"], vectors)


def length_groups(lengths: Sequence[int], max_groups: int, overhead: int | None = None) -> list[list[int]]:
    """The indices of ``lengths`` in at most ``max_groups`` groups of neighbouring lengths, each to be padded
    to its longest, that cost the fewest tokens (padded tokens + ``overhead`` a group, default
    ``GROUP_OVERHEAD``): the exact partition of the sorted lengths, by dynamic programming over the
    distinct lengths."""
    overhead = GROUP_OVERHEAD if overhead is None else overhead
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    if max_groups <= 1:
        return [order]
    distinct, counts = np.unique(np.asarray([lengths[i] for i in order], dtype=np.int64), return_counts=True)
    if len(distinct) <= 1:
        return [order]
    n, ends = len(distinct), np.concatenate([[0], np.cumsum(counts)])  # ends[i]: prompts up to distinct i
    cost = np.full(n + 1, np.inf)  # cost[i]: the best cost of the first i distinct lengths
    cost[0], choice = 0.0, []
    for _ in range(min(max_groups, n)):
        new, back = np.full(n + 1, np.inf), np.zeros(n + 1, dtype=np.int64)
        for i in range(1, n + 1):  # the last group holds distinct lengths j..i-1, padded to distinct[i-1]
            total = cost[:i] + (ends[i] - ends[:i]) * distinct[i - 1] + overhead
            j = int(np.argmin(total))
            new[i], back[i] = (total[j], j) if total[j] < cost[i] else (cost[i], -1)  # -1: fewer groups
        choice.append(back)
        cost = new
    cuts, i = [], n
    for back in reversed(choice):
        if back[i] >= 0:
            cuts.append(int(ends[i]))
            i = int(back[i])
    bounds = [0, *reversed(cuts)]
    return [order[a:b] for a, b in zip(bounds, bounds[1:])]


def embed(model: Encoder, prompts: Sequence[Prompt], table: torch.Tensor | None = None,
          max_groups: int = 1) -> torch.Tensor:  # fmt: skip
    """Pooled last hidden states (B, d), not normalised, with gradients (to the table's vectors too).

    Prompts of very different lengths run as up to ``max_groups`` forwards of similar lengths (the
    fewest padded tokens): the same vectors and gradients as one padded batch, up to float rounding,
    for less time and activation memory (training's ``length_groups``). 1: one forward."""
    groups = length_groups([len(p) for p in prompts], max_groups) if max_groups > 1 else []
    if len(groups) <= 1:  # no split: the prompts' own order
        return _embed_padded(model, prompts, table)
    parts = torch.cat([_embed_padded(model, [prompts[i] for i in g], table) for g in groups])
    order = torch.tensor([i for g in groups for i in g])
    return parts[torch.argsort(order).to(parts.device)]  # back to input order


def _embed_padded(model: Encoder, prompts: Sequence[Prompt], table: torch.Tensor | None) -> torch.Tensor:
    """One forward of ``prompts`` padded to the longest."""
    batch = pad_batch(prompts, model.prompts.pad_id, model.config.padding_side)
    batch = {k: v.to(model.device) for k, v in batch.items()}
    with autocast(model):
        hidden = model.backbone(
            inputs_embeds=input_embeddings(model, batch, table),
            attention_mask=batch["attention_mask"],
            position_ids=batch["position_ids"],
        ).last_hidden_state
    return model.pool(hidden, batch["attention_mask"])


@contextlib.contextmanager
def evaluating(model: Encoder) -> Iterator[None]:
    """Eval mode (no dropout) for the duration, then back to the mode the model was in."""
    was_training = model.training
    nn.Module.train(model, False)
    try:
        yield
    finally:
        nn.Module.train(model, was_training)


def cache_argument(backbone: nn.Module) -> str:
    """The name the backbone's forward takes a key/value cache under: ``cache`` since transformers 5.2x,
    ``past_key_values`` before. Passed under the wrong name it would vanish into ``**kwargs`` and every
    suffix would be encoded without its prefix."""
    base = backbone.get_base_model() if hasattr(backbone, "get_base_model") else backbone
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


class PrefixCache:
    """The key/value cache of a prompt prefix, computed once and repeated for each batch after it."""

    def __init__(self, model: Encoder, prefix: Prompt, table: torch.Tensor | None):
        head = {k: v.to(model.device) for k, v in pad_batch([prefix], model.prompts.pad_id).items()}
        with autocast(model):
            out = model.backbone(inputs_embeds=input_embeddings(model, head, table), use_cache=True)
        self.model, self.length = model, len(prefix)
        self.cache = out["cache"] if "cache" in out else out["past_key_values"]

    def pooled(self, suffixes: Sequence[Prompt]) -> torch.Tensor:
        """Last-token pooled outputs of ``prefix + suffix`` for each suffix (no soft slots in suffixes)."""
        m = self.model
        batch = {k: v.to(m.device) for k, v in pad_batch(suffixes, m.prompts.pad_id, m.config.padding_side).items()}
        mask = batch["attention_mask"]
        full_mask = torch.cat([torch.ones_like(mask[:, :1]).expand(-1, self.length), mask], 1)
        cache = copy.deepcopy(self.cache)
        cache.batch_repeat_interleave(len(suffixes))
        with autocast(m):
            hidden = m.backbone(
                input_ids=batch["input_ids"],
                attention_mask=full_mask,
                position_ids=batch["position_ids"] + self.length,
                use_cache=True,
                **{cache_argument(m.backbone): cache},
            ).last_hidden_state
        return m.pool(hidden, mask)


@torch.no_grad()
def pooled(
    model: Encoder,
    prompts: Sequence[Prompt],
    table: torch.Tensor | None = None,
    *,
    prefix: Prompt | None = None,
    batch_size: int = 32,
    show_progress: bool = False,
) -> torch.Tensor:
    """Pooled outputs (N, d) float32 of many prompts, in input order, in eval mode.

    With ``prefix``, each output is that of ``prefix + prompt``, the prefix's cache computed once
    (as GritLM does); ``table`` then fills the prefix's soft slots.
    """
    with evaluating(model):
        cached = PrefixCache(model, prefix, table) if prefix is not None else None
        order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
        out = torch.empty((len(prompts), model.hidden_size), dtype=torch.float32, device=model.device)
        bar = tqdm(total=len(prompts), disable=not show_progress, desc="encode", unit="text")
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            chunk = [prompts[i] for i in idx]
            out[idx] = cached.pooled(chunk) if cached is not None else embed(model, chunk, table)
            bar.update(len(idx))
        bar.close()
    return out
