"""EpicEncoder: a decoder-only LLM as a text encoder, with demonstrations as soft tokens.

Read top to bottom: configuration, construction and loading, the differentiable forward
(:meth:`EpicEncoder.embed`), demonstration vectors and their cache, and the encoding API.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn
from tqdm.auto import tqdm

from . import config as cfg
from .backbone import DEFAULT_BACKBONE, load_backbone, quiet_peft, resolve_backbone
from .card import TRAINING_FILE, write_card
from .data import Demo, Task, check_texts
from .inject import DemoProjector, inject
from .io import atomic_dir, replace_dir
from .pooling import POOLED_STATS, PooledStats, pool
from .prompt import TEMPLATES, Prompt, PromptBuilder, pad_batch
from .st_files import write_st_files

DEMO_MODES = ("embedding", "text", "none")
DEMO_SELECTIONS = ("fixed", "nearest", "random")
CONFIG_FILE = "epic_config.json"
POOLED_STATS_FILE = "pooled_stats.safetensors"

# Generic sentences whose mean embedding direction is the centre for ``center=True``.
CALIBRATION_TEXTS = [
    "The weather today is sunny with a light breeze.",
    "How do I reset my password?",
    "The committee approved the new budget on Tuesday.",
    "A cat is sleeping on the windowsill.",
    "Photosynthesis converts light energy into chemical energy.",
    "What is the capital of Australia?",
    "The film was long, but the ending made it worth it.",
    "Stocks fell sharply after the announcement.",
    "Add two cups of flour and stir gently.",
    "The team won the championship in overtime.",
    "an instrument used for measuring temperature",
    "She walked to the station in the rain.",
    "Python is a popular programming language.",
    "The museum opens at nine in the morning.",
    "a large body of salt water",
    "Why is the sky blue?",
]


@dataclass
class EpicConfig:
    """Everything that defines how a model turns text into an embedding (saved with the model)."""

    backbone: str = DEFAULT_BACKBONE  # "default", a local HF folder, or "backbone" (inside the saved model)
    num_layers: int | None = None  # keep only the first L decoder layers (CPU-efficient option)
    pooling: str = "last"  # last | mean | wmean (position-weighted mean, SGPT)
    pooled_stats: str = "none"  # none | center | standardize, with statistics fitted on training text
    normalize: bool = True
    max_length: int = 512  # tokens of the user's text
    demo_max_length: int = 256  # tokens of each demonstration query / response in text mode
    vectors_per_demo: int = 2  # 2: query and response vectors; 1: the whole formatted pair
    projection: str = "rescale"  # rescale | linear | mlp
    center: bool = False
    demo_markers: bool = True
    template: str = "bge"  # bge (bge-en-icl text format, pooled at EOS) | eol (PromptEOL, see prompt.py)
    padding_side: str = "left"
    n_demos: int = 3  # default demonstrations per query when a task has them
    demo_mode: str = "embedding"  # embedding | text | none
    demo_selection: str = "fixed"  # fixed | nearest | random
    lora: bool = False  # whether the saved weights are a LoRA adapter over ``backbone``
    fingerprint: str = ""  # identity of the weights, keys the demonstration cache

    def __post_init__(self) -> None:
        checks = {
            "pooling": ("last", "mean", "wmean"),
            "template": TEMPLATES,
            "pooled_stats": POOLED_STATS,
            "projection": ("rescale", "linear", "mlp"),
            "padding_side": ("left", "right"),
            "demo_mode": DEMO_MODES,
            "demo_selection": DEMO_SELECTIONS,
        }
        for name, allowed in checks.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"EpicConfig.{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.vectors_per_demo not in (1, 2):
            raise ValueError(f"EpicConfig.vectors_per_demo must be 1 or 2, got {self.vectors_per_demo}")


class EpicEncoder(nn.Module):
    """A decoder LLM text encoder with EPIC demonstrations.

    >>> model = EpicEncoder.from_pretrained()                    # the embedded default backbone
    >>> Q = model.encode_queries(["..."], task=task, n_demos=3)  # (N, d) float32, L2-normalised
    >>> D = model.encode_documents(["..."])
    """

    def __init__(self, backbone: nn.Module, tokenizer, config: EpicConfig, projector: DemoProjector | None = None):
        super().__init__()
        self.backbone = backbone
        self.tokenizer = tokenizer
        self.config = config
        hidden = self.hidden_size
        if projector is None:
            # through the embedding module, not its weight: some (Gemma) scale embeddings on the way out
            emb = backbone.get_input_embeddings()
            with torch.no_grad():
                ids = torch.arange(min(emb.weight.shape[0], 8192), device=emb.weight.device)
                token_norm = emb(ids).float().norm(dim=-1).mean().item()
            projector = DemoProjector(hidden, config.projection, config.center, token_norm)
        self.projector = projector
        self.pooled_stats = PooledStats(hidden, config.pooled_stats)
        self.prompts = PromptBuilder(
            tokenizer,
            config.max_length,
            config.demo_max_length,
            config.demo_markers,
            config.vectors_per_demo,
            config.template,
        )
        if not config.fingerprint:
            config.fingerprint = uuid.uuid4().hex
        self._demo_cache: dict[tuple, torch.Tensor] = {}
        self._version = 0
        self.training_record: dict | None = None  # set by the trainer; saved as training.json, shown in the card

    # -- construction, save and load ----------------------------------------------------------
    @property
    def hidden_size(self) -> int:
        return self.backbone.get_input_embeddings().weight.shape[1]

    @property
    def device(self) -> torch.device:
        return self.backbone.get_input_embeddings().weight.device

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path | None = None,
        *,
        device: str | torch.device | None = None,
        dtype: torch.dtype | None = None,
        **overrides,
    ) -> EpicEncoder:
        """Load a saved epic model, any local HF decoder folder, or (no path) the embedded default.

        ``overrides`` set :class:`EpicConfig` fields for a fresh backbone (e.g. ``projection="mlp"``);
        for a saved epic model only inference fields (``n_demos``, ``demo_mode``, …) may change.
        """
        device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        dtype = dtype or (torch.bfloat16 if device.type == "cuda" else torch.float32)
        root = Path(path) if path is not None and str(path) != DEFAULT_BACKBONE else None  # "default": embedded
        if root is not None and (root / CONFIG_FILE).is_file():
            model = cls._load_saved(root, dtype, overrides)
        else:
            if root is not None and not root.is_dir():
                raise FileNotFoundError(f"{root}: no such model folder")
            backbone_name = str(root.resolve()) if root else DEFAULT_BACKBONE
            config = cfg.from_dict(EpicConfig, {"backbone": backbone_name, **overrides})
            backbone, tokenizer = load_backbone(resolve_backbone(config.backbone), config.num_layers, dtype)
            config.fingerprint = f"{config.backbone}:{json.dumps(dataclasses.asdict(config), sort_keys=True)}"
            model = cls(backbone, tokenizer, config)
            if config.center:
                model.calibrate()
        return model.to(device).eval()

    @classmethod
    def _load_saved(cls, root: Path, dtype: torch.dtype, overrides: dict) -> EpicEncoder:
        try:
            data = json.loads((root / CONFIG_FILE).read_text())
            config = cfg.from_dict(EpicConfig, {**data, **overrides}, str(root / CONFIG_FILE))
        except (json.JSONDecodeError, cfg.ConfigError) as e:
            raise ValueError(f"{root / CONFIG_FILE}: unreadable epic config: {e}") from None
        needed = root / ("adapter" if config.lora else "backbone")
        if not needed.is_dir():  # never let a missing local folder turn into a hub lookup
            raise FileNotFoundError(f"{root}: saved epic model without its {needed.name}/ folder (incomplete copy?)")
        if config.lora:
            from peft import PeftModel

            base, tokenizer = load_backbone(resolve_backbone(config.backbone), config.num_layers, dtype, root)
            with quiet_peft():
                backbone = PeftModel.from_pretrained(base, str(root / "adapter"))
        else:
            backbone, tokenizer = load_backbone(root / "backbone", None, dtype, root)
        model = cls(backbone, tokenizer, config)
        state = load_file(str(root / "projector.safetensors"))
        model.projector.load_state_dict(state)
        if config.pooled_stats != "none":
            model.pooled_stats.load_state_dict(load_file(str(root / POOLED_STATS_FILE)))
        return model

    def save_pretrained(self, path: str | Path, merge_lora: bool = False) -> None:
        """Save config, weights (full, or LoRA adapter over the recorded base), projector, tokenizer.

        Written into a temporary folder and renamed into place, so a crash never leaves half a model.
        """
        target = Path(path)
        tmp = atomic_dir(target)
        try:
            config = dataclasses.replace(self.config, fingerprint=uuid.uuid4().hex)
            backbone = self.backbone
            is_peft = hasattr(backbone, "peft_config")
            if is_peft and (merge_lora or config.backbone == "backbone"):
                # an adapter over a base that lives inside another saved model would dangle: merge
                import copy

                backbone = copy.deepcopy(backbone).merge_and_unload()
                is_peft = False
            if is_peft:
                backbone.save_pretrained(tmp / "adapter")
                config.lora = True
            else:
                backbone.save_pretrained(tmp / "backbone")
                config.lora = False
                config.num_layers = None  # the saved backbone already has only its layers
                config.backbone = "backbone"
            self.tokenizer.save_pretrained(tmp)
            state = {k: v.detach().cpu().contiguous() for k, v in self.projector.state_dict().items()}
            save_file(state, str(tmp / "projector.safetensors"))
            if config.pooled_stats != "none":
                stats = {k: v.detach().cpu().contiguous() for k, v in self.pooled_stats.state_dict().items()}
                save_file(stats, str(tmp / POOLED_STATS_FILE))
            (tmp / CONFIG_FILE).write_text(json.dumps(dataclasses.asdict(config), indent=2) + "\n")
            if self.training_record:
                (tmp / TRAINING_FILE).write_text(json.dumps(self.training_record, indent=2) + "\n")
            self.write_sentence_transformers_files(tmp)
            write_card(tmp, target.name)
            replace_dir(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.config.fingerprint = config.fingerprint
        self._demo_cache.clear()

    def write_sentence_transformers_files(self, folder: Path) -> None:
        """Hook for the sentence-transformers integration (see :mod:`epic.st`)."""
        try:
            write_st_files(folder)
        except ImportError:  # sentence-transformers is optional
            pass

    def describe(self) -> dict:
        """What this model is (base, weights, pooling, dimensions, EPIC settings, fingerprint)."""
        c = self.config
        return {
            "backbone": c.backbone,
            "weights": "LoRA adapter" if hasattr(self.backbone, "peft_config") else "full",
            "pooling": c.pooling,
            "template": c.template,
            "pooled stats": c.pooled_stats,
            "dimensions": self.hidden_size,
            "projection": c.projection,
            "demo mode": c.demo_mode,
            "default n_demos": c.n_demos,
            "vectors per demo": c.vectors_per_demo,
            "max length": c.max_length,
            "fingerprint": c.fingerprint,
            "cached demo tasks": len(self._demo_cache),
        }

    def train(self, mode: bool = True) -> EpicEncoder:
        if mode:
            self._version += 1  # weights may change: cached demonstration vectors become stale
            self._demo_cache.clear()
        return super().train(mode)

    @torch.no_grad()
    def calibrate(self, texts: Sequence[str] = CALIBRATION_TEXTS) -> None:
        """Set the projector's centre from the mean embedding of generic texts (``center=True``)."""
        prompts = [self.prompts.document(t) for t in texts]
        self.projector.calibrate(self._pooled_in_batches(prompts, None, 16, False))

    # -- the differentiable forward -----------------------------------------------------------
    def embed(self, prompts: Sequence[Prompt], vectors: torch.Tensor | None = None) -> torch.Tensor:
        """Pooled last hidden states (B, d), not normalised, with gradients.

        ``vectors`` (S, d) are *pooled* demonstration vectors, one per slot, in prompt order; they are
        projected here, so gradients reach the projector (and, unless detached, the demo encoder).
        """
        batch = pad_batch(prompts, self.prompts.pad_id, self.config.padding_side)
        batch = {k: v.to(self.device) for k, v in batch.items()}
        embeds = self.backbone.get_input_embeddings()(batch["input_ids"])
        if batch["slot_rows"].numel():
            if vectors is None:
                raise ValueError("prompts have demonstration slots but no vectors were given")
            embeds = inject(embeds, batch["slot_rows"], batch["slot_cols"], self.projector(vectors))
        hidden = self.backbone(
            inputs_embeds=embeds, attention_mask=batch["attention_mask"], position_ids=batch["position_ids"]
        ).last_hidden_state
        return self.pool(hidden, batch["attention_mask"])

    def pool(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The configured pooling (:mod:`epic.pooling`), then the fitted pooled statistics if any."""
        return self.pooled_stats(pool(hidden, mask, self.config.pooling))

    @torch.no_grad()
    def fit_pooled_stats(self, prompts: Sequence[Prompt]) -> None:
        """Fit the pooled statistics (``pooled_stats`` = center | standardize) on prompts of training text."""
        kind = self.pooled_stats.kind
        self.pooled_stats.kind = "none"  # the raw pooled vectors
        try:
            pooled = self._pooled_in_batches(prompts, None, 32, False)
        finally:
            self.pooled_stats.kind = kind
        self.pooled_stats.fit(pooled)
        self._version += 1  # cached demonstration vectors were pooled before
        self._demo_cache.clear()

    # -- demonstration vectors and their cache ------------------------------------------------
    def demo_prompts(self, task: Task, demos: Sequence[Demo]) -> list[Prompt]:
        """Prompts whose pooled outputs are the demonstrations' vectors, in slot order."""
        if self.config.vectors_per_demo == 1:
            return [self.prompts.demo_pair(task.instruction, d) for d in demos]
        out = []
        for d in demos:
            out.append(self.prompts.query(d.query, task.instruction))
            out.append(self.document_prompt(d.response, task))
        return out

    def document_prompt(self, text: str, task: Task | None, limit: int | None = None) -> Prompt:
        """Raw text, or instructed when ``task`` is symmetric."""
        instruction = task.instruction if task is not None and task.symmetric else None
        return self.prompts.document(text, instruction, limit)

    def demo_vectors(self, task: Task) -> torch.Tensor:
        """Pooled vectors of all of ``task``'s demonstrations, (n_demos, vectors_per_demo, d); cached."""
        key = (self.config.fingerprint, self._version, task.content_hash(), self.config.vectors_per_demo)
        if key not in self._demo_cache:
            with torch.no_grad():
                flat = self._pooled_in_batches(self.demo_prompts(task, task.demos), None, 32, False)
            self._demo_cache[key] = flat.reshape(len(task.demos), self.config.vectors_per_demo, -1)
        return self._demo_cache[key]

    def save_demo_cache(self, path: str | Path) -> None:
        """Write the cached demonstration vectors as safetensors, tagged with the model's fingerprint."""
        tensors, meta = {}, {"fingerprint": self.config.fingerprint}
        for (fp, version, task_hash, vpd), t in self._demo_cache.items():
            if fp == self.config.fingerprint and version == self._version:
                tensors[f"{task_hash}/{vpd}"] = t.contiguous().cpu()
        save_file(tensors, str(path), metadata=meta)

    def load_demo_cache(self, path: str | Path) -> int:
        """Load vectors saved by :meth:`save_demo_cache` for this exact model; returns how many tasks."""
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            fp = (f.metadata() or {}).get("fingerprint")
            if fp != self.config.fingerprint:
                raise ValueError(f"{path}: demonstration cache of another model (fingerprint {fp!r})")
        tensors = load_file(str(path))
        for name, t in tensors.items():
            task_hash, vpd = name.split("/")
            self._demo_cache[(fp, self._version, task_hash, int(vpd))] = t.to(self.device)
        return len(tensors)

    # -- encoding -----------------------------------------------------------------------------
    @torch.no_grad()
    def _pooled_in_batches(
        self,
        prompts: Sequence[Prompt],
        vectors: Sequence[torch.Tensor] | None,
        batch_size: int,
        show_progress: bool,
    ) -> torch.Tensor:
        """Pooled outputs for many prompts, longest first (little padding), in the input order."""
        was_training = self.training
        self.eval()
        order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
        out = torch.empty((len(prompts), self.hidden_size), dtype=torch.float32, device=self.device)
        bar = tqdm(total=len(prompts), disable=not show_progress, desc="encode", unit="text")
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            vecs = torch.cat([vectors[i] for i in idx]) if vectors is not None else None
            out[idx] = self.embed([prompts[i] for i in idx], vecs)
            bar.update(len(idx))
        bar.close()
        if was_training:
            super().train(True)
        return out

    @torch.no_grad()
    def _pooled_with_prefix(
        self,
        prefix: Prompt,
        prefix_vectors: torch.Tensor | None,
        suffixes: Sequence[Prompt],
        batch_size: int,
        show_progress: bool,
    ) -> torch.Tensor:
        """Last-token pooled outputs of ``prefix + suffix`` for each suffix, with the shared prefix's
        key/value cache computed once (as GritLM does): BOS, fixed demonstrations (text or soft) and the
        instruction then cost each query only its own tokens."""
        import copy

        was_training = self.training
        self.eval()
        head = pad_batch([prefix], self.prompts.pad_id)
        embeds = self.backbone.get_input_embeddings()(head["input_ids"].to(self.device))
        if prefix_vectors is not None:
            embeds = inject(embeds, head["slot_rows"], head["slot_cols"], self.projector(prefix_vectors))
        out = self.backbone(inputs_embeds=embeds, use_cache=True)
        cache = out["cache"] if "cache" in out else out["past_key_values"]
        n_prefix = len(prefix)
        order = sorted(range(len(suffixes)), key=lambda i: -len(suffixes[i]))
        result = torch.empty((len(suffixes), self.hidden_size), dtype=torch.float32, device=self.device)
        bar = tqdm(total=len(suffixes), disable=not show_progress, desc="encode", unit="text")
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = pad_batch([suffixes[i] for i in idx], self.prompts.pad_id, self.config.padding_side)
            batch = {k: v.to(self.device) for k, v in batch.items()}
            mask = torch.cat(
                [torch.ones_like(batch["attention_mask"][:, :1]).expand(-1, n_prefix), batch["attention_mask"]], 1
            )
            batch_cache = copy.deepcopy(cache)
            batch_cache.batch_repeat_interleave(len(idx))
            hidden = self.backbone(
                input_ids=batch["input_ids"],
                attention_mask=mask,
                position_ids=batch["position_ids"] + n_prefix,
                cache=batch_cache,
                use_cache=True,
            ).last_hidden_state
            result[idx] = self.pool(hidden, batch["attention_mask"])
            bar.update(len(idx))
        bar.close()
        if was_training:
            super().train(True)
        return result

    def _finish(self, pooled: torch.Tensor) -> np.ndarray:
        if self.config.normalize:
            pooled = F.normalize(pooled, dim=-1)
        return pooled.cpu().numpy().astype(np.float32)

    def select_demos(self, task: Task, texts: Sequence[str], n: int, selection: str, seed: int = 0) -> list[list[int]]:
        """Indices into ``task.demos`` for each text: the first n, the n nearest, or n at random."""
        if selection == "fixed":
            return [list(range(n))] * len(texts)
        if selection == "random":
            rng = np.random.default_rng(seed)
            return [sorted(rng.choice(len(task.demos), n, replace=False).tolist()) for _ in texts]
        # nearest: by the zero-shot query embedding against the demonstrations' query vectors
        pool = F.normalize(self.demo_vectors(task)[:, 0], dim=-1)
        queries = [self.prompts.query(t, task.instruction) for t in texts]
        zero_shot = F.normalize(self._pooled_in_batches(queries, None, 32, False), dim=-1)
        top = (zero_shot @ pool.T).topk(n, dim=-1).indices
        return [sorted(row) for row in top.tolist()]  # pool order, as for fixed demos

    def encode_queries(
        self,
        texts: Sequence[str],
        task: Task | None = None,
        *,
        instruction: str | None = None,
        n_demos: int | None = None,
        demo_mode: str | None = None,
        demo_selection: str | None = None,
        batch_size: int = 32,
        show_progress: bool | None = None,
        seed: int = 0,
        prefix_cache: bool | None = None,
    ) -> np.ndarray:
        """Embed queries: instructed, with ``n_demos`` of the task's demonstrations.

        ``demo_mode``: ``"embedding"`` (EPIC soft tokens), ``"text"`` (bge-en-icl text prefix) or
        ``"none"``. ``demo_selection``: ``"fixed"`` (the task's first n), ``"nearest"`` (the n most
        similar to each query) or ``"random"`` (a control). ``prefix_cache`` (fixed or no demos, last-token
        pooling; on by default there): compute the key/value cache of the prefix every query shares (BOS,
        demonstrations, instruction) once.
        Returns (N, d) float32, L2-normalised.
        """
        texts = check_texts(texts)
        if len(texts) > self.chunk_texts:  # bounded memory: prompts and outputs of one chunk at a time
            kw = dict(
                instruction=instruction, n_demos=n_demos, demo_mode=demo_mode, demo_selection=demo_selection,
                batch_size=batch_size, show_progress=show_progress, seed=seed, prefix_cache=prefix_cache,
            )  # fmt: skip
            return self._in_chunks(texts, lambda part: self.encode_queries(part, task, **kw))
        if task is None:
            if not instruction:
                raise ValueError("encode_queries needs a task or a non-empty instruction")
            task = Task("adhoc", instruction)
        mode = demo_mode or self.config.demo_mode
        if mode not in DEMO_MODES:
            raise ValueError(f"demo_mode must be one of {DEMO_MODES}, got {mode!r}")
        selection = demo_selection or self.config.demo_selection
        if selection not in DEMO_SELECTIONS:
            raise ValueError(f"demo_selection must be one of {DEMO_SELECTIONS}, got {selection!r}")
        if n_demos is None:
            n_demos = min(self.config.n_demos, len(task.demos)) if mode != "none" else 0
        if n_demos < 0 or n_demos > len(task.demos):
            raise ValueError(f"n_demos={n_demos} but task {task.name!r} has {len(task.demos)} demonstrations")
        if mode == "none":
            n_demos = 0
        if not texts:
            return np.zeros((0, self.hidden_size), dtype=np.float32)
        show = len(texts) > 1000 if show_progress is None else show_progress
        chosen = self.select_demos(task, texts, n_demos, selection, seed) if n_demos else [[]] * len(texts)
        vectors = None
        # one prefix shared by every query (BOS, the fixed demonstrations, the instruction): compute it once
        shared = n_demos == 0 or selection == "fixed"
        if shared and self.config.pooling == "last" and prefix_cache is not False:
            prefix, vectors = self.shared_prefix(task, n_demos, mode)
            suffixes = [Prompt([*self.prompts.query_body(t), self.prompts.tail]) for t in texts]
            return self._finish(self._pooled_with_prefix(prefix, vectors, suffixes, batch_size, show))
        if mode == "text":
            prompts = [
                self.prompts.query(t, task.instruction, text_demos=[task.demos[j] for j in c])
                for t, c in zip(texts, chosen)
            ]
        else:
            prompts = [self.prompts.query(t, task.instruction, n_soft_demos=len(c)) for t, c in zip(texts, chosen)]
            if n_demos:
                pool = self.demo_vectors(task)
                vectors = [pool[c].reshape(-1, self.hidden_size) for c in chosen]
        return self._finish(self._pooled_in_batches(prompts, vectors, batch_size, show))

    def shared_prefix(self, task: Task, n_demos: int, demo_mode: str) -> tuple[Prompt, torch.Tensor | None]:
        """What every query of ``task`` starts with when its first ``n_demos`` demonstrations are used:
        BOS, the demonstrations (text, or soft slots with their vectors) and the instruction template."""
        vectors = None
        if demo_mode == "text":
            parts = [p for d in task.demos[:n_demos] for p in self.prompts.text_demo(task.instruction, d)]
        else:
            parts = [p for _ in range(n_demos) for p in self.prompts.soft_demo()]
            if n_demos:
                vectors = self.demo_vectors(task)[:n_demos].reshape(-1, self.hidden_size)
        return Prompt([self.prompts.head, *parts, self.prompts.instruction(task.instruction)]), vectors

    def encode_documents(
        self,
        texts: Sequence[str],
        task: Task | None = None,
        *,
        batch_size: int = 32,
        show_progress: bool | None = None,
    ) -> np.ndarray:
        """Embed documents: raw text (retrieval), or instructed when ``task`` is symmetric. No demos."""
        texts = check_texts(texts)
        if len(texts) > self.chunk_texts:
            return self._in_chunks(
                texts,
                lambda part: self.encode_documents(part, task, batch_size=batch_size, show_progress=show_progress),
            )
        if not texts:
            return np.zeros((0, self.hidden_size), dtype=np.float32)
        show = len(texts) > 1000 if show_progress is None else show_progress
        prompts = [self.document_prompt(t, task) for t in texts]
        return self._finish(self._pooled_in_batches(prompts, None, batch_size, show))

    chunk_texts = 8192  # texts tokenized and held at once by encode_queries / encode_documents

    def _in_chunks(self, texts: list[str], encode) -> np.ndarray:
        return np.concatenate([encode(texts[i : i + self.chunk_texts]) for i in range(0, len(texts), self.chunk_texts)])
