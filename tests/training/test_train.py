"""Training: loss against a reference, 2 processes vs 1, GradCache, resume, modes, data errors."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file
from train_fixtures import write_train_set

from epic.data.tasks import DataError
from epic.data.train_data import load_train_data
from epic.encoder.config import DEFAULT_INSTRUCTION
from epic.training.batches import TaskBatchPlan, make_batch
from epic.training.config import TrainConfig
from epic.training.loss import info_nce
from epic.training.trainer import Trainer


def naive_info_nce(q, p, n, t, in_batch=True, margin=None):
    q, p = torch.nn.functional.normalize(q, dim=-1), torch.nn.functional.normalize(p, dim=-1)
    n = torch.nn.functional.normalize(n, dim=-1) if n is not None else None
    total = 0.0
    for i in range(q.shape[0]):
        if in_batch:
            cands = [p[j] for j in range(p.shape[0]) if j != i] + (
                [x for row in n for x in row] if n is not None else []
            )
        else:
            cands = [x for x in n[i]] if n is not None else []
        if margin is not None:  # a negative scoring above the positive by more than the margin is left out
            cands = [c for c in cands if q[i] @ c <= q[i] @ p[i] + margin]
        logits = torch.stack([q[i] @ c / t for c in [p[i], *cands]])
        total += -(logits[0] - torch.logsumexp(logits, 0))
    return total / q.shape[0]


@pytest.mark.parametrize("h", [0, 3])
@pytest.mark.parametrize("in_batch", [True, False])
def test_info_nce_matches_naive_reference(h, in_batch):
    g = torch.Generator().manual_seed(h)
    q, p = torch.randn(5, 8, generator=g), torch.randn(5, 8, generator=g)
    n = torch.randn(5, h, 8, generator=g) if h else None
    got = info_nce(q, p, n, temperature=0.05, in_batch_negatives=in_batch)
    torch.testing.assert_close(got, naive_info_nce(q, p, n, 0.05, in_batch), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("h", [0, 3])
@pytest.mark.parametrize("in_batch", [True, False])
def test_false_negative_margin_leaves_out_candidates_scoring_above_the_positive(h, in_batch):
    g = torch.Generator().manual_seed(10 + h)
    q, p = torch.randn(6, 8, generator=g), torch.randn(6, 8, generator=g)
    n = torch.randn(6, h, 8, generator=g) if h else None
    if not in_batch and not h:
        return  # nothing but the positive to leave out
    stats: dict = {}
    got = info_nce(q, p, n, temperature=0.05, in_batch_negatives=in_batch, false_negative_margin=0.1, stats=stats)
    torch.testing.assert_close(got, naive_info_nce(q, p, n, 0.05, in_batch, margin=0.1), rtol=1e-5, atol=1e-5)
    plain = info_nce(q, p, n, temperature=0.05, in_batch_negatives=in_batch)
    assert 0 < stats["false_negatives"] < 1 and got.item() < plain.item()  # random vectors: some are left out


def test_two_processes_equal_one_with_cross_device_and_hard_negatives(tmp_path):
    import dist_helpers

    out = tmp_path / "dist.safetensors"
    mp.spawn(dist_helpers.worker, args=(2, str(tmp_path / "init"), str(out)), nprocs=2, join=True)
    two = load_file(str(out))
    xq, xp, xn = dist_helpers.make_problem()
    loss, grads = dist_helpers.loss_and_grads(xq, xp, xn, cross_device=False)
    torch.testing.assert_close(two["loss"], loss, rtol=1e-5, atol=1e-6)
    for name, g in grads.items():
        torch.testing.assert_close(two[name], g, rtol=1e-4, atol=1e-6)
    # and the labels matter: pairing rank-1 queries with rank-0 positives would change the loss
    wrong, _ = dist_helpers.loss_and_grads(xq, torch.roll(xp, 4, 0), xn, cross_device=False)
    assert abs(wrong.item() - loss.item()) > 1e-3


# -- data, batches, demonstrations ----------------------------------------------------------------
def test_plan_is_task_homogeneous_deterministic_and_never_uses_own_pair(tmp_path):
    data = load_train_data(write_train_set(tmp_path / "d"))
    plan = TaskBatchPlan(data, batch_size=4, seed=3)
    again = TaskBatchPlan(data, batch_size=4, seed=3)
    seen_tasks = set()
    for step in range(3 * plan.batches_per_epoch):
        task, idx = plan.step(step)
        assert {data.examples[i].task for i in idx} == {task}
        assert again.step(step) == (task, idx)
        seen_tasks.add(task)
        batch = make_batch(plan, step, hard_negatives=1, max_demos=5)
        assert len(batch.queries) == data.tasks[task].batch_size or len(batch.queries) == 4
        for i, demos in enumerate(batch.demos):
            assert i not in demos and len(set(demos)) == len(demos) and len(demos) <= 5
    assert seen_tasks == {"defs", "sents"}
    n = plan.batches_per_epoch
    assert [plan.step(s) for s in range(n)] != [plan.step(n + s) for s in range(n)]  # reshuffled every epoch


def test_instruction_dropout_gives_some_demo_prompts_the_generic_instruction_only(tmp_path, tiny_dir):
    trainer = Trainer(_config(tmp_path, tiny_dir, max_demos=3, instruction_dropout=0.5))
    plain, counts = Trainer(_config(tmp_path, tiny_dir, max_demos=3, output=str(tmp_path / "plain"))), [0, 0]
    for step in range(6):
        batch, before = make_batch(trainer.plan, step, 1, 3, 0, 0.5), make_batch(plain.plan, step, 1, 3)
        assert (batch.queries, batch.demos, batch.negatives) == (before.queries, before.demos, before.negatives)
        assert make_batch(trainer.plan, step, 1, 3, 0, 0.5) == batch and not before.generic
        assert not any(g for g, d in zip(batch.generic, batch.demos) if not d)  # only queries with demos
        inp, ref = trainer.objective.prepare(batch), plain.objective.prepare(before)
        assert [x.ids for x in inp.base] == [x.ids for x in ref.base]  # zero-shot prompts keep the task's
        for row, prompt, prompt_before in zip(inp.icl_rows, inp.icl, ref.icl):
            assert _instruction(prompt_before) == batch.task.instruction
            assert _instruction(prompt) == (DEFAULT_INSTRUCTION if batch.generic[row] else batch.task.instruction)
            assert [p.source for p in prompt.parts] == [p.source for p in prompt_before.parts]  # same soft slots
            counts[batch.generic[row]] += 1
    assert min(counts) > 0  # both kinds were drawn


@pytest.mark.parametrize("vectors, source", [(2, "outside"), (1, "outside"), (2, "shared")])
def test_outside_demos_are_pairs_of_the_task_from_outside_the_batch(tmp_path, tiny_dir, vectors, source):
    """demo_source=outside: each rank draws K pairs of the step's task outside the global batch (never a
    query's candidate), its queries' demos are rows of them, and their vector prompts join f(base)
    after the zero-shot rows, the same prompts an in-batch demo would have had; shared: every query
    takes the first k of them, in order."""
    kw = dict(max_demos=3, vectors_per_demo=vectors)
    trainer = Trainer(_config(tmp_path, tiny_dir, demo_source=source, **kw))
    plain = Trainer(_config(tmp_path, tiny_dir, output=str(tmp_path / "plain"), **kw))
    c, prompts = trainer.cfg, trainer.model.prompts
    for step in range(4):
        batch, before = make_batch(trainer.plan, step, 1, 3, demo_source=source), make_batch(plain.plan, step, 1, 3)
        assert batch == make_batch(trainer.plan, step, 1, 3, demo_source=source)  # deterministic
        assert (batch.queries, batch.positives, batch.negatives) == (before.queries, before.positives, before.negatives)
        task_queries = {trainer.data.examples[i].query for i in trainer.plan.by_task[batch.task.name]}
        _, global_batch = trainer.plan.step(step)
        outside = task_queries - {trainer.data.examples[i].query for i in global_batch}
        assert len(batch.demo_pairs) == 3 and all(d.query in outside for d in batch.demo_pairs)
        assert not {d.response for d in batch.demo_pairs} & set(batch.positives)
        assert all(set(d) <= {0, 1, 2} and len(set(d)) == len(d) for d in batch.demos) and any(batch.demos)
        if source == "shared":
            assert all(d == list(range(len(d))) for d in batch.demos) and len({len(d) for d in batch.demos}) > 1
        inp, ref = trainer.objective.prepare(batch), plain.objective.prepare(before)
        fixed = len(batch.queries) * (2 + len(batch.negatives[0]))
        assert [x.ids for x in inp.base[:fixed]] == [x.ids for x in ref.base[:fixed]]
        order = list(dict.fromkeys(j for d in batch.demos for j in d))  # first use
        pairs = [batch.demo_pairs[j] for j in order]
        expected = prompts.demo_vector_prompts(batch.task.as_task(), pairs, c.query_max_length, c.passage_max_length)
        assert [x.ids for x in inp.base[fixed:]] == [x.ids for x in expected]
        for row, prompt in zip(inp.icl_rows, inp.icl, strict=True):
            slots = [p.source for p in prompt.parts if p.source >= 0]
            assert slots == [fixed + vectors * order.index(j) + v for j in batch.demos[row] for v in range(vectors)]


def _instruction(prompt) -> str:
    (text,) = [p.text for p in prompt.parts if p.text.startswith("<instruct>")]
    return text.removeprefix("<instruct>").split("\n")[0]


def test_ranks_take_slices_of_the_same_global_batch(tmp_path):
    data = load_train_data(write_train_set(tmp_path / "d"))
    data.tasks["sents"].batch_size = None  # per-process size, which would differ between the two
    one = TaskBatchPlan(data, batch_size=4, world_size=1, seed=0)
    two = TaskBatchPlan(data, batch_size=2, world_size=2, seed=0)
    for step in range(4):
        assert one.step(step) == two.step(step)
        full = make_batch(one, step, 1, 0)
        if len(full.queries) != 4:
            continue
        parts = [make_batch(two, step, 1, 0, rank=r) for r in range(2)]
        assert parts[0].queries + parts[1].queries == full.queries
        assert parts[0].negatives + parts[1].negatives == full.negatives


def test_bad_training_files_name_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.jsonl"
    cases = {
        '{"query": "q", "pos": ["p"], "instruction": "i"}\n{"query": "q", "pos": []}\n': r"bad.jsonl:2: field 'pos'",
        '{"query": "q", "pos": ["p"], "instruction": "i"}\n{"pos": ["p"]}\n': r"bad.jsonl:2: field 'query'",
        '{"query": "q", "pos": ["p", 3], "instruction": "i"}\n': r"bad.jsonl:1: field 'pos\[1\]'",
        '{"query": "q", "pos": ["p"], "neg": "x", "instruction": "i"}\n': r"bad.jsonl:1: field 'neg'",
        '{"query": "q", "pos": ["p"], "instruction": "i"}\n{"query": "q", "pos": ["p"\n': r"bad.jsonl:2: not valid JSON",
        '{"query": "q", "pos": ["p"]}\n': r"bad.jsonl:1: field 'instruction' is missing",
        '{"query": "q", "pos": ["p"], "instruction": "i", "type": "sts"}\n': r"bad.jsonl:1: field 'type'",
        '{"query": "q", "pos": ["p"], "instruction": "i", "extra": 1}\n': r"bad.jsonl:1: unknown field",
    }
    for text, pattern in cases.items():
        bad.write_text(text)
        with pytest.raises(DataError, match=pattern):
            load_train_data(bad)
    bad.write_text('{"query": "q", "pos": ["p"], "instruction": "i"}\n{"query": 1}\nnot json\n')
    data = load_train_data(bad, skip_bad=True)
    assert len(data.examples) == 1 and len(data.skipped) == 2
    assert "bad.jsonl:2" in data.skipped[0] and "bad.jsonl:3" in data.skipped[1]
    tasks = tmp_path / "tasks.yaml"
    tasks.write_text("tasks:\n  - {name: t, instruction: i, batch_size: 1}\n")
    with pytest.raises(DataError, match=r"tasks.yaml: tasks\[0\]: field 'batch_size'"):
        load_train_data(bad, tasks)


# -- the trainer ----------------------------------------------------------------------------------
def _config(tmp_path, tiny_dir, **kw) -> TrainConfig:
    base = dict(
        model=str(tiny_dir),
        data=str(write_train_set(tmp_path / "data")),
        output=str(tmp_path / "run"),
        batch_size=4,
        max_steps=4,
        save_every=0,
        lr=1e-3,
        lora_r=4,
        lora_alpha=8,
        quiet=True,
        seed=0,
    )
    base.update(kw)
    return TrainConfig(**base)


def _trainable(trainer):
    return {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize(
    "kw",
    [
        dict(mode="epic"),
        dict(mode="epic", vectors_per_demo=1, projection="mlp", detach_demos=True, train_top_layers=1),
        dict(mode="text-icl"),
        dict(mode="contrastive", lora=False, train_top_layers=1),
    ],
    ids=["epic", "epic-1vec-mlp-detached", "text-icl", "contrastive-full-top1"],
)
def test_grad_cache_gives_the_plain_gradients(tmp_path, tiny_dir, kw):
    results = []
    for chunk in (None, 3):
        trainer = Trainer(_config(tmp_path, tiny_dir, grad_cache_chunk=chunk, max_demos=3, hard_negatives=2, **kw))
        batch = make_batch(trainer.plan, 0, 2, 3)
        assert any(batch.demos)
        loss, _ = trainer.objective.forward_backward(trainer.objective.prepare(batch))
        results.append((loss, {n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.grad is not None}))
    (loss_a, ga), (loss_b, gb) = results
    if kw.get("train_top_layers"):  # only the top layer (and the projector) is trained
        assert all(".layers.1." in n or n.startswith(("projector", "backbone.norm")) for n in ga), sorted(ga)
    assert math.isclose(loss_a, loss_b, rel_tol=1e-5)
    assert ga.keys() == gb.keys() and ga
    for name in ga:  # equal up to float noise (chunks pad differently): compare as whole tensors
        assert (ga[name] - gb[name]).norm() <= 1e-3 * ga[name].norm() + 1e-7, name


def _grads(trainer) -> dict[str, torch.Tensor]:
    return {n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.grad is not None}


def _chunked_reference(objective, inp, chunk: int) -> float:
    """The loss of chunk-by-chunk forwards with graphs, in GradCache's order, back-propagated directly."""
    m = objective.model
    E = torch.cat([m.embed(inp.base[s : s + chunk]) for s in range(0, len(inp.base), chunk)])
    table = objective.demo_table(E)
    QI = torch.cat([m.embed(inp.icl[s : s + chunk], table) for s in range(0, len(inp.icl), chunk)])
    loss, _ = objective.loss_from(E, QI, inp)
    loss.backward()
    return loss.item()


@pytest.mark.parametrize("mode", ["epic", "text-icl", "contrastive"])
def test_length_groups_give_the_one_forward_step(tmp_path, tiny_dir, monkeypatch, mode):
    """A step whose forwards run split by length has the loss and gradients of one padded forward each."""
    from epic.encoder import engine

    monkeypatch.setattr(engine, "GROUP_OVERHEAD", 0)  # split even the tiny set's short prompts
    results = []
    for groups in (1, 4):
        trainer = Trainer(_config(tmp_path, tiny_dir, mode=mode, length_groups=groups, max_demos=3, hard_negatives=2))
        inp = trainer.objective.prepare(make_batch(trainer.plan, 0, 2, 3))
        assert len(engine.length_groups([len(p) for p in inp.base], groups)) == (1 if groups == 1 else 4)
        loss, _ = trainer.objective.forward_backward(inp)
        results.append((loss, _grads(trainer)))
    (loss_one, grads_one), (loss_split, grads_split) = results
    assert math.isclose(loss_split, loss_one, rel_tol=1e-5)
    assert grads_one.keys() == grads_split.keys() and grads_one
    for name in grads_one:
        assert (grads_split[name] - grads_one[name]).norm() <= 1e-4 * grads_one[name].norm() + 1e-7, name


@pytest.mark.parametrize("chunk", [64, 3], ids=["one-chunk", "chunks-of-3"])
def test_grad_cache_replays_dropout(tmp_path, tiny_dir, chunk):
    """With dropout > 0, GradCache re-runs each chunk under the random state of its first pass: its
    gradients equal the plain step's (one chunk) or the chunked forward's with graphs (chunks of 3)."""
    results = []
    for cached in (False, True):
        trainer = Trainer(_config(tmp_path, tiny_dir, grad_cache_chunk=chunk if cached else None, lora_dropout=0.3,
                                  max_demos=3, hard_negatives=2))  # fmt: skip
        inp = trainer.objective.prepare(make_batch(trainer.plan, 0, 2, 3))
        torch.manual_seed(7)
        if cached:
            loss, _ = trainer.objective.forward_backward(inp)
        elif chunk >= len(inp.base):
            loss, _ = trainer.objective.forward_backward(inp)
        else:
            loss = _chunked_reference(trainer.objective, inp, chunk)
        results.append((loss, _grads(trainer), torch.rand(1)))  # and the generator continues alike
    (loss_a, ga, next_a), (loss_b, gb, next_b) = results
    assert math.isclose(loss_a, loss_b, rel_tol=1e-5) and torch.equal(next_a, next_b)
    assert ga.keys() == gb.keys() and any("lora" in n for n in ga)
    for name in ga:
        assert (ga[name] - gb[name]).norm() <= 1e-4 * ga[name].norm() + 1e-7, name


@pytest.mark.parametrize("mode, demo_source", [("epic", "batch"), ("epic", "outside"), ("text-icl", "outside"),
                                               ("text-icl", "batch"), ("contrastive", "batch")])  # fmt: skip
def test_a_few_steps_lower_the_loss(tmp_path, tiny_dir, mode, demo_source):
    kw = dict(mode=mode, max_steps=8, lora=False, lr=3e-3, demo_source=demo_source)
    trainer = Trainer(_config(tmp_path, tiny_dir, **kw))
    batch = make_batch(trainer.plan, 0, 1, 5, demo_source=demo_source)
    inp = trainer.objective.prepare(batch)

    def fixed_loss():
        with torch.no_grad():
            return trainer.objective.loss_from(*trainer.objective.forward(inp), inp)[0].item()

    before = fixed_loss()
    trainer.train()
    assert fixed_loss() < before - 0.05
    log = [json.loads(x) for x in (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == list(range(1, 9))
    assert all(math.isfinite(r["loss"]) and r["examples_per_s"] > 0 for r in log)
    if mode != "contrastive":
        assert any("demo_cos" in r for r in log)


def test_demo_loss_weight_scales_the_with_demonstrations_term_only(tmp_path, tiny_dir):
    """EPIC's loss is w * InfoNCE(with demos) + InfoNCE(zero-shot); at w = 0 a run trains exactly as the
    contrastive baseline does (same batches, same weights after its steps)."""
    trainer = Trainer(_config(tmp_path, tiny_dir, max_demos=3))
    inp = trainer.objective.prepare(make_batch(trainer.plan, 0, 1, 3))
    assert inp.icl
    with torch.no_grad():
        E, QI = trainer.objective.forward(inp)
        losses = {}
        for w in (0.0, 0.3, 1.0):
            trainer.cfg.demo_loss_weight = w
            losses[w] = trainer.objective.loss_from(E, QI, inp)[0].item()
    zero_shot, with_demos = losses[0.0], losses[1.0] - losses[0.0]
    assert with_demos > 0.01 and math.isclose(losses[0.3], zero_shot + 0.3 * with_demos, rel_tol=1e-5)
    weights = []
    for kw in (dict(mode="epic", demo_loss_weight=0.0), dict(mode="contrastive")):
        run = Trainer(_config(tmp_path, tiny_dir, max_steps=3, output=str(tmp_path / kw["mode"]), **kw))
        run.train()
        weights.append(_trainable(run))
    assert weights[0].keys() == weights[1].keys()
    for name, w in weights[1].items():
        assert torch.allclose(weights[0][name], w, atol=1e-6), name


def _resume_and_compare(cfg: TrainConfig, from_step: int, expected: dict) -> None:
    """Resume ``cfg``'s run from its checkpoint at ``from_step``; its trained weights must equal ``expected``."""
    resumed = Trainer(TrainConfig(**{**cfg.__dict__, "resume": True}))
    assert resumed.step == from_step
    resumed.train()
    got = _trainable(resumed)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-5, atol=1e-6)


def test_resume_after_kill_reproduces_the_uninterrupted_run(tmp_path, tiny_dir):
    full = Trainer(_config(tmp_path / "a", tiny_dir, max_steps=5, lora_dropout=0.1))
    full.train()
    expected = _trainable(full)

    class Killed(Exception):
        pass

    def kill_at_3(trainer, record):
        if trainer.step == 3:
            raise Killed

    cfg = _config(tmp_path / "b", tiny_dir, max_steps=5, save_every=2, lora_dropout=0.1)
    with pytest.raises(Killed):
        Trainer(cfg).train(callback=kill_at_3)
    _resume_and_compare(cfg, 2, expected)
    log = [json.loads(x)["step"] for x in (tmp_path / "b" / "run" / "train_log.jsonl").read_text().splitlines()]
    assert log == [1, 2, 3, 4, 5]


def test_saving_a_snapshot_mid_run_leaves_training_unchanged(tmp_path, tiny_dir):
    """benchmarks/ablation.py --snapshots saves models along a run; the run itself must not notice."""
    kw = dict(max_steps=4, max_demos=3, train_top_layers=1, detach_demos=True, hard_negatives=1)
    plain = Trainer(_config(tmp_path / "a", tiny_dir, **kw))
    plain.train()

    def snapshot(trainer, record):
        if trainer.step == 2:
            trainer.model.save_pretrained(tmp_path / "b" / "model-step2")

    snapped = Trainer(_config(tmp_path / "b", tiny_dir, **kw))
    snapped.train(callback=snapshot)
    assert (tmp_path / "b" / "model-step2" / "epic_config.json").is_file()
    expected, got = _trainable(plain), _trainable(snapped)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=0, atol=0)


def test_trained_model_saves_and_reloads(tmp_path, tiny_dir, task):
    import numpy as np

    from epic import EpicEncoder

    trainer = Trainer(_config(tmp_path, tiny_dir, max_steps=2, projection="linear"))
    path = trainer.train()
    before = trainer.model.encode_queries(["what is a cat"], task=task, n_demos=2)
    loaded = EpicEncoder.from_pretrained(path, device="cpu")
    assert loaded.config.lora and loaded.config.projection == "linear"
    np.testing.assert_allclose(before, loaded.encode_queries(["what is a cat"], task=task, n_demos=2), atol=1e-5)


def test_gradient_checkpointing_with_lora_gives_the_same_gradients(tmp_path, tiny_dir):
    grads = []
    for checkpointing in (False, True):
        trainer = Trainer(_config(tmp_path, tiny_dir, gradient_checkpointing=checkpointing, max_demos=3))
        trainer.model.train()
        batch = make_batch(trainer.plan, 0, 1, 3)
        trainer.objective.forward_backward(trainer.objective.prepare(batch))
        grads.append({n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys() and grads[0]
    for name in grads[0]:
        assert (grads[0][name] - grads[1][name]).norm() <= 1e-4 * grads[0][name].norm() + 1e-7, name


def test_a_task_too_small_for_a_batch_is_reported(tmp_path):
    data = load_train_data(write_train_set(tmp_path / "d"))
    data.tasks["sents"].batch_size = 13  # 12 examples: not one batch
    with pytest.warns(UserWarning, match=r"'sents': 12"):
        TaskBatchPlan(data, batch_size=8, seed=0)


@pytest.mark.parametrize("lora", [True, False])
def test_more_top_layers_than_the_backbone_has_trains_them_all(tmp_path, tiny_dir, lora):
    def trainable(top):
        trainer = Trainer(_config(tmp_path / str(top), tiny_dir, mode="epic", lora=lora, train_top_layers=top))
        return sorted(n for n, p in trainer.model.named_parameters() if p.requires_grad)

    assert trainable(16) == trainable(None) == trainable(2) != trainable(1)  # the tiny backbone has 2 layers


def test_train_config_nests_the_encoder_config_with_flat_spellings(tmp_path):
    from epic.encoder.config import EpicConfig
    from epic.utils.config_io import load_yaml

    flat = TrainConfig(projection="mlp", num_layers=1)
    assert isinstance(flat.encoder, EpicConfig) and flat.encoder.projection == "mlp" and flat.projection == "mlp"
    assert flat.encoder.template == "eol" and flat.encoder.pooled_stats == "center"  # training defaults kept
    (tmp_path / "a.yaml").write_text("projection: linear\nencoder: {pooling: mean}\nlr: 0.001\n")
    cfg = load_yaml(TrainConfig, tmp_path / "a.yaml", {"template": "bge"})
    assert (cfg.encoder.projection, cfg.encoder.pooling, cfg.encoder.template, cfg.lr) == (
        "linear",
        "mean",
        "bge",
        1e-3,
    )
    with pytest.raises(ValueError, match="EpicConfig.projection"):
        TrainConfig(projection="nope")
    with pytest.raises(ValueError, match="unknown field"):
        load_yaml(TrainConfig, tmp_path / "a.yaml", {"fingerprint": "x"})  # set by loading, not by a run


def test_overriding_a_saved_models_architecture_is_refused(tmp_path, tiny_dir):
    from epic import EpicEncoder

    EpicEncoder.from_pretrained(tiny_dir, device="cpu", pooling="mean").save_pretrained(tmp_path / "m")
    with pytest.raises(ValueError, match=r"\['pooling'\].*cannot be overridden"):
        EpicEncoder.from_pretrained(tmp_path / "m", device="cpu", pooling="last")
    assert EpicEncoder.from_pretrained(tmp_path / "m", device="cpu", n_demos=1).config.n_demos == 1
    trainer_cfg = _config(tmp_path, tiny_dir, model=str(tmp_path / "m"), pooling="wmean", max_steps=1)
    with pytest.raises(ValueError, match=r"\[.pooling.\]"):
        Trainer(trainer_cfg)


def test_bf16_mixed_precision_keeps_fp32_master_weights_and_optimizer_state(tmp_path, tiny_dir):
    trainer = Trainer(_config(tmp_path, tiny_dir, mixed_precision="bf16", lora=False, train_top_layers=1))
    trainer.train_step()
    assert all(p.dtype == torch.float32 for p in trainer.params)
    states = [v for st in trainer.optimizer.state.values() for k, v in st.items() if k.startswith("exp_avg")]
    assert states and all(v.dtype == torch.float32 for v in states)
    objective = trainer.objective
    inp = objective.prepare(make_batch(trainer.plan, 1, 1, 3))
    model = trainer.model
    assert model.compute_dtype == torch.bfloat16  # the trainer set the model's compute precision
    with torch.no_grad():
        mixed = model.embed(inp.base)  # under bf16 autocast
        model.compute_dtype = None
        exact = model.embed(inp.base)
    rel = ((mixed - exact).norm() / exact.norm()).item()
    assert 1e-5 < rel < 5e-2, rel  # bf16 rounding: computed in bf16, and close
    with pytest.raises(ValueError, match="fp32 master weights"):
        TrainConfig(mixed_precision="bf16", dtype="bfloat16")
    with pytest.raises(ValueError, match="merge_lora with sharding=fsdp"):
        TrainConfig(sharding="fsdp", merge_lora=True)


def test_training_data_is_a_memory_mapped_table_read_again_when_a_file_changes(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setenv("EPIC_CACHE", str(tmp_path / "cache"))
    folder = write_train_set(tmp_path / "d")
    data = load_train_data(folder)
    assert data.examples.path.is_file() and data.examples.path.suffix == ".arrow"  # on disk, memory-mapped
    rows = [json.loads(line) for f in sorted(folder.glob("*.jsonl")) for line in f.read_text().splitlines()]
    as_parquet = tmp_path / "p"
    as_parquet.mkdir()
    (as_parquet / "tasks.yaml").write_text((folder / "tasks.yaml").read_text())
    pq.write_table(pa.Table.from_pylist(rows), as_parquet / "all.parquet")
    parquet = load_train_data(as_parquet)
    assert [vars(e) for e in parquet.examples] == [vars(e) for e in data.examples]
    plans = [TaskBatchPlan(d, batch_size=4, seed=1) for d in (data, parquet)]
    assert [plans[0].step(s) for s in range(6)] == [plans[1].step(s) for s in range(6)]
    with (folder / "defs.jsonl").open("a") as fh:  # a changed file is read again, never a stale table
        fh.write(json.dumps({"query": "zebra", "pos": ["a striped horse"], "task": "defs"}) + "\n")
    assert len(load_train_data(folder).examples) == len(data.examples) + 1
    bad = tmp_path / "bad"
    bad.mkdir()
    pq.write_table(
        pa.Table.from_pylist([{"query": "q", "pos": [], "task": "t", "instruction": "i"}]), bad / "x.parquet"
    )
    with pytest.raises(DataError, match=r"x.parquet:row 1: field 'pos'"):
        load_train_data(bad)


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_signal_stops_after_the_step_with_a_checkpoint_and_resume_equals_the_uninterrupted_run(
    tmp_path, tiny_dir, signame
):
    import os
    import signal

    from epic.training.stopping import TrainingInterrupted

    full = Trainer(_config(tmp_path / "a", tiny_dir, max_steps=5, lora_dropout=0.1))
    full.train()
    expected = _trainable(full)

    def signal_at_3(trainer, record):
        if trainer.step == 3:
            os.kill(os.getpid(), getattr(signal, signame))  # no save_every: only the signal writes one

    cfg = _config(tmp_path / "b", tiny_dir, max_steps=5, save_every=0, lora_dropout=0.1)
    with pytest.raises(TrainingInterrupted) as e:
        Trainer(cfg).train(callback=signal_at_3)
    assert e.value.step == 3 and e.value.exit_code == 128 + getattr(signal, signame)
    assert not (tmp_path / "b" / "run" / "model").exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handlers are put back
    _resume_and_compare(cfg, 3, expected)
