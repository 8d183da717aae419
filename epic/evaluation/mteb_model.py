"""mteb 2.x wrappers. :class:`EpicMtebEncoder` really applies instructions and demonstrations.

For each task it resolves an epic :class:`~epic.data.tasks.Task`. Demonstrations: ``<examples_dir>/<TaskName>.jsonl``
(``{query, response}`` lines) if present, else those given in ``tasks`` (the offline suite's, or drawn
from an mteb task's training split by :func:`demos_from_train_split`), else none. Instruction: the given
task's, else the mteb task's prompt, else a generic one for its type. Then:

* retrieval / reranking: queries get the instruction and the demos, documents are encoded raw;
* symmetric tasks (STS, classification, clustering, pair classification, …): every text gets them,
  as bge-en-icl does.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
from mteb.models.abs_encoder import AbsEncoder
from mteb.models.model_meta import ModelMeta, ScoringFunction

from ..data.tasks import Demo, Task, read_demos
from ..encoder.model import EpicEncoder

log = logging.getLogger(__name__)

ASYMMETRIC_TYPES = {"Retrieval", "Reranking", "InstructionRetrieval", "InstructionReranking"}
GENERIC_INSTRUCTIONS = {
    "Retrieval": "Given a query, retrieve documents that answer it",
    "Reranking": "Given a query, retrieve documents that answer it",
    "STS": "Retrieve semantically similar text",
    "PairClassification": "Retrieve text that is semantically similar to the given text",
    "Classification": "Classify the given text",
    "Clustering": "Identify the topic or theme of the given text",
    "Summarization": "Given a summary, retrieve other semantically similar summaries",
}


def _meta(name: str, revision: str, dim: int, n_params: int | None, instructions: bool) -> ModelMeta:
    return ModelMeta.create_empty(
        overwrites=dict(
            name=name if "/" in name else f"local/{name}",
            revision=revision,
            embed_dim=dim,
            n_parameters=n_params,
            similarity_fn_name=ScoringFunction.COSINE,
            framework=["PyTorch"],
            use_instructions=instructions,
            languages=["eng-Latn"],
            modalities=["text"],
        )
    )


def _texts(inputs) -> list[str]:
    return [t for batch in inputs for t in batch["text"]]


class EpicMtebEncoder(AbsEncoder):
    """An :class:`EpicEncoder` for mteb, with per-task instructions and demonstrations."""

    def __init__(
        self,
        model: EpicEncoder,
        name: str = "epic/model",
        demo_mode: str = "embedding",
        n_demos: int = 3,
        demo_selection: str = "fixed",
        examples_dir: str | Path | None = None,
        tasks: dict[str, Task] | None = None,
        batch_size: int = 32,
        document_cache: dict[str, np.ndarray] | None = None,
        instruction: str | None = None,
    ):
        self.model = model
        self.instruction = instruction  # every task's instruction replaced by this one (None: each task's own)
        self.demo_mode, self.n_demos, self.demo_selection = demo_mode, n_demos, demo_selection
        self.examples_dir = Path(examples_dir) if examples_dir else None
        self.tasks = tasks or {}  # per-task instruction and demonstrations (e.g. the offline suite's)
        self.batch_size = batch_size
        k = 0 if demo_mode == "none" else n_demos
        identity = hashlib.sha256(model.config.fingerprint.encode()).hexdigest()[:12]
        precision = "" if model.compute_dtype is None else f"-{str(model.compute_dtype).removeprefix('torch.')}"
        own = "" if instruction is None else f"-i{hashlib.sha256(instruction.encode()).hexdigest()[:8]}"
        # one per checkpoint, mode, precision and instruction override
        revision = f"{identity}-{demo_mode}-k{k}-{demo_selection}{precision}{own}"
        n_params = sum(p.numel() for p in model.parameters())
        self.mteb_model_meta = _meta(name, revision, model.hidden_size, n_params, True)
        # raw documents do not depend on the demo mode: wrappers of one model may share this cache
        self._documents: dict[str, np.ndarray] = {} if document_cache is None else document_cache
        self.resolved: dict[str, Task] = {}  # what each task was run with (for tests and reports)
        self._warned: set[str] = set()

    def resolve_task(self, task_metadata) -> Task:
        """The instruction and demonstrations for an mteb task (see the module docstring)."""
        name = task_metadata.name
        kind = "retrieval" if task_metadata.type in ASYMMETRIC_TYPES else "symmetric"
        known = self.tasks.get(name)
        if known is not None:
            instruction = known.instruction
        else:
            prompt = task_metadata.prompt
            prompt = prompt.get("query") if isinstance(prompt, dict) else prompt
            instruction = prompt or GENERIC_INSTRUCTIONS.get(task_metadata.type, "Represent the given text")
        instruction = instruction if self.instruction is None else self.instruction
        examples = self.examples_dir / f"{name}.jsonl" if self.examples_dir else None
        if examples is not None and examples.is_file():
            demos = list(read_demos(examples))
        else:
            demos = known.demos if known is not None else []
        if not demos and self.demo_mode != "none" and name not in self._warned:
            self._warned.add(name)
            log.warning("epic: no demonstrations for %s (no train split, no %s.jsonl): zero-shot", name, name)
        return Task(name, instruction, demos, kind)

    def encode(self, inputs, *, task_metadata, hf_split, hf_subset, prompt_type=None, **kwargs) -> np.ndarray:
        texts = _texts(inputs)
        task = self.resolve_task(task_metadata)
        self.resolved[task.name] = task
        if not task.symmetric and prompt_type is not None and str(prompt_type.value) == "document":
            return self._encode_documents(texts)
        k = min(self.n_demos, len(task.demos)) if self.demo_mode != "none" else 0
        return self.model.encode_queries(
            texts, task=task, n_demos=k, demo_mode=self.demo_mode, demo_selection=self.demo_selection,
            batch_size=self.batch_size, show_progress=False,
        )  # fmt: skip

    def _encode_documents(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        todo = sorted({k: t for k, t in zip(keys, texts) if k not in self._documents}.items())
        if todo:
            emb = self.model.encode_documents([t for _, t in todo], batch_size=self.batch_size, show_progress=False)
            self._documents.update({k: e for (k, _), e in zip(todo, emb)})
        return np.stack([self._documents[k] for k in keys]) if keys else np.zeros((0, self.model.hidden_size), "f4")


class SentenceTransformerMtebEncoder(AbsEncoder):
    """A sentence-transformers model (e.g. all-MiniLM-L6-v2) run plainly: no instructions, no demos."""

    def __init__(self, path: str | Path, name: str, batch_size: int = 32):
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(path), device="cpu")
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = get_dim()
        n_params = sum(p.numel() for p in self.model.parameters())
        self.mteb_model_meta = _meta(name, "st", dim, n_params, False)
        self.batch_size = batch_size

    def encode(self, inputs, *, task_metadata, hf_split, hf_subset, prompt_type=None, **kwargs) -> np.ndarray:
        return self.model.encode(
            _texts(inputs), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )


class RandomMtebEncoder(AbsEncoder):
    """Random unit vectors seeded by each text: the trivial baseline every task is compared with."""

    def __init__(self, dim: int = 384):
        self.dim = dim
        self.mteb_model_meta = _meta("baseline/random", "seed0", dim, 0, False)

    def encode(self, inputs, *, task_metadata, hf_split, hf_subset, prompt_type=None, **kwargs) -> np.ndarray:
        out = []
        for t in _texts(inputs):
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim)
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32).reshape(-1, self.dim)


def demos_from_train_split(task_obj, n: int = 8, seed: int = 0) -> list[Demo]:
    """Up to ``n`` demonstrations drawn deterministically from an mteb task's train (or dev) split.

    Classification: (text, label name); pair classification: a positive pair; STS: the highest-scored
    pairs; retrieval: (query, its first relevant document). The test split is never used.
    """
    task_obj.load_data()
    ds = task_obj.dataset
    if isinstance(ds, dict) and "default" in ds and "train" not in ds:
        ds = ds["default"]
    split = next((s for s in ("train", "dev", "validation") if s in ds), None)
    if split is None:
        return []
    data, kind = ds[split], task_obj.metadata.type

    def rank(items):
        return sorted(items, key=lambda x: hashlib.sha256(f"{seed}:{x[0]}:{x[1]}".encode()).hexdigest())[:n]

    if kind in ("Classification", "MultilabelClassification"):
        names = data["label_text"] if "label_text" in data.column_names else [str(x) for x in data["label"]]
        return [Demo(t, str(label)) for t, label in rank(list(zip(data["text"], names)))]
    if kind == "PairClassification":
        labels = data["labels"] if "labels" in data.column_names else data["label"]
        return [
            Demo(a, b) for a, b in rank([(a, b) for a, b, y in zip(data["sentence1"], data["sentence2"], labels) if y])
        ]
    if kind == "STS":
        pairs = sorted(zip(data["score"], data["sentence1"], data["sentence2"]), key=lambda x: -x[0])[: 4 * n]
        return [Demo(a, b) for a, b in rank([(a, b) for _, a, b in pairs])]
    if kind in ASYMMETRIC_TYPES and "queries" in data:
        queries = {q["id"]: q["text"] for q in data["queries"]}
        corpus = {d["id"]: d["text"] for d in data["corpus"]}
        pairs = [(queries[q], corpus[next(iter(docs))]) for q, docs in data["relevant_docs"].items()
                 if q in queries and docs and next(iter(docs)) in corpus]  # fmt: skip
        return [Demo(a, b) for a, b in rank(pairs)]
    return []
