"""EpicEncoder: a decoder-only LLM as a text encoder, with demonstrations as soft tokens.

A facade over small parts, each owning one thing: the backbone (:mod:`epic.encoder.backbone`), prompts as
token spans (:mod:`epic.encoder.prompt`), the demo projector (:mod:`epic.encoder.inject`), pooling and its fitted
statistics (:mod:`epic.encoder.pooling`), the forward and the one batching engine (:mod:`epic.encoder.engine`),
demonstration selection and vector memory (:mod:`epic.encoder.demos`), and the saved folder
(:mod:`epic.encoder.model_io`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.tasks import Task, check_texts
from ..utils import config_io as cfg
from . import demos, engine, model_io
from .backbone import DEFAULT_BACKBONE, load_backbone, resolve_backbone
from .card import describe
from .config import CALIBRATION_TEXTS, CONFIG_FILE, DEMO_MODES, DEMO_SELECTIONS, EpicConfig
from .inject import DemoProjector
from .pooling import PooledStats, pool
from .prompt import Prompt, PromptBuilder

__all__ = ["EpicConfig", "EpicEncoder", "DEMO_MODES", "DEMO_SELECTIONS"]


class EpicEncoder(nn.Module):
    """A decoder LLM text encoder with EPIC demonstrations.

    >>> model = EpicEncoder.from_pretrained()                    # the embedded default backbone
    >>> Q = model.encode_queries(["..."], task=task, n_demos=3)  # (N, d) float32, L2-normalised
    >>> D = model.encode_documents(["..."])
    """

    chunk_texts = 8192  # texts tokenized and held at once by encode_queries / encode_documents

    def __init__(self, backbone: nn.Module, tokenizer, config: EpicConfig, projector: DemoProjector | None = None):
        super().__init__()
        self.backbone, self.tokenizer, self.config = backbone, tokenizer, config
        if projector is None:
            # through the embedding module, not its weight: some (Gemma) scale embeddings on the way out
            emb = backbone.get_input_embeddings()
            with torch.no_grad():
                ids = torch.arange(min(emb.weight.shape[0], 8192), device=emb.weight.device)
                token_norm = emb(ids).float().norm(dim=-1).mean().item()
            projector = DemoProjector(self.hidden_size, config.projection, config.center, token_norm)
        self.projector = projector
        self.pooled_stats = PooledStats(self.hidden_size, config.pooled_stats)
        self.prompts = PromptBuilder.from_config(tokenizer, config)
        self.demo_memory = demos.DemoMemory()
        self.compute_dtype: torch.dtype | None = None  # bf16 autocast (from_pretrained's mixed_precision)
        self.training_record: dict | None = None  # set by the trainer; saved as training.json, shown in the card

    @property
    def hidden_size(self) -> int:
        return self.backbone.get_input_embeddings().weight.shape[1]

    @property
    def device(self) -> torch.device:
        return self.backbone.get_input_embeddings().weight.device

    # -- loading and saving (the folder's format: epic.encoder.model_io) --------------------------------
    @classmethod
    def from_pretrained(
        cls, path: str | Path | None = None, *, device: str | torch.device | None = None,
        dtype: torch.dtype | None = None, mixed_precision: str = "none", **overrides,
    ) -> EpicEncoder:  # fmt: skip
        """Load a saved epic model, any local HF decoder folder, or (no path) the embedded default.

        ``overrides`` set :class:`EpicConfig` fields for a fresh backbone (e.g. ``projection="mlp"``);
        for a saved epic model only inference fields (``n_demos``, ``demo_mode``, …) may change.
        ``mixed_precision`` (none | bf16 | auto: where native): bf16 matmuls over the loaded weights.
        """
        device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        dtype = dtype or (torch.bfloat16 if device.type == "cuda" else torch.float32)
        compute = engine.compute_dtype(mixed_precision, device)
        root = Path(path) if path is not None and str(path) != DEFAULT_BACKBONE else None  # "default": embedded
        if root is not None and (root / CONFIG_FILE).is_file():
            config = model_io.read_config(root, overrides)
            model = cls(*model_io.load_parts(root, config, dtype, device), config)
            model_io.load_state(model, root)
        else:
            if root is not None and not root.is_dir():
                raise FileNotFoundError(f"{root}: no such model folder")
            config = cfg.from_dict(
                EpicConfig, {"backbone": str(root.resolve()) if root else DEFAULT_BACKBONE, **overrides}
            )
            config.fingerprint = f"{config.backbone}:{json.dumps(dataclasses.asdict(config), sort_keys=True)}"
            backbone = load_backbone(resolve_backbone(config.backbone), config.num_layers, dtype, device=device)
            model = cls(*backbone, config)
            if config.center:  # in the weights' precision, whatever the compute: the centre is the model's
                model.calibrate()
        model.compute_dtype = compute
        return model.to(device).eval()

    def save_pretrained(self, path: str | Path, merge_lora: bool = False, backbone_state: dict | None = None) -> None:
        """Save config, weights (or LoRA adapter), projector, tokenizer, card; atomically. ``backbone_state``:
        the full weights when the backbone holds only this process's shards (sharded training)."""
        self.config.fingerprint = model_io.save_model(self, path, merge_lora, backbone_state).fingerprint
        self.demo_memory.invalidate()

    def describe(self) -> dict:
        """What this model is (base, weights, pooling, dimensions, EPIC settings, fingerprint)."""
        return describe(self.config, self.hidden_size, hasattr(self.backbone, "peft_config"), len(self.demo_memory))

    def train(self, mode: bool = True) -> EpicEncoder:
        if mode:  # weights may change: cached demonstration vectors become stale
            self.demo_memory.invalidate()
        return super().train(mode)

    # -- the forward ---------------------------------------------------------------------------
    def embed(self, prompts: Sequence[Prompt], table: torch.Tensor | None = None, max_groups: int = 1) -> torch.Tensor:
        """Pooled states (B, d) with gradients; each soft slot takes its row of ``table`` (pooled vectors);
        in up to ``max_groups`` forwards of similar lengths (:func:`epic.encoder.engine.embed`)."""
        return engine.embed(self, prompts, table, max_groups)

    def pool(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The configured pooling (:mod:`epic.encoder.pooling`), then the fitted pooled statistics if any."""
        return self.pooled_stats(pool(hidden, mask, self.config.pooling))

    @torch.no_grad()
    def calibrate(self, texts: Sequence[str] = CALIBRATION_TEXTS) -> None:
        """Set the projector's centre from the mean embedding of generic texts (``center=True``)."""
        self.projector.calibrate(engine.pooled(self, [self.prompts.document(t) for t in texts], batch_size=16))

    @torch.no_grad()
    def fit_pooled_stats(self, prompts: Sequence[Prompt]) -> None:
        """Fit the pooled statistics (``pooled_stats`` = center | standardize) on prompts of training text."""
        kind, self.pooled_stats.kind = self.pooled_stats.kind, "none"  # the raw pooled vectors
        try:
            self.pooled_stats.fit(engine.pooled(self, prompts))
        finally:
            self.pooled_stats.kind = kind
        self.demo_memory.invalidate()  # cached demonstration vectors were pooled before

    # -- demonstrations (epic.encoder.demos) -------------------------------------------------------------
    def document_prompt(self, text: str, task: Task | None, limit: int | None = None) -> Prompt:
        """Raw text, or instructed when ``task`` is symmetric."""
        return self.prompts.task_document(text, task, limit)

    def demo_vectors(self, task: Task) -> torch.Tensor:
        """Pooled vectors of all of ``task``'s demonstrations, (n_demos, vectors_per_demo, d); cached."""
        compute = lambda: engine.pooled(self, self.prompts.demo_vector_prompts(task, task.demos))  # noqa: E731
        return self.demo_memory.get(self.config.fingerprint, task, self.config.vectors_per_demo, compute)

    def save_demo_cache(self, path: str | Path) -> None:
        """Write the cached demonstration vectors as safetensors, tagged with the model's fingerprint."""
        self.demo_memory.save(path, self.config.fingerprint)

    def load_demo_cache(self, path: str | Path) -> int:
        """Load vectors saved by :meth:`save_demo_cache` for this exact model; returns how many tasks."""
        return self.demo_memory.load(path, self.config.fingerprint, self.device)

    def select_demos(self, task: Task, texts: Sequence[str], n: int, selection: str, seed: int = 0) -> list[list[int]]:
        """Indices into ``task.demos`` for each text: the first n, the n nearest, or n at random."""

        def nearest() -> tuple[torch.Tensor, torch.Tensor]:
            queries = [self.prompts.query(t, task.instruction) for t in texts]
            return engine.pooled(self, queries), self.demo_vectors(task)[:, 0]

        return demos.select(len(texts), n, selection, len(task.demos), seed, nearest)

    def shared_prefix(self, task: Task, n_demos: int, demo_mode: str) -> tuple[Prompt, torch.Tensor | None]:
        """What every query of ``task`` starts with when its first ``n_demos`` demonstrations are used:
        BOS, the demonstrations (text, or soft slots) and the instruction; and the slots' vector table."""
        text = demo_mode == "text"
        prefix = self.prompts.prefix(task.instruction, task.demos[:n_demos] if text else (), 0 if text else n_demos)
        return prefix, self.demo_vectors(task).flatten(0, 1) if n_demos and not text else None

    # -- encoding --------------------------------------------------------------------------------
    def encode_queries(
        self, texts: Sequence[str], task: Task | None = None, *, instruction: str | None = None,
        n_demos: int | None = None, demo_mode: str | None = None, demo_selection: str | None = None,
        batch_size: int = 32, show_progress: bool | None = None, seed: int = 0, prefix_cache: bool | None = None,
    ) -> np.ndarray:  # fmt: skip
        """Embed queries: instructed, with ``n_demos`` of the task's demonstrations.

        ``demo_mode``: ``"embedding"`` (EPIC soft tokens), ``"text"`` (bge-en-icl text prefix) or
        ``"none"``. ``demo_selection``: ``"fixed"`` (the task's first n), ``"nearest"`` (the n most
        similar to each query) or ``"random"`` (a control). ``prefix_cache`` (fixed or no demos, last-token
        pooling; on by default there): compute the key/value cache of the prefix every query shares (BOS,
        demonstrations, instruction) once.
        Returns (N, d) float32, L2-normalised.
        """
        request = demos.resolve_request(self.config, task, instruction, n_demos, demo_mode, demo_selection)
        show = len(texts) > 1000 if show_progress is None else show_progress
        kw = dict(batch_size=batch_size, show_progress=show)
        return self._encode(check_texts(texts), lambda part: self._queries(part, request, seed, prefix_cache, kw))

    def _queries(
        self, texts: list[str], r: demos.DemoRequest, seed: int, prefix_cache: bool | None, kw
    ) -> torch.Tensor:
        task, p = r.task, self.prompts
        if r.shared and self.config.pooling == "last" and prefix_cache is not False:
            prefix, table = self.shared_prefix(task, r.n_demos, r.mode)
            suffixes = [Prompt([*p.query_body(t), p.tail]) for t in texts]
            return engine.pooled(self, suffixes, table, prefix=prefix, **kw)
        chosen = self.select_demos(task, texts, r.n_demos, r.selection, seed) if r.n_demos else [[]] * len(texts)
        if r.mode == "text":
            text_demos = [[task.demos[j] for j in c] for c in chosen]
            prompts = [p.query(t, task.instruction, text_demos=d) for t, d in zip(texts, text_demos)]
            return engine.pooled(self, prompts, **kw)
        prompts = [p.query(t, task.instruction, soft_demos=p.table_rows(c)) for t, c in zip(texts, chosen)]
        return engine.pooled(self, prompts, self.demo_vectors(task).flatten(0, 1) if r.n_demos else None, **kw)

    def encode_documents(
        self, texts: Sequence[str], task: Task | None = None, *, batch_size: int = 32,
        show_progress: bool | None = None,
    ) -> np.ndarray:  # fmt: skip
        """Embed documents: raw text (retrieval), or instructed when ``task`` is symmetric. No demos."""
        show = len(texts) > 1000 if show_progress is None else show_progress
        encode = lambda part: engine.pooled(  # noqa: E731
            self, [self.document_prompt(t, task) for t in part], batch_size=batch_size, show_progress=show
        )
        return self._encode(check_texts(texts), encode)

    def _encode(self, texts: list[str], encode: Callable[[list[str]], torch.Tensor]) -> np.ndarray:
        """Chunk by chunk (bounded memory: prompts and outputs of one chunk at a time), normalised."""
        if not texts:
            return np.zeros((0, self.hidden_size), dtype=np.float32)
        parts = []
        for i in range(0, len(texts), self.chunk_texts):
            pooled = encode(texts[i : i + self.chunk_texts])
            parts.append((F.normalize(pooled, dim=-1) if self.config.normalize else pooled).cpu().numpy())
        return np.concatenate(parts).astype(np.float32)
