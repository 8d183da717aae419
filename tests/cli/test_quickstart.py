"""The main job end to end on a tiny backbone: trains both models, evaluates, reports, resumes."""

from __future__ import annotations

import json
import re

import pytest
import torch

pytestmark = pytest.mark.integration


def test_quickstart_runs_reports_and_resumes(tiny_dir, tmp_path, monkeypatch):
    from train_fixtures import write_train_set

    from epic.encoder.engine import bf16_is_native
    from epic.recipes.quickstart import QuickstartConfig, run_quickstart

    monkeypatch.setenv("EPIC_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "qs"
    data = write_train_set(tmp_path / "data", copies=3)  # the default set's builder is tested in tests/data
    cfg = QuickstartConfig(output=str(out), model=str(tiny_dir), data=str(data), steps=4, batch_size=4,
                           skip_peer=True, threads=1, train_top_layers=1)  # fmt: skip
    table = run_quickstart(cfg)
    for name in ("model/epic_config.json", "baseline/epic_config.json", "report.md", "report.png", "curves.png"):
        assert (out / name).is_file(), name
    assert json.loads((out / "model" / "epic_config.json").read_text())["demo_mode"] == "embedding"
    assert json.loads((out / "baseline" / "epic_config.json").read_text())["demo_mode"] == "none"
    for mode in ("epic", "contrastive"):  # the override reaches both trainings, and the report says so
        assert json.loads((out / "runs" / mode / "train_config.json").read_text())["train_top_layers"] == 1
        # validation at the start, middle and end of any budget
        log = [json.loads(line) for line in (out / "runs" / mode / "train_log.jsonl").read_text().splitlines()]
        assert [rec["step"] for rec in log if "eval_loss" in rec] == [0, 2, 4]
    report = (out / "report.md").read_text()
    assert "'train_top_layers': 1" in report
    scores = json.loads((out / "quickstart.json").read_text())["scores"]
    expected = {"untrained-start · zero-shot", "contrastive · zero-shot", "EPIC · zero-shot"}
    assert set(scores) == expected | {"EPIC · 3 demos"}
    assert (
        len(re.findall(r"validation loss [\d.]+ -> [\d.]+ \(x[\d.]+ of step 0", report)) == 2
    )  # each model's learning curve, from its held-out batches
    # the untrained start carries the statistics the EPIC run fitted before its first step, exactly
    from safetensors.torch import load_file

    start, trained = (load_file(str(out / d / "pooled_stats.safetensors")) for d in ("untrained-start", "model"))
    assert start.keys() == trained.keys() and all((start[k] == trained[k]).all() for k in start)
    # and the baseline starts from them too, instead of fitting the same statistics again
    assert json.loads((out / "runs" / "contrastive" / "train_config.json").read_text())["pooled_stats_from"] == str(
        out / "model"
    )
    baseline = load_file(str(out / "baseline" / "pooled_stats.safetensors"))
    assert all((baseline[k] == trained[k]).all() for k in trained)
    native = bf16_is_native(torch.device("cpu"))  # the recipe's `auto`: bf16 matmuls where native, fp32 elsewhere
    trained_in = "bf16 matmuls over fp32 weights (auto)" if native else "fp32 (auto)"
    assert f"Compute precision: training {trained_in}, evaluation" in report
    card = (out / "model" / "README.md").read_text()  # the measured scores reach the model card
    for task, value in scores["EPIC · zero-shot"].items():
        assert f"| offline suite · zero-shot | {task} | {100 * value:.1f} |" in card

    def suite_mean(label: str) -> float:
        return 100 * sum(scores[label].values()) / len(scores[label])

    start = suite_mean("untrained-start · zero-shot")
    gain = suite_mean("EPIC · zero-shot") - start  # what training added to where it starts
    assert f"{start:.1f}): EPIC zero-shot {gain:+.1f}" in report
    for label in scores:  # the report shows exactly the measured means
        mean = suite_mean(label)
        assert f"**{mean:.1f}**" in table and f"**{mean:.1f}**" in report
    # a rerun reuses the trained models and the stored results, and gives the same table
    mtime = (out / "model" / "epic_config.json").stat().st_mtime
    assert run_quickstart(cfg) == table
    assert (out / "model" / "epic_config.json").stat().st_mtime == mtime


def test_the_cpu_config_file_trains_with_the_quickstart_recipe():
    """configs/epic-cpu.yaml is the quickstart's recipe for a longer run: every field the recipe sets agrees,
    except the validation schedule, which follows the run's length."""
    from pathlib import Path

    from epic.recipes.quickstart import CPU_RECIPE
    from epic.training.config import TrainConfig
    from epic.utils.config_io import load_yaml

    cfg = load_yaml(TrainConfig, Path(__file__).parents[2] / "configs" / "epic-cpu.yaml")
    schedule = {"eval_examples", "eval_every"}
    differ = {k: (getattr(cfg, k), v) for k, v in CPU_RECIPE.items() if k not in schedule and getattr(cfg, k) != v}
    assert differ == {}
