"""The embeddings service over real HTTP on loopback."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

httpx = pytest.importorskip("httpx")

from epic.serving.server import BackgroundServer, ServeConfig, create_app  # noqa: E402

TEXTS = ["what is a cat", "stocks fell sharply", "museum", "rain in the weekend?"]


@pytest.fixture
def server(tiny, task):
    config = ServeConfig(max_inputs=8, max_chars=200, max_body_bytes=4000, max_wait_ms=20)
    with BackgroundServer(create_app(tiny, {"news": task}, "epic-tiny", config)) as url:
        yield url


def _emb(response) -> np.ndarray:
    return np.array([d["embedding"] for d in response.json()["data"]], dtype=np.float32)


def test_embeddings_equal_the_encoder(server, tiny, task):
    with httpx.Client(base_url=server, timeout=60) as c:
        r = c.post("/v1/embeddings", json={"input": TEXTS, "model": "epic-tiny", "task": "news", "n_demos": 2})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["object"] == "list" and body["model"] == "epic-tiny" and body["usage"]["prompt_tokens"] > 0
        assert [d["index"] for d in body["data"]] == [0, 1, 2, 3]
        np.testing.assert_allclose(_emb(r), tiny.encode_queries(TEXTS, task=task, n_demos=2), atol=1e-5)
        r = c.post("/v1/embeddings", json={"input": TEXTS[0], "model": "m", "task": "news", "input_type": "document"})
        np.testing.assert_allclose(_emb(r), tiny.encode_documents(TEXTS[:1]), atol=1e-5)
        r = c.post("/v1/embeddings", json={"input": TEXTS, "model": "m", "encoding_format": "base64", "task": "news"})
        vecs = np.stack([np.frombuffer(base64.b64decode(d["embedding"]), "<f4") for d in r.json()["data"]])
        np.testing.assert_allclose(vecs, tiny.encode_queries(TEXTS, task=task), atol=1e-5)
        assert c.get("/health").json()["status"] == "ok"
        assert c.get("/v1/models").json()["data"][0]["id"] == "epic-tiny"


@pytest.mark.parametrize(
    "payload,status,needle",
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        ({"model": "m"}, 400, "'input'"),
        ({"input": [], "model": "m"}, 400, "'input'"),
        ({"input": ["a", 3], "model": "m"}, 400, "input[1]"),
        ({"input": ["a"] * 9, "model": "m"}, 413, "limit is 8"),
        ({"input": ["a" * 201], "model": "m"}, 413, "characters"),
        ({"input": ["a"], "model": "m", "task": "nope"}, 404, "unknown task"),
        ({"input": ["a"], "model": "m", "input_type": "passage"}, 400, "input_type"),
        ({"input": ["a"], "model": "m", "task": "news", "n_demos": 9}, 400, "n_demos"),
        ({"input": ["a"], "model": "m", "n_demos": "3"}, 400, "n_demos"),
        ({"input": ["a"], "model": "m", "encoding_format": "int8"}, 400, "encoding_format"),
        ({"input": ["a"], "model": "m", "colour": "red"}, 400, "unknown field"),
        ({"input": ["a" * 150] * 8 * 4, "model": "m"}, 413, "bytes"),
    ],
)
def test_bad_requests_get_a_clear_4xx_and_the_server_survives(server, payload, status, needle):
    with httpx.Client(base_url=server, timeout=60) as c:
        content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        r = c.post("/v1/embeddings", content=content, headers={"content-type": "application/json"})
        assert r.status_code == status, r.text
        assert needle in r.json()["error"]["message"]
        assert c.post("/v1/embeddings", json={"input": "still alive", "model": "m"}).status_code == 200


def test_32_concurrent_clients_get_correct_answers_batched(tiny, task):
    config = ServeConfig(max_wait_ms=50)
    app = create_app(tiny, {"news": task}, "epic-tiny", config)
    expected_q = tiny.encode_queries(TEXTS, task=task, n_demos=2)
    expected_d = tiny.encode_documents(TEXTS)

    def call(i):
        with httpx.Client(base_url=url, timeout=120) as c:
            kind = "query" if i % 2 else "document"
            r = c.post("/v1/embeddings", json={"input": TEXTS[i % 4], "task": "news", "n_demos": 2, "input_type": kind})
            return i, r.status_code, _emb(r)[0]

    with BackgroundServer(app) as url, ThreadPoolExecutor(32) as pool:
        results = list(pool.map(call, range(32)))
        assert app.state.encoder.batches < 32  # concurrent requests were encoded together
    for i, status, vec in results:
        assert status == 200
        np.testing.assert_allclose(vec, (expected_q if i % 2 else expected_d)[i % 4], atol=1e-5)


def test_close_finishes_every_queued_job(tiny, task):
    from epic.serving.server import BatchingEncoder, Job

    encoder = BatchingEncoder(tiny, ServeConfig(max_wait_ms=1, max_batch_texts=2))
    jobs = [Job([t], task, "query", 2) for t in TEXTS * 3]
    futures = [encoder.submit(j) for j in jobs]
    encoder.close()  # what the app's shutdown does: queued and in-flight work completes first
    assert all(f.done() and not f.exception() for f in futures)
    expected = tiny.encode_queries(TEXTS, task=task, n_demos=2)
    for i, f in enumerate(futures):
        emb, tokens = f.result()
        np.testing.assert_allclose(emb[0], expected[i % 4], atol=1e-5)
        assert tokens == len(tiny.tokenizer(TEXTS[i % 4], add_special_tokens=False)["input_ids"])


def test_demonstrations_in_the_request_and_the_selection_equal_the_encoder(server, tiny, task):
    from epic import Demo, Task

    given = [{"query": "Team wins the cup", "response": "The home side won the final."},
             {"query": "Bank cuts rates", "response": "The central bank lowered interest rates."}]  # fmt: skip
    with httpx.Client(base_url=server, timeout=60) as c:
        r = c.post("/v1/embeddings", json={"input": TEXTS, "task": "news", "n_demos": 2, "demonstrations": given})
        assert r.status_code == 200, r.text
        request_task = Task("news+request", task.instruction, [Demo(**d) for d in given])
        np.testing.assert_allclose(_emb(r), tiny.encode_queries(TEXTS, task=request_task, n_demos=2), atol=1e-5)
        assert np.abs(_emb(r) - tiny.encode_queries(TEXTS, task=task, n_demos=2)).max() > 1e-4  # not the task's own
        r = c.post("/v1/embeddings", json={"input": TEXTS, "task": "news", "n_demos": 2, "demo_selection": "nearest"})
        want = tiny.encode_queries(TEXTS, task=task, n_demos=2, demo_selection="nearest")
        np.testing.assert_allclose(_emb(r), want, atol=1e-5)
        for body, param in [
            ({"input": TEXTS, "demonstrations": [{"query": "x"}]}, "demonstrations"),
            ({"input": TEXTS, "input_type": "document", "demonstrations": given}, "demonstrations"),
            ({"input": TEXTS, "task": "news", "demo_selection": "best"}, "demo_selection"),
            ({"input": TEXTS, "input_type": "query", "demonstrations": given, "n_demos": 3}, "n_demos"),
        ]:
            r = c.post("/v1/embeddings", json=body)
            assert r.status_code == 400 and r.json()["error"]["param"] == param, r.text
