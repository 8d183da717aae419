"""The encoder on tiny random decoders: equivalences, exact slot placement, formats, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from epic import DataError, Demo, EpicEncoder, Task, load_tasks
from epic.encoder.prompt import pad_batch

TEXTS = ["what is a cat", "stocks fell sharply on monday after the report", "museum", "rain in the weekend?"]


def test_zero_demos_equals_zero_shot(tiny, task):
    zero = tiny.encode_queries(TEXTS, task=task, demo_mode="none")
    k0 = tiny.encode_queries(TEXTS, task=task, n_demos=0, demo_mode="embedding")
    plain = tiny.encode_queries(TEXTS, instruction=task.instruction)
    np.testing.assert_array_equal(zero, k0)
    np.testing.assert_array_equal(zero, plain)
    with_demos = tiny.encode_queries(TEXTS, task=task, n_demos=2)
    assert np.abs(with_demos - zero).max() > 1e-4  # demonstrations do reach the model


def test_cached_demo_vectors_equal_recomputed(tiny, task, tmp_path):
    first = tiny.encode_queries(TEXTS, task=task, n_demos=3)
    assert len(tiny.demo_memory) == 1
    cached = tiny.demo_vectors(task).clone()
    tiny.save_demo_cache(tmp_path / "demos.safetensors")
    tiny.demo_memory.invalidate()
    recomputed = tiny.encode_queries(TEXTS, task=task, n_demos=3)
    np.testing.assert_allclose(first, recomputed, atol=1e-6)
    # the cached vectors are exactly the zero-shot query / document embeddings of the demos
    q = tiny.encode_queries([d.query for d in task.demos], task=task, demo_mode="none")
    r = tiny.encode_documents([d.response for d in task.demos])
    np.testing.assert_allclose(torch.nn.functional.normalize(cached[:, 0], dim=-1).numpy(), q, atol=1e-5)
    np.testing.assert_allclose(torch.nn.functional.normalize(cached[:, 1], dim=-1).numpy(), r, atol=1e-5)
    tiny.demo_memory.invalidate()
    assert tiny.load_demo_cache(tmp_path / "demos.safetensors") == 1
    np.testing.assert_allclose(first, tiny.encode_queries(TEXTS, task=task, n_demos=3), atol=1e-6)


def test_demo_cache_of_other_model_is_refused(tiny, tiny_dir, task, tmp_path):
    tiny.encode_queries(TEXTS[:1], task=task, n_demos=1)
    tiny.save_demo_cache(tmp_path / "c.safetensors")
    other = EpicEncoder.from_pretrained(tiny_dir, device="cpu", projection="linear")
    with pytest.raises(ValueError, match="another model"):
        other.load_demo_cache(tmp_path / "c.safetensors")


@pytest.mark.parametrize("mode", ["none", "embedding", "text"])
@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_left_and_right_padding_agree(tiny_dir, task, mode, pooling):
    left = EpicEncoder.from_pretrained(tiny_dir, device="cpu", padding_side="left", pooling=pooling)
    right = EpicEncoder.from_pretrained(tiny_dir, device="cpu", padding_side="right", pooling=pooling)
    a = left.encode_queries(TEXTS, task=task, n_demos=2, demo_mode=mode)
    b = right.encode_queries(TEXTS, task=task, n_demos=2, demo_mode=mode)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_batch_size_and_order_do_not_matter(tiny, task):
    full = tiny.encode_queries(TEXTS, task=task, n_demos=2, batch_size=4)
    single = np.concatenate([tiny.encode_queries([t], task=task, n_demos=2) for t in TEXTS])
    np.testing.assert_allclose(full, single, atol=1e-5)
    perm = [2, 0, 3, 1]
    shuffled = tiny.encode_queries([TEXTS[i] for i in perm], task=task, n_demos=2, batch_size=3)
    np.testing.assert_allclose(full[perm], shuffled, atol=1e-5)
    docs = tiny.encode_documents(TEXTS, batch_size=1)
    np.testing.assert_allclose(docs, tiny.encode_documents(TEXTS, batch_size=64), atol=1e-5)


def test_vectors_land_exactly_in_their_slots(tiny, task):
    seen = {}

    def grab(module, args, kwargs):
        seen["embeds"] = kwargs["inputs_embeds"].detach().clone()

    handle = tiny.backbone.register_forward_pre_hook(grab, with_kwargs=True)
    try:
        tiny.encode_queries(["what is a cat"], task=task, n_demos=2, prefix_cache=False)
    finally:
        handle.remove()
    prompt = tiny.prompts.query("what is a cat", task.instruction, n_soft_demos=2)
    expected = tiny.backbone.get_input_embeddings()(torch.tensor(prompt.ids)).detach().clone()
    pool = tiny.demo_vectors(task)
    vecs = tiny.projector(pool[:2].reshape(-1, tiny.hidden_size)).detach()
    slots = prompt.slots
    assert len(slots) == 4 and slots[0] > 0  # a soft token never takes position 0
    expected[slots] = vecs
    torch.testing.assert_close(seen["embeds"][0], expected)
    # slots are ordered q1, r1, q2, r2 and framed by the text markers
    assert prompt.render().startswith("<query>[DEMO]<response>[DEMO]\n\n<query>[DEMO]<response>[DEMO]\n\n<instruct>")


def test_text_mode_renders_exactly_the_bge_icl_template(tiny, task):
    demos = task.demos[:2]
    prompt = tiny.prompts.query("what is a cat", task.instruction, text_demos=demos)
    ins = task.instruction
    demo_texts = [f"<instruct>{ins}\n<query>{d.query}\n<response>{d.response}" for d in demos]
    expected = "\n\n".join(demo_texts) + "\n\n" + f"<instruct>{ins}\n<query>what is a cat\n<response>"
    assert prompt.render() == expected
    # token ids are the concatenation of the separately tokenized parts, between BOS and EOS
    tok = tiny.tokenizer
    ids = [tok.bos_token_id]
    for part in prompt.parts[1:-1]:
        ids += tok(part.text, add_special_tokens=False)["input_ids"]
    assert prompt.ids == ids + [tok.eos_token_id]


def test_documents_raw_or_instructed_for_symmetric_tasks(tiny):
    raw = tiny.prompts.document("hello")
    assert raw.render() == "hello"
    sym = Task("sts", "Retrieve semantically similar text", type="symmetric")
    assert (
        tiny.document_prompt("hello", sym).render()
        == "<instruct>Retrieve semantically similar text\n<query>hello\n<response>"
    )
    a = tiny.encode_documents(["hello"], task=sym)
    b = tiny.encode_queries(["hello"], task=sym, demo_mode="none")
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_truncation_to_max_length(tiny_dir):
    model = EpicEncoder.from_pretrained(tiny_dir, device="cpu", max_length=8)
    long = " ".join(["museum"] * 100)
    p = model.prompts.document(long)
    assert len(p) == 8 + 2  # text cut to 8 tokens, plus BOS and EOS
    assert model.encode_documents([long]).shape == (1, 64)


@pytest.mark.parametrize("kind", ["rescale", "linear", "mlp"])
def test_projections_start_equal_and_match_token_norm(tiny_dir, task, kind):
    base = EpicEncoder.from_pretrained(tiny_dir, device="cpu")
    other = EpicEncoder.from_pretrained(tiny_dir, device="cpu", projection=kind)
    np.testing.assert_allclose(
        base.encode_queries(TEXTS, task=task, n_demos=2), other.encode_queries(TEXTS, task=task, n_demos=2), atol=1e-5
    )
    v = other.projector(torch.randn(3, 64) * 50)
    token_norm = other.backbone.get_input_embeddings().weight.norm(dim=-1).mean()
    torch.testing.assert_close(v.norm(dim=-1), token_norm.expand(3), rtol=1e-4, atol=1e-4)


def test_center_and_one_vector_per_demo(tiny_dir, task):
    model = EpicEncoder.from_pretrained(tiny_dir, device="cpu", center=True, vectors_per_demo=1)
    assert model.projector.center_vector.norm() > 0
    assert model.demo_vectors(task).shape == (4, 1, 64)
    p = model.prompts.query("q", task.instruction, n_soft_demos=3)
    assert len(p.slots) == 3
    assert model.encode_queries(TEXTS, task=task, n_demos=3).shape == (4, 64)


@pytest.mark.parametrize("selection", ["nearest", "random"])
def test_demo_selection(tiny, task, selection):
    chosen = tiny.select_demos(task, TEXTS, 2, selection, seed=1)
    assert all(len(c) == 2 and len(set(c)) == 2 for c in chosen)
    out = tiny.encode_queries(TEXTS, task=task, n_demos=2, demo_selection=selection, seed=1)
    # each query equals its own single encoding with the demonstrations chosen for it
    for i, c in enumerate(chosen):
        sub = Task(task.name, task.instruction, [task.demos[j] for j in c])
        np.testing.assert_allclose(out[i], tiny.encode_queries([TEXTS[i]], task=sub, n_demos=2)[0], atol=1e-5)
    if selection == "nearest":  # a demo query embedded as a query picks itself first
        picked = tiny.select_demos(task, [task.demos[3].query], 1, "nearest")
        assert picked == [[3]]


@pytest.mark.parametrize("arch", ["qwen2", "mistral", "gemma3"])
def test_other_architectures(tmp_path, task, arch):
    from conftest import make_backbone_dir

    model = EpicEncoder.from_pretrained(make_backbone_dir(tmp_path / arch, arch=arch), device="cpu")
    out = model.encode_queries(TEXTS, task=task, n_demos=2)
    assert out.shape == (4, 64) and np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
    single = np.concatenate([model.encode_queries([t], task=task, n_demos=2) for t in TEXTS])
    np.testing.assert_allclose(out, single, atol=1e-5)
    # injected vectors have the norm of real input embeddings (Gemma scales its embeddings)
    ids = torch.tensor(model.prompts.query("what is a cat", task.instruction).ids)
    real = model.backbone.get_input_embeddings()(ids).norm(dim=-1).mean()
    torch.testing.assert_close(model.projector.target_norm, real, rtol=0.5, atol=0)


def test_first_layers_only(tiny_dir, task):
    model = EpicEncoder.from_pretrained(tiny_dir, device="cpu", num_layers=1)
    assert len(model.backbone.layers) == 1
    assert model.encode_queries(TEXTS, task=task).shape == (4, 64)


def test_save_load_round_trip(tiny_dir, task, tmp_path):
    model = EpicEncoder.from_pretrained(tiny_dir, device="cpu", projection="mlp", num_layers=1)
    with torch.no_grad():
        model.projector.mlp[2].weight.normal_()  # non-trivial projector weights must survive
    before = model.encode_queries(TEXTS, task=task, n_demos=3)
    model.save_pretrained(tmp_path / "m")
    again = EpicEncoder.from_pretrained(tmp_path / "m", device="cpu")
    np.testing.assert_allclose(before, again.encode_queries(TEXTS, task=task, n_demos=3), atol=1e-6)
    assert again.config.projection == "mlp" and len(again.backbone.layers) == 1
    model.save_pretrained(tmp_path / "m")  # overwriting is atomic and leaves no temp folders
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_lora_save_load_and_merge(tiny_dir, task, tmp_path):
    from peft import LoraConfig, get_peft_model

    from epic.encoder.backbone import quiet_peft

    model = EpicEncoder.from_pretrained(tiny_dir, device="cpu")
    with quiet_peft():  # peft's own call of a deprecated transformers property
        model.backbone = get_peft_model(
            model.backbone, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
        )
    model.config.backbone = str(tiny_dir)
    before = model.encode_queries(TEXTS, task=task, n_demos=2)
    model.save_pretrained(tmp_path / "lora")
    model.save_pretrained(tmp_path / "merged", merge_lora=True)
    assert (tmp_path / "lora" / "adapter").is_dir() and (tmp_path / "merged" / "backbone").is_dir()
    for name in ("lora", "merged"):
        loaded = EpicEncoder.from_pretrained(tmp_path / name, device="cpu")
        np.testing.assert_allclose(before, loaded.encode_queries(TEXTS, task=task, n_demos=2), atol=1e-5)


def test_pad_batch_positions_ignore_padding():
    from epic.encoder.prompt import SLOT, TEXT, Part, Prompt

    a = Prompt([Part(TEXT, "x", [5, 6]), Part(SLOT, "", [0]), Part(TEXT, "y", [7])])
    b = Prompt([Part(TEXT, "x", [5])])
    left = pad_batch([a, b], 0, "left")
    assert left["position_ids"][1].tolist() == [0, 0, 0, 0] and left["attention_mask"][1].tolist() == [0, 0, 0, 1]
    assert left["slot_rows"].tolist() == [0] and left["slot_cols"].tolist() == [2]
    right = pad_batch([b, a], 0, "right")
    assert right["slot_rows"].tolist() == [1] and right["slot_cols"].tolist() == [2]


# -- bad input --------------------------------------------------------------------------------
def test_bad_inputs_get_clear_errors(tiny, task, tmp_path):
    with pytest.raises(TypeError, match=r"texts\[1\]: expected str, got int"):
        tiny.encode_queries(["ok", 3], task=task)
    with pytest.raises(TypeError, match="single string"):
        tiny.encode_documents("just one")
    with pytest.raises(DataError, match="instruction"):
        Task("t", "  ")
    with pytest.raises(ValueError, match="needs a task or a non-empty instruction"):
        tiny.encode_queries(["x"])
    with pytest.raises(ValueError, match=r"n_demos=9 but task 'news' has 4"):
        tiny.encode_queries(["x"], task=task, n_demos=9)
    with pytest.raises(ValueError, match="demo_mode"):
        tiny.encode_queries(["x"], task=task, demo_mode="soft")
    assert tiny.encode_queries([], task=task).shape == (0, 64)
    assert tiny.encode_documents([]).shape == (0, 64)


def test_unreadable_model_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model folder"):
        EpicEncoder.from_pretrained(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no config.json"):
        EpicEncoder.from_pretrained(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "epic_config.json").write_text("{not json")
    with pytest.raises(ValueError, match="epic_config.json: damaged file .not valid JSON"):
        EpicEncoder.from_pretrained(tmp_path / "bad")


def test_task_files(tmp_path):
    good = tmp_path / "tasks.yaml"
    (tmp_path / "d.jsonl").write_text('{"query": "a", "response": "b"}\n')
    good.write_text(
        "tasks:\n"
        "  - name: news\n    instruction: Retrieve the article\n    demos:\n      - {query: q, response: r}\n"
        "  - name: sts\n    instruction: Similar text\n    type: symmetric\n    demos_file: d.jsonl\n"
    )
    tasks = load_tasks(good)
    assert tasks["news"].demos == [Demo("q", "r")] and tasks["sts"].symmetric
    assert tasks["sts"].demos == [Demo("a", "b")]
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninstruction: y\ndemos:\n  - {query: q}\n")
    with pytest.raises(DataError, match=r"bad.yaml.demos\[0\]: field 'response'"):
        load_tasks(bad)
    bad.write_text("name: x\ninstruction: [unclosed\n")
    with pytest.raises(DataError, match="not valid YAML"):
        load_tasks(bad)
    (tmp_path / "d.jsonl").write_text('{"query": "a", "response": "b"}\n{"query": "a"\n')
    with pytest.raises(DataError, match=r"d.jsonl:2: not valid JSON"):
        load_tasks(good)


@pytest.mark.parametrize("padding_side", ["left", "right"])
@pytest.mark.parametrize("mode", ["text", "embedding", "none"])
def test_prefix_cache_equals_recomputing_the_prefix(tiny_dir, task, padding_side, mode):
    model = EpicEncoder.from_pretrained(tiny_dir, device="cpu", padding_side=padding_side)
    kw = dict(task=task, n_demos=3, demo_mode=mode, batch_size=3)
    plain = model.encode_queries(TEXTS, prefix_cache=False, **kw)
    cached = model.encode_queries(TEXTS, prefix_cache=True, **kw)
    np.testing.assert_allclose(plain, cached, atol=1e-5)
    np.testing.assert_array_equal(cached, model.encode_queries(TEXTS, **kw))  # on by default
    other = model.encode_queries(TEXTS, task=task, demo_mode="embedding" if mode == "none" else "none")
    assert np.abs(plain - other).max() > 1e-4  # the demonstrations change the embedding


def test_long_inputs_are_encoded_in_bounded_chunks(tiny, task, monkeypatch):
    from epic.encoder import engine

    texts = [f"{t} {i}" for i in range(5) for t in TEXTS]
    whole_queries = tiny.encode_queries(texts, task=task, n_demos=2)
    whole_documents = tiny.encode_documents(texts)
    sizes = []
    real = engine.pooled
    monkeypatch.setattr(
        engine, "pooled", lambda m, prompts, *a, **k: sizes.append(len(prompts)) or real(m, prompts, *a, **k)
    )
    monkeypatch.setattr(tiny, "chunk_texts", 3)
    np.testing.assert_allclose(tiny.encode_queries(texts, task=task, n_demos=2), whole_queries, atol=1e-5)
    documents = tiny.encode_documents(texts)
    np.testing.assert_allclose(documents, whole_documents, atol=1e-5)
    assert documents.shape == (20, 64) and max(sizes) == 3 and sum(sizes) == 2 * len(texts)


def test_bf16_mixed_precision_is_close_to_fp32_on_every_encode_path(tiny_dir, task):
    exact = EpicEncoder.from_pretrained(tiny_dir, device="cpu")
    mixed = EpicEncoder.from_pretrained(tiny_dir, device="cpu", mixed_precision="bf16")
    assert exact.compute_dtype is None and mixed.compute_dtype == torch.bfloat16
    assert all(p.dtype == torch.float32 for p in mixed.parameters())  # weights stay fp32: only matmuls are bf16
    for kw in (dict(demo_mode="none"), dict(n_demos=3), dict(n_demos=3, prefix_cache=False),
               dict(n_demos=2, demo_selection="nearest")):  # fmt: skip
        a, b = exact.encode_queries(TEXTS, task=task, **kw), mixed.encode_queries(TEXTS, task=task, **kw)
        cos = (a * b).sum(-1)  # both L2-normalised
        assert cos.min() > 0.99 and np.abs(a - b).max() > 1e-6, (kw, cos)  # computed in bf16, and close
    docs = exact.encode_documents(TEXTS), mixed.encode_documents(TEXTS)
    assert (docs[0] * docs[1]).sum(-1).min() > 0.99


def test_auto_mixed_precision_is_bf16_only_where_bf16_is_native(monkeypatch):
    from epic.encoder import engine

    cpu = torch.device("cpu")
    for native in (True, False):
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda n=native: n)
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
        assert engine.compute_dtype("auto", cpu) == (torch.bfloat16 if native else None)
    assert engine.compute_dtype("bf16", cpu) == torch.bfloat16  # asked for: emulated where not native
    assert engine.compute_dtype("none", cpu) is None
    with pytest.raises(ValueError, match=r"mixed_precision must be one of .*'fp8'"):
        engine.compute_dtype("fp8", cpu)


def test_the_prefix_cache_goes_to_the_argument_the_backbone_takes(tiny):
    """transformers renamed ``past_key_values`` to ``cache``; passed under a name the forward does not
    take, the cache vanished into ``**kwargs`` and prefix-cached queries were encoded without their prefix."""
    import inspect

    from torch import nn

    from epic.encoder.engine import cache_argument

    assert cache_argument(tiny.backbone) in inspect.signature(tiny.backbone.forward).parameters

    class Older(nn.Module):
        def forward(self, input_ids=None, attention_mask=None, past_key_values=None, **kwargs):
            return None

    assert cache_argument(Older()) == "past_key_values"


def _padded_cost(groups: list[list[int]], lengths: list[int], overhead: int) -> int:
    return sum(len(g) * max(lengths[i] for i in g) + overhead for g in groups)


def test_length_groups_are_the_cheapest_partition():
    """Against brute force over every split of the sorted lengths: a partition of all indices, at most
    ``max_groups`` groups, and no cheaper split exists (padded tokens + a fixed cost a group)."""
    import itertools
    import random

    from epic.encoder.engine import length_groups

    rng = random.Random(0)
    for _ in range(200):
        lengths = [rng.randint(1, 80) for _ in range(rng.randint(1, 9))]
        max_groups, overhead = rng.randint(1, 4), rng.choice([0, 10, 50])
        groups = length_groups(lengths, max_groups, overhead)
        assert sorted(i for g in groups for i in g) == list(range(len(lengths))) and len(groups) <= max_groups
        s, n = sorted(lengths), len(lengths)
        best = min(
            sum((b - a) * s[b - 1] + overhead for a, b in zip((0, *cuts), (*cuts, n)))
            for k in range(min(max_groups, n)) for cuts in itertools.combinations(range(1, n), k)
        )  # fmt: skip
        assert _padded_cost(groups, lengths, overhead) == best, (lengths, max_groups, overhead, groups)


def test_length_groups_give_the_one_batch_vectors_and_gradients(tiny, task, monkeypatch):
    """Prompts of very different lengths, soft slots filled from a table with gradients: split into
    forwards of similar lengths, the vectors and every gradient equal one padded batch's."""
    from epic.encoder import engine

    monkeypatch.setattr(engine, "GROUP_OVERHEAD", 0)  # split even these short prompts
    p = tiny.prompts
    docs = [p.document(" ".join(["word"] * n)) for n in (2, 40, 3, 25, 60, 5)]
    queries = [p.query(t, task.instruction, soft_demos=[[0, 1], [2, 3]]) for t in TEXTS]
    prompts = docs + queries
    assert len(engine.length_groups([len(x) for x in prompts], 4)) > 1
    table = torch.randn(4, tiny.hidden_size)
    results = []
    for groups in (1, 4):
        tiny.zero_grad()
        leaf = table.clone().requires_grad_()
        out = tiny.embed(prompts, leaf, max_groups=groups)
        (out * torch.linspace(-1, 1, out.shape[-1])).sum().backward()
        grads = {n: q.grad.clone() for n, q in tiny.named_parameters() if q.grad is not None}
        results.append((out.detach(), leaf.grad.clone(), grads))
    (one, table_one, grads_one), (split, table_split, grads_split) = results
    torch.testing.assert_close(split, one, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(table_split, table_one, atol=1e-5, rtol=1e-4)
    assert grads_one.keys() == grads_split.keys() and grads_one
    for name, grad in grads_one.items():
        torch.testing.assert_close(grads_split[name], grad, atol=1e-5, rtol=1e-4, msg=name)
