"""A saved model explains itself: the model card (``README.md``) and ``epic info``.

The card follows the Hugging Face model-card convention (YAML front matter, then prose) and holds only
facts read from the folder: the EPIC settings from ``epic_config.json``, the training recipe from
``training.json`` (written by ``epic train``) and results from ``eval_results.json`` (written by the
quickstart and ``epic eval``). Nothing is claimed that was not measured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..utils.io import write_text_atomic

TRAINING_FILE = "training.json"
RESULTS_FILE = "eval_results.json"
CARD_FILE = "README.md"
# licences of backbones we know; others are left out of the card rather than guessed
KNOWN_LICENSES = {"default": "apache-2.0"}
SETTINGS = ("template", "pooling", "pooled_stats", "normalize", "projection", "demo_mode", "demo_selection",
            "n_demos", "vectors_per_demo", "demo_markers", "max_length", "lora")  # fmt: skip
TRAINING_KEYS = ("mode", "max_steps", "batch_size", "lr", "warmup_steps", "temperature", "learn_temperature",
                 "hard_negatives", "max_demos", "demo_source", "instruction_dropout", "lora", "lora_r", "lora_alpha",
                 "train_top_layers", "seed")  # fmt: skip


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None


def base_model_name(config: dict[str, Any], folder: Path) -> str:
    """The base model's name: the embedded default's hub name, a local folder's name, or for a merged
    model the base recorded in its training record (``unknown`` without one)."""
    backbone = config.get("backbone", "")
    if backbone == "default":
        return "HuggingFaceTB/SmolLM2-135M-Instruct"
    if backbone == "backbone":  # merged or fully fine-tuned: the original base is in the training record
        base = _read_json(folder / TRAINING_FILE).get("base_model")
        return base or "unknown"
    return Path(backbone).name or backbone


def facts(folder: str | Path) -> dict[str, Any]:
    """What a saved epic model folder is, from its files: the table ``epic info`` prints."""
    folder = Path(folder)
    config = _read_json(folder / "epic_config.json")
    if not config:
        raise FileNotFoundError(f"{folder}: not a saved epic model (no epic_config.json)")
    training = _read_json(folder / TRAINING_FILE)
    weights = "LoRA adapter over the base" if config.get("lora") else "full weights (merged or fine-tuned)"
    weights_folder = folder / ("adapter" if config.get("lora") else "backbone")
    hidden = _read_json(folder / "backbone" / "config.json").get("hidden_size") if not config.get("lora") else None
    out = {
        "folder": str(folder),
        "base model": base_model_name(config, folder),
        "weights": weights if weights_folder.exists() else f"{weights} (missing: {weights_folder.name}/)",
        "pooling": config.get("pooling"),
        "template": config.get("template", "bge"),
        "pooled stats": config.get("pooled_stats", "none"),
        "dimensions": hidden or training.get("hidden_size") or "see the backbone",
        "normalize": config.get("normalize"),
        "projection": config.get("projection"),
        "demo mode": config.get("demo_mode"),
        "default n_demos": config.get("n_demos"),
        "vectors per demo": config.get("vectors_per_demo"),
        "max length": config.get("max_length"),
        "fingerprint": config.get("fingerprint"),
    }
    if training:
        out["training"] = ", ".join(f"{k}={training['config'][k]}" for k in TRAINING_KEYS if k in training["config"])
        if training.get("data"):
            out["training data"] = data_sources(training["data"]) or training["data"].get("source")
    caches = sorted(p.name for p in folder.glob("*.safetensors") if "demo" in p.name)
    out["demo cache"] = ", ".join(caches) if caches else "none"
    return out


def data_sources(data: dict[str, Any]) -> str:
    """The sources a model was trained on, by name and licence ("" when its record names none)."""
    return ", ".join(f"{s.get('title')} ({s.get('licence')})" for s in data.get("sources") or [])


def _front_matter(config: dict[str, Any], training: dict[str, Any], base: str) -> list[str]:
    front: dict[str, Any] = {
        "library_name": "epic",
        "pipeline_tag": "sentence-similarity",
        "tags": ["epic", "sentence-transformers", "feature-extraction", "text-embeddings", "in-context-learning"],
    }
    if base != "unknown":
        front["base_model"] = base
    license_ = KNOWN_LICENSES.get(config.get("backbone", "")) or training.get("license")
    if license_:
        front["license"] = license_
    return ["---", yaml.safe_dump(front, sort_keys=False).strip(), "---"]


def _usage(name: str, base: str) -> list[str]:
    return [
        f"A text-embedding model made with [epic](https://pypi.org/project/epic-embed/) from `{base}`: a decoder "
        "LLM whose pooled hidden state is the embedding, trained to read task demonstrations as soft tokens "
        "(EPIC: embedding-based in-context prompt training).",
        "",
        "## Usage",
        "",
        "```python",
        "from epic import EpicEncoder, Task, Demo",
        "",
        f'model = EpicEncoder.from_pretrained("{name}")',
        'task = Task("defs", "Given a word, retrieve its definition", demos=[Demo("harbor", "a sheltered port")])',
        'queries = model.encode_queries(["thermometer"], task=task, n_demos=1)',
        'documents = model.encode_documents(["an instrument for measuring temperature"])',
        "```",
        "",
        "sentence-transformers:",
        "",
        "```python",
        "from sentence_transformers import SentenceTransformer",
        "",
        f'st = SentenceTransformer("{name}", trust_remote_code=True)',
        'q = st.encode_query(["thermometer"], instruction="Given a word, retrieve its definition",',
        '                    demonstrations=[("harbor", "a sheltered port")])',
        "```",
        "",
        "`trust_remote_code=True` lets sentence-transformers import the module class named in `modules.json` "
        "(`epic.st.EpicSTModule`, from the installed `epic` package): load folders you do not trust only "
        "after reading that file.",
    ]


def _training_section(training: dict[str, Any]) -> list[str]:
    if not training:
        return ["No training record in this folder (an untrained backbone, or saved outside `epic train`)."]
    c = training["config"]
    lines = ["| field | value |", "|---|---|"] + [f"| {k} | {c[k]} |" for k in TRAINING_KEYS if k in c]
    data = training.get("data") or {}
    if data:
        sha = f" (manifest sha256 `{data['manifest_sha256']}`)" if data.get("manifest_sha256") else ""
        lines += ["", f"Data: `{data.get('source')}`{sha}"]
        if data.get("sources"):
            lines += ["", "| source | domain | licence |", "|---|---|---|"]
            lines += [f"| {s.get('title')} | {s.get('domain')} | {s.get('licence')} |" for s in data["sources"]]
            lines += [""]
        if data.get("negatives mined by"):
            lines += [f"Hard negatives mined by `{data['negatives mined by']}` (`epic data mine`).", ""]
        lines += [f"- {task}: {n} examples" for task, n in (data.get("examples") or {}).items()]
    if training.get("validation"):
        lines += ["", f"Learning curve: {training['validation']}."]
    return lines


def _results_section(results: dict[str, Any]) -> list[str]:
    if not results:
        return ["Not evaluated yet: `epic eval --model PATH` records its results here."]
    lines = ["Measured by `epic eval` / `epic quickstart` on this folder (main score x 100):", ""]
    lines += ["| evaluation | task | score |", "|---|---|---|"]
    for label, scores in results.items():
        lines += [f"| {label} | {task} | {100 * value:.1f} |" for task, value in scores.items()]
    return lines


def describe(config: Any, dimensions: int, adapter: bool, cached_tasks: int) -> dict[str, Any]:
    """What a loaded model is, for ``EpicEncoder.describe`` (``config``: its :class:`EpicConfig`)."""
    c = config
    return {
        "backbone": c.backbone, "weights": "LoRA adapter" if adapter else "full", "pooling": c.pooling,
        "template": c.template, "pooled stats": c.pooled_stats, "dimensions": dimensions,
        "projection": c.projection, "demo mode": c.demo_mode, "default n_demos": c.n_demos,
        "vectors per demo": c.vectors_per_demo, "max length": c.max_length, "fingerprint": c.fingerprint,
        "cached demo tasks": cached_tasks,
    }  # fmt: skip


def render_card(folder: str | Path, name: str | None = None) -> str:
    """The model card of a saved epic model, from its files (``name``: the folder's final name)."""
    folder = Path(folder)
    name = name or folder.name
    config = _read_json(folder / "epic_config.json")
    training = _read_json(folder / TRAINING_FILE)
    base = base_model_name(config, folder)
    lines = [*_front_matter(config, training, base), "", f"# {name}", "", *_usage(name, base), ""]
    lines += ["## EPIC settings", "", "| setting | value |", "|---|---|"]
    lines += [f"| {key} | {config.get(key)} |" for key in SETTINGS]
    lines += ["", "## Training", "", *_training_section(training)]
    lines += ["", "## Results", "", *_results_section(_read_json(folder / RESULTS_FILE))]
    return "\n".join(lines) + "\n"


def write_card(folder: str | Path, name: str | None = None) -> None:
    write_text_atomic(Path(folder) / CARD_FILE, render_card(folder, name))


def record_results(folder: str | Path, label: str, scores: dict[str, float]) -> None:
    """Add one evaluation's per-task main scores to the folder's results and re-render its card."""
    folder = Path(folder)
    results = _read_json(folder / RESULTS_FILE)
    results[label] = scores
    write_text_atomic(folder / RESULTS_FILE, json.dumps(results, indent=2) + "\n")
    write_card(folder)
