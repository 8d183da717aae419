"""``epic eval``: run models x demo modes on the offline suite or mteb tasks; write results and a summary.

Results are mteb-standard files under ``OUTPUT/results/<org>__<model>/<revision>/<Task>.json`` (a rerun
reuses them, so an interrupted evaluation continues), plus ``summary.md``, ``summary.json`` and
``summary.png`` (one column per model and mode, the mean over tasks).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..encoder.embedders import PEER_MODEL, is_sentence_transformers_folder, peer_model_path

MODE_LABEL = {"none": "zero-shot", "embedding": "EPIC demos", "text": "text demos"}


@dataclass
class EvalSpec:
    """One column of the results: a model and how it is run."""

    label: str
    kind: str  # epic | st | random
    path: str | None = None
    demo_mode: str = "none"
    n_demos: int = 3
    demo_selection: str = "fixed"
    overrides: dict = field(default_factory=dict)  # EpicConfig fields for a fresh backbone (e.g. template)


def specs_for(model: str, demo_modes: list[str], n_demos: int, selection: str = "fixed", name: str | None = None):
    """Columns for one ``--model`` argument: an epic model gets one per demo mode."""
    if model == PEER_MODEL:
        return [EvalSpec(name or "all-MiniLM-L6-v2", "st", str(peer_model_path()))]
    if model == "random":
        return [EvalSpec("random", "random")]
    path = None if model == "default" else model
    if path is not None:
        p = Path(path)
        if is_sentence_transformers_folder(p):
            return [EvalSpec(name or p.name, "st", path)]
        if not (p / "config.json").is_file() and not (p / "epic_config.json").is_file():
            raise FileNotFoundError(f"{p}: not a model folder (no config.json, epic_config.json or modules.json)")
    base = name or ("SmolLM2-135M (untrained)" if path is None else Path(path).name)
    return [
        EvalSpec(f"{base} · {MODE_LABEL[m]}", "epic", path, m, n_demos if m != "none" else 0, selection)
        for m in demo_modes
    ]


def _task_source(suite: str, tasks: list[str] | None, scale: int) -> tuple[Callable[[], list], dict]:
    """A factory of fresh mteb task objects, and each task as an epic :class:`Task` (its demonstrations)."""
    import mteb

    from ..data.tasks import Task
    from .mteb_model import demos_from_train_split
    from .mteb_tasks import mteb_tasks
    from .suite import build_suite

    if suite == "offline":
        suite_tasks = build_suite(scale)
        return lambda: mteb_tasks(suite_tasks, tasks), {name: t.epic_task() for name, t in suite_tasks.items()}
    if suite != "mteb":
        raise ValueError(f"unknown suite {suite!r}: offline | mteb")
    if not tasks:
        raise ValueError("--suite mteb needs --tasks (official mteb task names; their data must be reachable)")
    fresh = lambda: list(mteb.get_tasks(tasks=tasks))  # noqa: E731
    return fresh, {t.metadata.name: Task(t.metadata.name, _instruction(t), demos_from_train_split(t)) for t in fresh()}


class _Wrappers:
    """The mteb encoder of each spec; an epic model is loaded once for its consecutive specs and its
    document embeddings are shared by all of its modes (retrieval corpora are encoded once per model)."""

    def __init__(
        self, epic_tasks: dict, examples_dir: str | Path | None, batch_size: int, mixed_precision: str,
        instruction: str | None = None,
    ):  # fmt: skip
        self.epic_tasks, self.examples_dir, self.batch_size = epic_tasks, examples_dir, batch_size
        self.mixed_precision, self.instruction = mixed_precision, instruction
        self.loaded: dict[str, object] = {}
        self.documents: dict[str, dict] = {}

    def __call__(self, spec: EvalSpec):
        from ..encoder.model import EpicEncoder
        from .mteb_model import EpicMtebEncoder, RandomMtebEncoder, SentenceTransformerMtebEncoder

        if spec.kind == "st":
            return SentenceTransformerMtebEncoder(spec.path, f"peer/{spec.label}", self.batch_size)
        if spec.kind == "random":
            return RandomMtebEncoder()
        key = json.dumps([spec.path, spec.overrides], sort_keys=True)
        if key not in self.loaded:
            self.loaded.clear()  # one model in memory at a time: a model's modes are evaluated one after another
            self.loaded[key] = EpicEncoder.from_pretrained(
                spec.path, mixed_precision=self.mixed_precision, **spec.overrides
            )
        return EpicMtebEncoder(
            self.loaded[key], f"epic/{spec.label.split(' · ')[0].replace(' ', '_')}", spec.demo_mode,
            spec.n_demos, spec.demo_selection, self.examples_dir, self.epic_tasks, self.batch_size,
            self.documents.setdefault(key, {}), self.instruction,
        )  # fmt: skip


def evaluate_specs(
    specs: list[EvalSpec],
    output: str | Path,
    suite: str = "offline",
    tasks: list[str] | None = None,
    scale: int = 1,
    examples_dir: str | Path | None = None,
    batch_size: int = 32,
    quiet: bool = False,
    mixed_precision: str = "none",
    instruction: str | None = None,
) -> dict[str, dict[str, float]]:
    """Scores ``{label: {task: main score}}``; also writes the summary files into ``output``.
    ``mixed_precision`` (none | bf16 | auto): the epic models' compute precision (see ``EpicEncoder``).
    ``instruction``: every task's instruction replaced by this one for the epic models (e.g. the library's
    default, for a task nobody wrote an instruction for; cached apart from the tasks' own)."""
    import datasets
    import mteb
    from mteb.cache import ResultCache

    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    fresh_tasks, epic_tasks = _task_source(suite, tasks, scale)
    cache, wrap = ResultCache(output), _Wrappers(epic_tasks, examples_dir, batch_size, mixed_precision, instruction)
    scores: dict[str, dict[str, float]] = {}
    logging.getLogger("mteb").setLevel(logging.ERROR)
    datasets.disable_progress_bars()
    for spec in specs:
        if not quiet:
            print(f"epic eval: {spec.label}", flush=True)
        wrapper = wrap(spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # fresh task objects per model: mteb tasks carry RNG state (clustering bootstrap samples) that
            # would otherwise make a model's score depend on the evaluation order
            result = mteb.evaluate(wrapper, fresh_tasks(), cache=cache, show_progress_bar=False, co2_tracker=False)
        # to the 6 digits mteb stores: a rerun that reads the stored results prints the same table
        scores[spec.label] = {r.task_name: round(float(r.main_score), 6) for r in result.task_results}
        del wrapper  # before the next spec loads its model
    write_summary(scores, output, {t.metadata.name: t.metadata.main_score for t in fresh_tasks()})
    return scores


def _instruction(task_obj) -> str:
    from .mteb_model import GENERIC_INSTRUCTIONS

    prompt = task_obj.metadata.prompt
    prompt = prompt.get("query") if isinstance(prompt, dict) else prompt
    return prompt or GENERIC_INSTRUCTIONS.get(task_obj.metadata.type, "Represent the given text")


def summary_table(scores: dict[str, dict[str, float]], metrics: dict[str, str] | None = None) -> str:
    labels = list(scores)
    tasks = sorted({t for s in scores.values() for t in s})
    metrics = metrics or {}
    lines = ["| task | metric | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels)]
    for t in tasks:
        cells = [f"{100 * scores[m][t]:.1f}" if t in scores[m] else "–" for m in labels]
        lines.append(f"| {t} | {metrics.get(t, '')} | " + " | ".join(cells) + " |")
    means = [100 * sum(scores[m].values()) / max(1, len(scores[m])) for m in labels]
    lines.append("| **mean** | | " + " | ".join(f"**{x:.1f}**" for x in means) + " |")
    return "\n".join(lines)


def write_summary(scores: dict[str, dict[str, float]], output: Path, metrics: dict[str, str]) -> None:
    (output / "summary.json").write_text(json.dumps(scores, indent=2) + "\n")
    (output / "summary.md").write_text(summary_table(scores, metrics) + "\n")
    plot_summary(scores, output / "summary.png")


def plot_summary(
    scores: dict[str, dict[str, float]], path: Path, title: str = "offline suite (main score x 100)"
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = list(scores)
    tasks = sorted({t for s in scores.values() for t in s}) + ["mean"]
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(tasks)), 4.5))
    width = 0.8 / max(1, len(labels))
    for i, label in enumerate(labels):
        vals = [100 * scores[label].get(t, np.nan) for t in tasks[:-1]]
        vals.append(float(np.nanmean(vals)) if vals else np.nan)
        ax.bar(np.arange(len(tasks)) + i * width, vals, width, label=label)
    ax.set_xticks(np.arange(len(tasks)) + width * (len(labels) - 1) / 2)
    ax.set_xticklabels(tasks, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("score x 100")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def record_in_model_cards(specs: list[EvalSpec], scores: dict[str, dict[str, float]], suite: str) -> None:
    """Write each saved epic model's measured scores into its folder (``eval_results.json``, the card)."""
    from ..encoder.card import record_results

    for spec in specs:
        if spec.kind == "epic" and spec.path and (Path(spec.path) / "epic_config.json").is_file():
            demos = f" · {spec.n_demos} {MODE_LABEL[spec.demo_mode]}" if spec.demo_mode != "none" else " · zero-shot"
            if spec.label in scores:
                record_results(spec.path, f"{suite} suite{demos}", scores[spec.label])
