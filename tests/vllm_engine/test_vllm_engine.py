"""vLLM serves epic models exactly: the export, the gateway in-process and over HTTP, and a vLLM server
behind ``--vllm-url`` give the vectors of :class:`~epic.EpicEncoder` (cos >= 0.9999, fp32).

These run in vLLM's own environment (``bash scripts/install-vllm.sh``; ``.ci/run`` runs them there) and
are skipped in the main one, which never has vLLM. They load the real 135M backbone. (The folder is not
named ``vllm``: on the test path a ``vllm/`` folder would import as the package.)
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("vllm")
pytestmark = pytest.mark.integration

from epic import Demo, EpicEncoder, Task  # noqa: E402
from epic.data.examples import demo_task  # noqa: E402

MIN_COS = 0.9999
REQUEST_DEMOS = [Demo("Rain expected all weekend", "Forecasters warn of heavy rain on Saturday and Sunday."),
                 Demo("Museum reopens", "The city museum opened its doors again after a long renovation.")]  # fmt: skip


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def _assert_equal(got, want, what):
    got, want = np.asarray(got, dtype=np.float32), np.asarray(want, dtype=np.float32)
    assert got.shape == want.shape, what
    assert _cos(got, want).min() >= MIN_COS, f"{what}: min cos {_cos(got, want).min():.6f}"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Two epic models: the embedded backbone with the eol template and a centre fitted on a few texts, and a
    LoRA model trained a few steps from the embedded backbone (its adapter saved, not merged)."""
    from train_fixtures import write_train_set

    from epic.training.config import TrainConfig
    from epic.training.trainer import Trainer

    root = tmp_path_factory.mktemp("vllm-models")
    task, queries, docs = demo_task()
    base = EpicEncoder.from_pretrained(None, device="cpu", template="eol", pooled_stats="center")
    base.fit_pooled_stats(
        [base.prompts.document(d) for d in docs] + [base.prompts.query(q, task.instruction) for q in queries]
    )
    base.save_pretrained(root / "base")
    cfg = TrainConfig(model=None, template="eol", pooled_stats="center", data=str(write_train_set(root / "data")), output=str(root / "run"),
                      batch_size=4, max_steps=2, save_every=0, lora_r=4, lora_alpha=8, train_top_layers=2, quiet=True,
                      query_max_length=32, passage_max_length=32, seed=3, lr=1e-3)  # fmt: skip
    lora = Trainer(cfg).train()
    assert (lora / "adapter").is_dir()
    return {"base": root / "base", "lora": lora}


@pytest.fixture(scope="module")
def exports(models, tmp_path_factory):
    from epic.serving.export import export_vllm

    task, _, _ = demo_task()
    root = tmp_path_factory.mktemp("vllm-exports")
    return {
        name: (export_vllm(str(path), root / name, {task.name: task}), root / name) for name, path in models.items()
    }


def _expected(model_path, texts, docs, task):
    m = EpicEncoder.from_pretrained(model_path, device="cpu")
    request = Task(task.name + "+request", task.instruction, REQUEST_DEMOS)
    return {
        "documents": m.encode_documents(docs),
        "zero-shot": m.encode_queries(texts, task=task, demo_mode="none"),
        "fixed": m.encode_queries(texts, task=task, n_demos=3),
        "nearest": m.encode_queries(texts, task=task, n_demos=2, demo_selection="nearest"),
        "random": m.encode_queries(texts, task=task, n_demos=2, demo_selection="random"),
        "request demos": m.encode_queries(texts, task=request, n_demos=2),
    }


def _jobs(texts, docs, task):
    from epic.serving.api import Job

    return {
        "documents": Job(docs, None, "document", None),
        "zero-shot": Job(texts, task, "query", 0),
        "fixed": Job(texts, task, "query", 3),
        "nearest": Job(texts, task, "query", 2, "nearest"),
        "random": Job(texts, task, "query", 2, "random"),
        "request demos": Job(texts, task, "query", 2, None, tuple(REQUEST_DEMOS)),
    }


@pytest.mark.parametrize("name", ["base", "lora"])
def test_the_gateway_in_process_equals_the_library(models, exports, name):
    from epic.serving.vllm_backends import InProcessVllm
    from epic.serving.vllm_gateway import VllmGateway

    manifest, folder = exports[name]
    task, queries, docs = demo_task()
    assert manifest["vocab_size"] % 64 == 0 and manifest["tasks"][task.name]["rows"] == 2 * len(task.demos)
    want = _expected(str(models[name]), queries, docs, task)

    async def run():
        gateway = VllmGateway(folder, InProcessVllm(folder, dtype="float32"))
        try:
            return {
                what: (await gateway.run(job))[0]
                for what, job in _jobs(queries, docs, gateway.tasks[task.name]).items()
            }
        finally:
            await gateway.aclose()

    for what, got in asyncio.run(run()).items():
        _assert_equal(got, want[what], f"{name}: {what}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict, key: str | None = None) -> tuple[int, dict]:
    import httpx

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    r = httpx.post(f"{url}/v1/embeddings", json=body, headers=headers, timeout=300)
    return r.status_code, r.json()


def _over_http(url: str, texts, docs, task, key: str | None = None) -> dict:
    bodies = {
        "documents": {"input": docs, "input_type": "document"},
        "zero-shot": {"input": texts, "task": task.name, "n_demos": 0},
        "fixed": {"input": texts, "task": task.name, "n_demos": 3},
        "nearest": {"input": texts, "task": task.name, "n_demos": 2, "demo_selection": "nearest"},
        "random": {"input": texts, "task": task.name, "n_demos": 2, "demo_selection": "random"},
        "request demos": {"input": texts, "task": task.name, "n_demos": 2,
                          "demonstrations": [{"query": d.query, "response": d.response} for d in REQUEST_DEMOS]},
    }  # fmt: skip
    out = {}
    for what, body in bodies.items():
        status, answer = _post(url, {"model": "m", **body}, key)
        out[what] = (status, [d["embedding"] for d in answer.get("data", [])], answer)
    return out


def test_epic_serve_with_the_vllm_engine_over_http(models, exports):
    """The OpenAI-style API of epic serve, through the in-process vLLM engine: every path as the library."""
    from epic.serving.api import ServeConfig
    from epic.serving.server import BackgroundServer, create_app
    from epic.serving.vllm_gateway import gateway_parts

    _, folder = exports["base"]
    task, queries, docs = demo_task()
    want = _expected(str(models["base"]), queries, docs, task)
    config = ServeConfig(engine="vllm", vllm_dtype="float32", api_key="secret")
    tasks, factory = gateway_parts(str(folder), None, config)
    with BackgroundServer(create_app(None, tasks, "epic-vllm", config, factory)) as url:
        assert _post(url, {"input": "x"})[0] == 401  # the API's auth, limits and errors are kept
        status, answer = _post(url, {"input": queries, "task": "nope"}, "secret")
        assert status == 404 and "unknown task" in answer["error"]["message"]
        for what, (status, got, answer) in _over_http(url, queries, docs, task, "secret").items():
            assert status == 200, answer
            _assert_equal(got, want[what], f"http: {what}")


def test_the_gateway_before_a_vllm_server_at_a_url(models, exports):
    """``--vllm-url``: the stock vLLM OpenAI server of the export embeds token ids; demonstrations of the
    exported tasks (fixed, nearest, random) are vocabulary rows and equal the library; demonstrations
    given in a request need the in-process engine and are refused with a 400 that says so."""
    from epic.serving.api import ServeConfig
    from epic.serving.server import BackgroundServer, create_app
    from epic.serving.vllm_gateway import gateway_parts

    _, folder = exports["lora"]
    task, queries, docs = demo_task()
    want = _expected(str(models["lora"]), queries, docs, task)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(folder), "--runner", "pooling",
         "--dtype", "float32", "--enforce-eager", "--gpu-memory-utilization", "0.2", "--max-model-len", "2048",
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", server)
        config = ServeConfig(engine="vllm", vllm_url=f"http://127.0.0.1:{port}")
        tasks, factory = gateway_parts(str(folder), None, config)
        with BackgroundServer(create_app(None, tasks, "epic-vllm", config, factory)) as url:
            for what, (status, got, answer) in _over_http(url, queries, docs, task).items():
                if what == "request demos":
                    assert status == 400 and "in-process" in answer["error"]["message"], answer
                else:
                    assert status == 200, answer
                    _assert_equal(got, want[what], f"url: {what}")
    finally:
        server.terminate()
        server.wait(timeout=60)


def _wait_healthy(url: str, server: subprocess.Popen, limit_s: float = 600) -> None:
    import httpx

    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        if server.poll() is not None:
            raise RuntimeError(f"the vLLM server exited: {server.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"the vLLM server at {url} was not healthy within {limit_s} s")
