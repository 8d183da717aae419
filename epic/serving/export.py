"""``epic export --format vllm``: an epic model as a folder vLLM serves exactly (pooling runner).

What vLLM gets is a plain decoder it already knows, plus sentence-transformers module files it honours:

* the backbone with any LoRA adapter merged, in the weights' precision (``config.json``, safetensors);
* ``1_Pooling`` (last token), a ``2_Dense`` with W = I (or diag 1/std) and b = -mean (or -mean/std)
  where the model centres or standardises its pooled vector, and ``3_Normalize`` where it normalises;
* each task's demonstration vectors, *projected* as EPIC injects them, appended as extra rows of the
  input-embedding table (the vocabulary rounded up to a multiple of 64): a prompt with fixed, nearest
  or random demonstrations of a registered task is then plain token ids, through any vLLM endpoint;
* ``epic/`` (what the gateway needs to build prompts without the weights: the epic config, the
  projector for demonstrations given in a request, and each task's demonstrations) and the manifest
  ``epic_vllm.json`` (task -> instruction, rows, the token ids of its prompts, pooling, version, fingerprint).

Models whose pooling vLLM cannot reproduce are refused by name; epic's own folder format is unchanged.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from importlib.metadata import version
from pathlib import Path

import torch
from safetensors.torch import save_file

from ..data.tasks import Task
from ..encoder.backbone import quiet_peft
from ..encoder.model import EpicEncoder
from ..encoder.prompt import SLOT, Prompt
from ..utils.io import atomic_dir, replace_dir

FORMAT_VERSION = 1
MANIFEST = "epic_vllm.json"
EPIC_PARTS = "epic"  # the gateway's share of the folder
VLLM_POOLING = {"last": "pooling_mode_lasttoken"}  # mean pooling turns vLLM's prefix cache off; wmean has no twin


def refuse_unservable(model: EpicEncoder) -> None:
    """A ValueError naming what vLLM cannot reproduce of this model."""
    c = model.config
    if c.pooling not in VLLM_POOLING:
        raise ValueError(
            f"pooling={c.pooling!r} has no exact vLLM equivalent (vLLM pools last, mean or CLS, and mean "
            "pooling disables its prefix cache): only last-token models are exported"
        )
    if type(model.backbone).__name__ == "PeftModel" and not hasattr(model.backbone, "merge_and_unload"):
        raise ValueError("the LoRA adapter cannot be merged into the backbone")


def demo_rows(model: EpicEncoder, tasks: dict[str, Task], first_id: int) -> tuple[torch.Tensor, dict[str, dict]]:
    """Every task's demonstration vectors projected as they are injected, stacked, and where each
    task's rows start (token id) and end."""
    rows, where, next_id = [], {}, first_id
    with torch.no_grad():
        for name, task in tasks.items():
            if not task.demos:
                where[name] = {"first_id": None, "rows": 0}
                continue
            projected = model.projector(model.demo_vectors(task).flatten(0, 1))
            rows.append(projected.float().cpu())
            where[name] = {"first_id": next_id, "rows": projected.shape[0]}
            next_id += projected.shape[0]
    d = model.hidden_size
    return (torch.cat(rows) if rows else torch.zeros(0, d)), where


def merged_backbone(model: EpicEncoder, extra: torch.Tensor) -> tuple[torch.nn.Module, int]:
    """A copy of the backbone, LoRA merged, its embedding table grown by ``extra`` rows (and padding to
    a multiple of 64); returns it and the id of the first extra row."""
    backbone = copy.deepcopy(model.backbone)
    if hasattr(backbone, "merge_and_unload"):
        with quiet_peft():
            backbone = backbone.merge_and_unload()
    table = backbone.get_input_embeddings().weight.detach()
    base = table.shape[0]
    size = -(-(base + extra.shape[0]) // 64) * 64
    grown = torch.zeros(size, table.shape[1], dtype=table.dtype)
    grown[:base] = table
    grown[base : base + extra.shape[0]] = extra.to(table.dtype)
    backbone.set_input_embeddings(torch.nn.Embedding.from_pretrained(grown, freeze=True))
    backbone.config.vocab_size = size
    return backbone, base


def _st_modules(out: Path, model: EpicEncoder) -> None:
    """Pooling, Dense (the fitted centring / standardising) and Normalize as sentence-transformers files."""
    d, stats = model.hidden_size, model.pooled_stats
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}]
    (out / "1_Pooling").mkdir()
    pooling = {"word_embedding_dimension": d, VLLM_POOLING[model.config.pooling]: True}
    (out / "1_Pooling" / "config.json").write_text(json.dumps(pooling, indent=2) + "\n")
    modules.append({"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"})
    if stats.kind != "none":
        scale = 1 / stats.std if stats.kind == "standardize" else torch.ones(d)
        weight, bias = torch.diag(scale), -stats.mean * scale
        (out / "2_Dense").mkdir()
        dense = {"in_features": d, "out_features": d, "bias": True,
                 "activation_function": "torch.nn.modules.linear.Identity"}  # fmt: skip
        (out / "2_Dense" / "config.json").write_text(json.dumps(dense, indent=2) + "\n")
        save_file({"linear.weight": weight.float().contiguous(), "linear.bias": bias.float().contiguous()},
                  str(out / "2_Dense" / "model.safetensors"))  # fmt: skip
        modules.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    if model.config.normalize:
        modules.append({"idx": len(modules), "name": str(len(modules)), "path": "3_Normalize",
                        "type": "sentence_transformers.models.Normalize"})  # fmt: skip
        (out / "3_Normalize").mkdir()
    (out / "modules.json").write_text(json.dumps(modules, indent=2) + "\n")


def token_ids(prompt: Prompt, first_id: int | None) -> list[int]:
    """A prompt as plain token ids: a soft slot that takes row s of its task's table is the extra
    vocabulary row ``first_id + s`` (the projected vector itself)."""
    ids = []
    for part in prompt.parts:
        ids += [first_id + part.source] if part.kind == SLOT else part.ids
    return ids


def around_text(prompt: Prompt, text: str, first_id: int | None = None) -> tuple[list[int], list[int]]:
    """The token ids before and after the part that holds ``text``: how a client that tokenizes the text
    itself (truncated to the model's ``max_length``) builds the same prompt."""
    at = next(i for i, part in enumerate(prompt.parts) if part.text == text)
    before, after = Prompt(prompt.parts[:at]), Prompt(prompt.parts[at + 1 :])
    return token_ids(before, first_id), token_ids(after, first_id)


def _task_entry(model: EpicEncoder, task: Task, rows: dict) -> dict:
    p, n, marker = model.prompts, min(model.config.n_demos, len(task.demos)), "\x00"
    entry = {"instruction": task.instruction, "type": task.type, "demos": len(task.demos), **rows}
    entry["query_ids_around_text"] = around_text(p.query(marker, task.instruction), marker)
    if n and rows["first_id"] is not None:
        entry["fixed_demos"] = n
        fixed = p.query(marker, task.instruction, n_soft_demos=n)
        entry["query_ids_around_text_fixed"] = around_text(fixed, marker, rows["first_id"])
    return entry


def write_task_file(path: Path, tasks: dict[str, Task]) -> None:
    """The tasks with their demonstrations inline, as :func:`~epic.data.tasks.load_tasks` reads them."""
    import yaml

    items = [
        {"name": t.name, "instruction": t.instruction, "type": t.type,
         "demos": [{"query": d.query, "response": d.response} for d in t.demos]}
        for t in tasks.values()
    ]  # fmt: skip
    path.write_text(yaml.safe_dump({"tasks": items}, sort_keys=False, allow_unicode=True))


def export_vllm(model_path: str | None, output: str | Path, tasks: dict[str, Task] | None = None) -> dict:
    """Write the vLLM folder of an epic model (``None``/``"default"``: the embedded backbone) with the
    demonstrations of ``tasks`` as extra vocabulary; returns the manifest."""
    out = Path(output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists: export into a new folder")
    model = EpicEncoder.from_pretrained(model_path, device="cpu")
    refuse_unservable(model)
    tasks = tasks or {}
    base = model.backbone.get_input_embeddings().weight.shape[0]
    extra, where = demo_rows(model, tasks, base)
    backbone, _ = merged_backbone(model, extra)
    tmp = atomic_dir(out)
    try:
        backbone.save_pretrained(tmp)
        model.tokenizer.save_pretrained(tmp)
        _st_modules(tmp, model)
        parts = tmp / EPIC_PARTS
        parts.mkdir()
        (parts / "epic_config.json").write_text(json.dumps(dataclasses.asdict(model.config), indent=2) + "\n")
        save_file({k: v.detach().cpu().contiguous() for k, v in model.projector.state_dict().items()},
                  str(parts / "projector.safetensors"))  # fmt: skip
        write_task_file(parts / "tasks.yaml", tasks)
        manifest = {
            "format": "epic-vllm", "format_version": FORMAT_VERSION, "epic_version": version("epic-embed"),
            "fingerprint": model.config.fingerprint, "hidden_size": model.hidden_size,
            "base_vocab_size": base, "vocab_size": backbone.config.vocab_size,
            "pooling": model.config.pooling, "pooled_stats": model.pooled_stats.kind,
            "normalize": model.config.normalize, "template": model.config.template,
            "max_length": model.config.max_length,
            "document_ids_around_text": around_text(model.prompts.document("\x00"), "\x00"),
            "tasks": {name: _task_entry(model, t, where[name]) for name, t in tasks.items()},
        }  # fmt: skip
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest
