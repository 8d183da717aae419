"""sentence-transformers integration: a saved epic model loads with ``SentenceTransformer(path)``.

The whole :class:`~epic.encoder.model.EpicEncoder` is one ST module (``epic.st.EpicSTModule``). Queries and
demonstrations reach it through ST's keyword routing::

    st = SentenceTransformer("runs/epic/model")
    q = st.encode_query(["what is a thermometer"], instruction="Given a word, retrieve its definition",
                        demonstrations=[("harbor", "a sheltered port")])   # same as EpicEncoder
    d = st.encode_document(["an instrument for measuring temperature"])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from sentence_transformers.base.modules.module import Module

from ..data.tasks import Demo, Task
from .config import DEFAULT_INSTRUCTION
from .st_files import write_st_files

__all__ = ["EpicSTModule", "write_st_files"]


class EpicSTModule(Module):
    """An :class:`EpicEncoder` as a sentence-transformers module."""

    forward_kwargs = {"task", "instruction", "demonstrations", "demo_mode", "task_type"}
    save_in_root = True

    def __init__(self, encoder) -> None:
        super().__init__()
        self.encoder = encoder

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", **kwargs) -> EpicSTModule:
        from .model import EpicEncoder

        return cls(EpicEncoder.from_pretrained(Path(model_name_or_path) / subfolder, device="cpu"))

    def save(self, output_path: str, *args, **kwargs) -> None:
        self.encoder.save_pretrained(output_path)

    def preprocess(self, inputs: list[str], prompt: str | None = None, **kwargs) -> dict[str, Any]:
        if prompt:
            raise ValueError("epic models take instructions through instruction=..., not ST prompts")
        return {"texts": list(inputs)}

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        texts = features["texts"]
        demos = [d if isinstance(d, Demo) else Demo(*d) for d in kwargs.get("demonstrations") or []]
        instruction = kwargs.get("instruction")
        task_type = kwargs.get("task_type", "retrieval")
        is_query = kwargs.get("task") == "query" or instruction is not None
        if is_query:
            task = Task("st", instruction or DEFAULT_INSTRUCTION, demos, task_type)
            emb = self.encoder.encode_queries(
                texts, task=task, n_demos=len(demos), demo_mode=kwargs.get("demo_mode"), show_progress=False
            )
        else:
            emb = self.encoder.encode_documents(texts, show_progress=False)
        features["sentence_embedding"] = torch.from_numpy(emb)
        return features

    def get_embedding_dimension(self) -> int:
        return self.encoder.hidden_size
