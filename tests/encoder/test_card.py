"""A saved model explains itself: the model card, ``epic info``, ``--model default``, ``--version``."""

from __future__ import annotations

import json

import pytest
import yaml
from train_fixtures import write_train_set

from epic import EpicEncoder, __version__
from epic.cli import main
from epic.encoder.card import facts, record_results
from epic.training.config import TrainConfig
from epic.training.trainer import Trainer


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


@pytest.fixture
def trained(tmp_path, tiny_dir):
    cfg = TrainConfig(
        model=str(tiny_dir), data=str(write_train_set(tmp_path / "data")), output=str(tmp_path / "run"),
        batch_size=4, max_steps=2, save_every=0, lora_r=4, lora_alpha=8, quiet=True, seed=7, lr=3e-4,
    )  # fmt: skip
    return Trainer(cfg).train(), cfg


def test_a_trained_model_has_a_card_that_matches_its_config(trained):
    path, cfg = trained
    card = (path / "README.md").read_text()
    front = _front_matter(card)
    assert front["library_name"] == "epic" and front["pipeline_tag"] == "sentence-similarity"
    assert "sentence-transformers" in front["tags"]
    saved = json.loads((path / "epic_config.json").read_text())
    for key in ("pooling", "projection", "demo_mode", "n_demos", "vectors_per_demo"):
        assert f"| {key} | {saved[key]} |" in card, key
    for key in ("mode", "max_steps", "batch_size", "lr", "lora_r", "lora_alpha", "seed"):
        assert f"| {key} | {getattr(cfg, key)} |" in card, key
    assert "trust_remote_code=True" in card and f'from_pretrained("{path.name}")' in card
    assert "- defs: 12 examples" in card
    assert "Not evaluated yet" in card  # no number that was not measured
    record = json.loads((path / "training.json").read_text())
    assert record["config"]["seed"] == 7 and record["data"]["examples"] == {"defs": 12, "sents": 12}


def test_results_recorded_after_an_evaluation_appear_in_the_card(trained):
    path, _ = trained
    record_results(path, "offline suite · zero-shot", {"TaskA": 0.5, "TaskB": 0.25})
    card = (path / "README.md").read_text()
    assert "| offline suite · zero-shot | TaskA | 50.0 |" in card and "Not evaluated yet" not in card
    assert json.loads((path / "eval_results.json").read_text())["offline suite · zero-shot"]["TaskB"] == 0.25


def test_info_prints_the_facts_of_a_folder(trained, capsys):
    path, _ = trained
    main(["info", str(path)])
    out = capsys.readouterr().out
    assert "LoRA adapter" in out and "pooling" in out and "mode=epic" in out
    described = EpicEncoder.from_pretrained(path, device="cpu").describe()
    assert described["fingerprint"] == facts(path)["fingerprint"] and described["weights"] == "LoRA adapter"
    with pytest.raises(SystemExit) as e:
        main(["info", str(path / "nope")])
    assert e.value.code == 2
    assert "not a saved epic model" in capsys.readouterr().err


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"epic {__version__}"


def test_default_spelled_out_means_the_embedded_default(tiny_dir, monkeypatch):
    import epic.encoder.model as model_module

    asked = []

    def fake_resolve(name):
        asked.append(name)
        return tiny_dir

    monkeypatch.setattr(model_module, "resolve_backbone", fake_resolve)
    for spelling in (None, "default"):
        model = EpicEncoder.from_pretrained(spelling, device="cpu")
        assert model.config.backbone == "default"
    assert asked == ["default", "default"]


def test_a_model_trained_on_a_built_set_names_its_sources_and_licences(tmp_path, tiny_dir, capsys):
    """`epic info` and the card list the sources by name and licence (the manifest of `epic data build`),
    not the local cache path the set was read from."""
    data = write_train_set(tmp_path / "data")
    sources = [
        {"name": "brown", "title": "the Brown Corpus", "domain": "edited prose", "licence": "MIT", "examples": 12},
        {"name": "sotu", "title": "State of the Union addresses", "domain": "speeches", "licence": "CC0-1.0",
         "examples": 12},
    ]  # fmt: skip
    (data / "manifest.json").write_text(json.dumps({"builder": 3, "sources": sources, "tasks": {}}))
    cfg = TrainConfig(model=str(tiny_dir), data=str(data), output=str(tmp_path / "run"), batch_size=4, max_steps=1,
                      save_every=0, lora_r=4, lora_alpha=8, quiet=True)  # fmt: skip
    path = Trainer(cfg).train()
    assert facts(path)["training data"] == "the Brown Corpus (MIT), State of the Union addresses (CC0-1.0)"
    main(["info", str(path)])
    assert "the Brown Corpus (MIT), State of the Union addresses (CC0-1.0)" in capsys.readouterr().out
    card = (path / "README.md").read_text()
    assert "| the Brown Corpus | edited prose | MIT |" in card and "| State of the Union addresses | speeches |" in card
