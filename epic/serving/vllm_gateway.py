"""``epic serve --engine vllm``: epic builds the prompts, vLLM embeds them.

The gateway holds no weights: from an exported folder (:mod:`epic.serving.export`) it reads the
tokenizer, the epic config (the same :class:`~epic.encoder.prompt.PromptBuilder`, so prompts are token
spans exactly as :class:`~epic.encoder.model.EpicEncoder` builds them), the projector and the tasks.
A soft slot of a registered task's demonstration is that demonstration's row of the exported vocabulary
(fixed, nearest or random selection: plain token ids, so any vLLM endpoint serves them and its prefix
cache shares a task's prefix); demonstrations given in a request are embedded by vLLM, projected here
and sent as a mixed prompt (token ids + embeddings, in-process only). Every selection rule is
:mod:`epic.encoder.demos`' own.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from ..data.tasks import Task, load_tasks
from ..encoder import demos
from ..encoder.config import EpicConfig
from ..encoder.inject import DemoProjector
from ..encoder.prompt import Prompt, PromptBuilder
from ..utils.config_io import from_dict
from .api import Job, RequestError
from .export import EPIC_PARTS, FORMAT_VERSION, MANIFEST, token_ids


def read_manifest(folder: Path) -> dict:
    """The export's manifest, or an error that says how to make one."""
    path = folder / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no {MANIFEST}: make it with `epic export --format vllm MODEL {folder}`")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != "epic-vllm" or manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: not an epic vLLM export of format version {FORMAT_VERSION}; export again")
    return manifest


class VllmGateway:
    """The prompt side of an exported model, in front of a vLLM backend (:mod:`epic.serving.vllm_backends`)."""

    def __init__(self, folder: str | Path, backend):
        from transformers import AutoTokenizer

        folder = Path(folder)
        self.manifest, self.backend = read_manifest(folder), backend
        self.config = from_dict(EpicConfig, json.loads((folder / EPIC_PARTS / "epic_config.json").read_text()))
        if self.config.demo_mode == "text":
            raise ValueError("demo_mode='text' (bge-en-icl text demonstrations) is not served by the vLLM engine")
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.prompts = PromptBuilder.from_config(self.tokenizer, self.config)
        state = load_file(str(folder / EPIC_PARTS / "projector.safetensors"))
        self.projector = DemoProjector(self.manifest["hidden_size"], self.config.projection, self.config.center)
        self.projector.load_state_dict(state)
        self.tasks = load_tasks(folder / EPIC_PARTS / "tasks.yaml")
        self.first_id = {name: t["first_id"] for name, t in self.manifest["tasks"].items()}
        self.memory = demos.DemoMemory()

    # -- prompts to vectors ------------------------------------------------------------------------
    async def _embed(self, prompts: list[Prompt], first_id: int | None = None, table=None) -> np.ndarray:
        """Plain token ids where every slot is a vocabulary row (``first_id``), else mixed prompts whose
        slots take the projected rows of ``table``."""
        if table is None:
            return await self.backend.embed([{"prompt_token_ids": token_ids(p, first_id)} for p in prompts])
        rows = self.projector(table).detach().float()
        items = []
        for p in prompts:
            embeds = torch.zeros(len(p), rows.shape[1])  # token positions take the model's own embeddings
            embeds[p.slots] = rows[p.sources]
            mask = [True] * len(p)
            for pos in p.slots:
                mask[pos] = False
            items.append({"prompt_token_ids": p.ids, "prompt_embeds": embeds, "prompt_is_token_ids": mask})
        return await self.backend.embed(items)

    async def demo_vectors(self, task: Task) -> torch.Tensor:
        """The task's demonstration vectors (n, vectors_per_demo, d), embedded by vLLM once and kept."""
        per_demo = self.config.vectors_per_demo
        vectors = self.memory.lookup(self.manifest["fingerprint"], task, per_demo)
        if vectors is None:
            pooled = await self._embed(self.prompts.demo_vector_prompts(task, task.demos))
            vectors = self.memory.store(self.manifest["fingerprint"], task, per_demo, torch.from_numpy(pooled))
        return vectors

    async def documents(self, texts: list[str], task: Task | None) -> np.ndarray:
        return await self._embed([self.prompts.task_document(t, task) for t in texts])

    async def queries(self, texts: list[str], task: Task, n_demos: int | None, selection: str | None) -> np.ndarray:
        r = demos.resolve_request(self.config, task, None, n_demos, "embedding", selection)
        p, instruction = self.prompts, task.instruction
        if not r.n_demos:
            return await self._embed([p.query(t, instruction) for t in texts])
        vectors = await self.demo_vectors(task)
        zero_shot = None
        if r.selection == "nearest":
            zero_shot = torch.from_numpy(await self._embed([p.query(t, instruction) for t in texts]))
        pool = vectors[:, 0]  # the demonstrations' query vectors, as EpicEncoder.select_demos compares
        chosen = demos.select(len(texts), r.n_demos, r.selection, len(task.demos), 0, lambda: (zero_shot, pool))
        prompts = [p.query(t, instruction, soft_demos=p.table_rows(c)) for t, c in zip(texts, chosen)]
        registered = self.tasks.get(task.name) == task and self.first_id.get(task.name) is not None
        if registered:
            return await self._embed(prompts, self.first_id[task.name])
        return await self._embed(prompts, table=vectors.flatten(0, 1))

    # -- the server's side ---------------------------------------------------------------------------
    async def run(self, job: Job) -> tuple[np.ndarray, int]:
        """Embed one request's texts; returns the vectors and the tokens of its texts."""
        try:
            if job.input_type == "document":
                emb = await self.documents(job.texts, job.task)
            else:
                emb = await self.queries(job.texts, job.query_task(), job.n_demos, job.selection)
        except ValueError as e:
            raise RequestError(400, str(e)) from None
        tokens = sum(map(len, self.tokenizer(job.texts, add_special_tokens=False)["input_ids"]))
        return emb, tokens

    def queued(self) -> int:
        return 0  # vLLM schedules every request as it arrives (continuous batching): nothing waits here

    async def aclose(self) -> None:
        await self.backend.close()


def exported_folder(model_path: str | None, task_file: str | None) -> Path:
    """An export folder as given, or the export of an epic model (with ``task_file``'s tasks) made once
    into the epic cache and reused while the model and the task file are unchanged."""
    import hashlib

    from ..utils.io import cache_dir
    from .export import export_vllm

    given = Path(model_path) if model_path not in (None, "default") else None
    if given is not None and (given / MANIFEST).is_file():
        if task_file:
            raise ValueError(f"{given} is an export: its tasks were fixed by `epic export --tasks`; export again")
        return given
    stamp = [str(given.resolve()) if given else "default", task_file and Path(task_file).read_text()]
    if given is not None and (given / "epic_config.json").is_file():
        stamp.append((given / "epic_config.json").read_text())  # its fingerprint changes with every save
    folder = cache_dir() / "vllm-exports" / hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:16]
    if not (folder / MANIFEST).is_file():
        tasks = load_tasks(task_file) if task_file else {}
        export_vllm(model_path, folder, tasks)
    return folder


def gateway_parts(model_path: str | None, task_file: str | None, config) -> tuple[dict[str, Task], object]:
    """The tasks a vLLM-backed server answers for, and the factory of its gateway (called at start-up)."""
    from .vllm_backends import InProcessVllm, RemoteVllm

    folder = exported_folder(model_path, task_file)
    tasks = load_tasks(folder / EPIC_PARTS / "tasks.yaml")

    def factory() -> VllmGateway:
        if config.vllm_url:
            key = os.environ.get("VLLM_API_KEY")  # the vLLM server's own key, not the gateway's clients'
            backend = RemoteVllm(config.vllm_url, config.vllm_model or str(folder), key)
        else:
            backend = InProcessVllm(folder, config.vllm_dtype, config.vllm_memory_fraction)
        return VllmGateway(folder, backend)

    return tasks, factory
