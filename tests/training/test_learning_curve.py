"""The learning curve: a fixed validation set, per-step health signals, a learned temperature, pooling."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from epic.data.train_data import load_train_data
from epic.encoder import engine
from epic.training.config import TrainConfig
from epic.training.loss import LogitScale, batch_geometry, info_nce
from epic.training.telemetry import read_log
from epic.training.trainer import Trainer
from epic.training.validation import split_validation

WORDS = ["cat", "dog", "bank", "rain", "museum", "stock", "team", "weather", "bread", "river", "train", "music"]


def write_big_set(folder, n: int = 40):
    """Two tasks of ``n`` examples each: enough to hold some out."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "data.jsonl").open("w") as fh:
        for task in ("defs", "sents"):
            for i in range(n):
                w = f"{WORDS[i % len(WORDS)]} {i}"
                query = w if task == "defs" else f"the {w} was in the story"
                ex = {"query": query, "pos": [f"meaning number {i} of {w}"], "neg": [f"not {w}"], "task": task}
                fh.write(json.dumps({**ex, "instruction": f"retrieve for {task}"}) + "\n")
    return folder / "data.jsonl"


def _config(tmp_path, tiny_dir, **kw) -> TrainConfig:
    base = dict(
        model=str(tiny_dir), data=str(write_big_set(tmp_path / "data")), output=str(tmp_path / "run"),
        batch_size=4, max_steps=4, save_every=0, lr=1e-3, lora_r=4, lora_alpha=8, quiet=True, seed=0,
        eval_examples=4, eval_every=2,
    )  # fmt: skip
    base.update(kw)
    return TrainConfig(**base)


def test_validation_split_is_deterministic_disjoint_and_capped(tmp_path):
    data = load_train_data(write_big_set(tmp_path / "d"))
    train, held = split_validation(data, per_task=3)
    again_train, again_held = split_validation(load_train_data(write_big_set(tmp_path / "e")), per_task=3)
    assert sorted(held) == ["defs", "sents"] and all(len(v) == 3 for v in held.values())
    assert held == again_held and [e.query for e in train.examples] == [e.query for e in again_train.examples]
    held_queries = {(e.task, e.query) for v in held.values() for e in v}
    assert not held_queries & {(e.task, e.query) for e in train.examples}
    assert len(train.examples) + 6 == len(data.examples)
    _, capped = split_validation(data, per_task=100)  # never more than a tenth of a task
    assert all(len(v) == 4 for v in capped.values())
    assert split_validation(data, 0) == (data, {})


def test_batch_geometry_matches_a_direct_computation():
    g = torch.Generator().manual_seed(0)
    q, p, n = torch.randn(4, 8, generator=g), torch.randn(4, 8, generator=g), torch.randn(4, 2, 8, generator=g)
    got = batch_geometry(q, p, n)
    qn, pn, nn_ = F.normalize(q, dim=-1), F.normalize(p, dim=-1), F.normalize(n, dim=-1)
    assert math.isclose(got["pos_cos"], (qn * pn).sum(-1).mean().item(), rel_tol=1e-5)
    hardest = []
    for i in range(4):
        others = [qn[i] @ pn[j] for j in range(4) if j != i] + [qn[i] @ x for x in nn_.reshape(-1, 8)]
        hardest.append(max(o.item() for o in others))
    assert math.isclose(got["hard_neg_cos"], sum(hardest) / 4, rel_tol=1e-5)
    positives = [(qn[i] @ pn[i]).item() for i in range(4)]
    assert got["top1"] == sum(p > h for p, h in zip(positives, hardest)) / 4
    allv = F.normalize(torch.cat([q, p, n.reshape(-1, 8)]), dim=-1)
    pairs = [(allv[i] @ allv[j]).item() for i in range(16) for j in range(16) if i != j]
    assert math.isclose(got["pairwise_cos"], sum(pairs) / len(pairs), rel_tol=1e-4, abs_tol=1e-6)
    spiky = torch.zeros(3, 8)
    spiky[:, 0] = 10.0
    spiky[:, 1:] = 0.1
    assert batch_geometry(spiky, spiky, None)["top3_share"] > 0.99  # one outlier dimension holds the norm


@pytest.mark.parametrize("mode", ["epic", "contrastive"])
def test_the_log_has_a_validation_curve_and_step_signals(tmp_path, tiny_dir, mode):
    Trainer(_config(tmp_path, tiny_dir, mode=mode, max_steps=5)).train()
    steps, evals = read_log(tmp_path / "run" / "train_log.jsonl")
    assert [r["step"] for r in evals] == [0, 2, 4, 5]  # step 0, every eval_every, and the end
    for r in evals:
        assert set(r) >= {"eval_loss", "eval_loss/defs", "eval_loss/sents"}
        assert math.isclose(r["eval_loss"], (r["eval_loss/defs"] + r["eval_loss/sents"]) / 2, rel_tol=1e-6)
        assert ("eval_loss_demos" in r) == (mode == "epic") and 0 <= r["eval_top1"] <= 1
    for r in steps:
        assert r["grad_norm"] > 0 and math.isclose(r["logit_scale"], 1 / TrainConfig.temperature, rel_tol=1e-5)
        assert -1 <= r["pairwise_cos"] <= 1 and 0 < r["top3_share"] <= 1
        assert r["pos_cos"] <= 1 and r["hard_neg_cos"] <= 1
    assert evals[-1]["eval_loss"] != evals[0]["eval_loss"]  # training moved it


def test_false_negative_masking_is_logged_and_changes_nothing_when_nothing_is_masked(tmp_path, tiny_dir):
    def losses(name: str, **kw) -> list[dict]:
        Trainer(_config(tmp_path / name, tiny_dir, mode="epic", max_steps=2, eval_every=0, **kw)).train()
        return read_log(tmp_path / name / "run" / "train_log.jsonl")[0]

    plain, wide, tight = (
        losses("plain"),
        losses("wide", false_negative_margin=1.99),
        losses("tight", false_negative_margin=0.0),
    )
    assert [r["loss"] for r in wide] == [r["loss"] for r in plain]  # no cosine exceeds another's by 1.99
    assert "false_negatives" not in plain[0] and all(r["false_negatives"] == 0 for r in wide)
    assert any(r["false_negatives"] > 0 for r in tight)  # an untrained model ranks some negatives first
    assert [r["loss"] for r in tight] != [r["loss"] for r in plain]
    # the validation loss is the plain InfoNCE whatever the masking: at step 0 the same model scores the same
    first = [read_log(tmp_path / n / "run" / "train_log.jsonl")[1][0]["eval_loss"] for n in ("plain", "tight")]
    assert first[0] == first[1]


def test_the_validation_set_does_not_depend_on_the_seed(tmp_path, tiny_dir):
    # LoRA starts as the identity, so at step 0 two seeds score the same model on the same batches
    a = Trainer(_config(tmp_path / "a", tiny_dir, seed=1)).evaluate()
    b = Trainer(_config(tmp_path / "b", tiny_dir, seed=2)).evaluate()
    assert a == b and a["step"] == 0


def test_a_learned_temperature_moves_stays_clamped_and_resumes(tmp_path, tiny_dir):
    kw = dict(learn_temperature=True, temperature=0.05, temperature_lr=0.05, max_steps=4)
    full = Trainer(_config(tmp_path / "a", tiny_dir, **kw))
    full.train()
    assert full.logit_scale.log_temperature.item() != pytest.approx(math.log(0.05))
    steps, _ = read_log(tmp_path / "a" / "run" / "train_log.jsonl")
    assert len({round(r["logit_scale"], 6) for r in steps}) > 1

    class Killed(Exception):
        pass

    def kill(trainer, record):
        if trainer.step == 3:
            raise Killed

    cfg = _config(tmp_path / "b", tiny_dir, save_every=2, **kw)
    with pytest.raises(Killed):
        Trainer(cfg).train(callback=kill)
    resumed = Trainer(TrainConfig(**{**cfg.__dict__, "resume": True}))
    resumed.train()
    assert resumed.logit_scale().item() == pytest.approx(full.logit_scale().item(), rel=1e-6)
    scale = LogitScale(0.001, learn=True)
    assert scale().item() == pytest.approx(0.01)  # clamped: logits at most 100x the cosine


def test_a_temperature_as_tensor_gives_the_float_result():
    g = torch.Generator().manual_seed(1)
    q, p = torch.randn(3, 8, generator=g), torch.randn(3, 8, generator=g)
    torch.testing.assert_close(info_nce(q, p, temperature=torch.tensor(0.05)), info_nce(q, p, temperature=0.05))


def test_a_non_finite_loss_stops_the_run_before_anything_is_saved(tmp_path, tiny_dir, monkeypatch):
    trainer = Trainer(_config(tmp_path, tiny_dir, eval_examples=0, save_every=1, max_steps=3))
    monkeypatch.setattr(trainer.objective, "forward_backward", lambda inp: (float("nan"), {}))
    with pytest.raises(FloatingPointError, match="non-finite loss"):
        trainer.train()
    assert not (tmp_path / "run" / "model").exists() and not (tmp_path / "run" / "checkpoint").exists()


def test_tensorboard_gets_the_same_scalars(tmp_path, tiny_dir):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    Trainer(_config(tmp_path, tiny_dir, max_steps=2, report_to="tensorboard")).train()
    acc = EventAccumulator(str(tmp_path / "run" / "tensorboard"))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"train/loss", "train/grad_norm", "train/pairwise_cos", "eval_loss", "eval_loss/defs"} <= tags
    _, evals = read_log(tmp_path / "run" / "train_log.jsonl")
    assert [e.step for e in acc.Scalars("eval_loss")] == [r["step"] for r in evals]
    assert acc.Scalars("eval_loss")[0].value == pytest.approx(evals[0]["eval_loss"], rel=1e-6)


@pytest.mark.parametrize("pooling", ["mean", "wmean"])
def test_mean_poolings_match_a_direct_computation_and_ignore_padding(tiny_dir, pooling):
    from epic import EpicEncoder
    from epic.encoder.prompt import pad_batch

    model = EpicEncoder.from_pretrained(tiny_dir, device="cpu", pooling=pooling)
    texts = ["a cat", "a much longer sentence about a dog and a river bank"]
    together = model.encode_documents(texts)
    alone = [model.encode_documents([t])[0] for t in texts]
    torch.testing.assert_close(torch.tensor(together), torch.tensor(np.stack(alone)), rtol=1e-4, atol=1e-5)
    prompt = model.prompts.document(texts[0])
    batch = pad_batch([prompt], model.prompts.pad_id)
    with torch.no_grad():
        h = model.backbone(input_ids=batch["input_ids"]).last_hidden_state[0]
    w = torch.arange(1, h.shape[0] + 1, dtype=h.dtype) if pooling == "wmean" else torch.ones(h.shape[0])
    expected = F.normalize((h * w[:, None]).sum(0) / w.sum(), dim=-1)
    torch.testing.assert_close(torch.tensor(together[0]), expected, rtol=1e-4, atol=1e-5)


def test_the_eol_template_pools_its_own_closing_and_keeps_the_prefix_cache_exact(tiny_dir, task):
    from epic import EpicEncoder
    from epic.encoder.prompt import EOL_CLOSE, EOL_OPEN

    model = EpicEncoder.from_pretrained(tiny_dir, device="cpu", template="eol")
    doc = model.prompts.document("a cat")
    closing = model.tokenizer(EOL_CLOSE, add_special_tokens=False)["input_ids"]
    assert doc.ids[-len(closing) :] == closing and doc.render() == f"{EOL_OPEN}a cat{EOL_CLOSE}"
    query = model.prompts.query("cat", task.instruction)
    assert query.ids[-len(closing) :] == closing and model.tokenizer.eos_token_id not in query.ids[1:]
    texts = ["what is a cat", "a dog"]
    for n in (0, 2):
        cached = model.encode_queries(texts, task=task, n_demos=n, prefix_cache=True)
        plain = model.encode_queries(texts, task=task, n_demos=n, prefix_cache=False)
        np.testing.assert_allclose(cached, plain, atol=1e-5)
    bge = EpicEncoder.from_pretrained(tiny_dir, device="cpu")
    assert not np.allclose(bge.encode_documents(["a cat"]), model.encode_documents(["a cat"]), atol=1e-3)


@pytest.mark.parametrize("kind", ["center", "standardize"])
def test_pooled_stats_are_fitted_on_training_text_saved_and_resumed(tmp_path, tiny_dir, task, kind):
    from epic import EpicEncoder

    cfg = _config(tmp_path / "a", tiny_dir, pooled_stats=kind, template="eol", max_steps=4, save_every=2)
    full = Trainer(cfg)
    assert bool(full.model.pooled_stats.fitted)
    raw_mean = full.model.pooled_stats.mean.clone()
    path = full.train()
    loaded = EpicEncoder.from_pretrained(path, device="cpu")
    torch.testing.assert_close(loaded.pooled_stats.mean, raw_mean)
    texts = ["a cat", "the weather today"]
    np.testing.assert_allclose(loaded.encode_documents(texts), full.model.encode_documents(texts), atol=1e-5)
    np.testing.assert_allclose(
        loaded.encode_queries(texts, task=task, n_demos=2),
        full.model.encode_queries(texts, task=task, n_demos=2),
        atol=1e-5,
    )

    class Killed(Exception):
        pass

    def kill(trainer, record):
        if trainer.step == 3:
            raise Killed

    cfg_b = _config(tmp_path / "b", tiny_dir, pooled_stats=kind, template="eol", max_steps=4, save_every=2)
    with pytest.raises(Killed):
        Trainer(cfg_b).train(callback=kill)
    resumed = Trainer(TrainConfig(**{**cfg_b.__dict__, "resume": True}))
    resumed.train()
    for name, value in resumed.model.named_parameters():
        if value.requires_grad:
            torch.testing.assert_close(value, dict(full.model.named_parameters())[name], rtol=1e-5, atol=1e-6)


def test_a_run_starts_from_another_runs_pooled_stats(tmp_path, tiny_dir):
    from safetensors.torch import save_file

    def trainer(name: str, **kw) -> Trainer:
        return Trainer(_config(tmp_path / name, tiny_dir, pooled_stats="center", template="eol", **kw))

    source = trainer("a", max_steps=1).train()
    own = trainer("b", mode="contrastive").model.pooled_stats
    reused = trainer("c", mode="contrastive", pooled_stats_from=str(source)).model.pooled_stats
    assert torch.equal(reused.mean, own.mean) and torch.equal(reused.std, own.std)  # same text: the same fit
    sample = dict(seed=1, pooled_stats_examples=4)  # another sample of the training text, fitted or not
    other = trainer("d", **sample).model.pooled_stats
    given = trainer("e", **sample, pooled_stats_from=str(source / "pooled_stats.safetensors")).model.pooled_stats
    assert not torch.equal(other.mean, own.mean) and torch.equal(given.mean, own.mean)
    with pytest.raises(FileNotFoundError, match="no pooled statistics"):
        trainer("f", pooled_stats_from=str(tmp_path / "nowhere"))
    bad = tmp_path / "bad.safetensors"
    save_file({"mean": torch.zeros(3), "std": torch.ones(3), "fitted": torch.tensor(True)}, str(bad))
    with pytest.raises(ValueError, match=r"bad.safetensors: mean, std missing or not of this model's shape"):
        trainer("g", pooled_stats_from=str(bad))
    save_file({**{k: v.clone() for k, v in own.state_dict().items()}, "fitted": torch.tensor(False)}, str(bad))
    with pytest.raises(ValueError, match="never fitted"):
        trainer("h", pooled_stats_from=str(bad))


def test_centred_vectors_of_the_fitted_texts_have_zero_mean(tiny_dir):
    from epic import EpicEncoder

    model = EpicEncoder.from_pretrained(tiny_dir, device="cpu", pooled_stats="center")
    with pytest.raises(RuntimeError, match="never fitted"):
        model.encode_documents(["x"])
    prompts = [model.prompts.document(t) for t in WORDS]
    model.fit_pooled_stats(prompts)
    with torch.no_grad():
        pooled = engine.pooled(model, prompts, batch_size=4)
    assert pooled.mean(0).abs().max() < 1e-4 and pooled.abs().max() > 1e-2


def test_bf16_validation_changes_the_curve_not_the_training(tmp_path, tiny_dir):
    from safetensors.torch import load_file

    def run(name: str, **kw) -> tuple[list[dict], list[dict], dict]:
        Trainer(_config(tmp_path / name, tiny_dir, mode="epic", max_steps=3, eval_every=1, **kw)).train()
        steps, evals = read_log(tmp_path / name / "run" / "train_log.jsonl")
        weights = load_file(str(next((tmp_path / name / "run" / "model").rglob("*.safetensors"))))
        return steps, evals, weights

    fp32, bf16 = run("fp32"), run("bf16", eval_precision="bf16")
    assert [r["loss"] for r in fp32[0]] == [r["loss"] for r in bf16[0]]  # the same steps, to the bit
    assert fp32[2].keys() == bf16[2].keys() and all(torch.equal(fp32[2][k], bf16[2][k]) for k in fp32[2])
    gaps = [abs(a["eval_loss"] - b["eval_loss"]) for a, b in zip(fp32[1], bf16[1], strict=True)]
    assert all(0 < g < 0.05 for g in gaps)  # computed in bf16: close to fp32, not equal
    with pytest.raises(ValueError, match=r"TrainConfig.eval_precision must be one of \(None, 'none', 'bf16', 'auto'\)"):
        _config(tmp_path, tiny_dir, eval_precision="fp16")
