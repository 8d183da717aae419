"""The service under faults and hostile input: no wrong answer under load, a bad request fails alone,
limits enforced while reading, OpenAI-style JSON errors only, an API key."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

httpx = pytest.importorskip("httpx")

from epic import EpicEncoder  # noqa: E402
from epic.serving.server import BackgroundServer, BatchingEncoder, Job, ServeConfig, create_app  # noqa: E402

WORDS = "the committee approved a budget for new trains and the museum opened late on a rainy day".split()


def long_text(i: int) -> str:
    return " ".join(WORDS[(i + k) % len(WORDS)] for k in range(40 + i % 7))


@pytest.fixture(scope="module")
def short_model(tiny_dir):
    return EpicEncoder.from_pretrained(tiny_dir, device="cpu", max_length=8)  # every text above is truncated


def test_concurrent_long_inputs_get_exactly_the_single_threaded_answer(short_model, task):
    texts = [long_text(i) for i in range(24)]
    expected = {"query": short_model.encode_queries(texts, task=task), "document": short_model.encode_documents(texts)}
    app = create_app(short_model, {"news": task}, "tiny", ServeConfig(max_wait_ms=5))

    def client(worker: int) -> list[tuple[str, int, np.ndarray]]:
        out = []
        with httpx.Client(base_url=url, timeout=120) as c:
            for k in range(12):
                i, kind = (worker * 12 + k) % len(texts), "query" if (worker + k) % 2 else "document"
                r = c.post("/v1/embeddings", json={"input": [texts[i]], "task": "news", "input_type": kind})
                assert r.status_code == 200, r.text
                out.append((kind, i, np.array(r.json()["data"][0]["embedding"], dtype=np.float32)))
        return out

    with BackgroundServer(app) as url, ThreadPoolExecutor(16) as pool:
        answers = [a for batch in pool.map(client, range(16)) for a in batch]
    assert len(answers) == 192
    wrong = [(k, i) for k, i, v in answers if not np.allclose(v, expected[k][i], atol=1e-5)]
    assert wrong == []


def test_a_bad_job_fails_alone_in_its_batch(tiny, task, monkeypatch):
    real, calls = tiny.encode_documents, []

    def fragile(texts, **kw):
        calls.append(list(texts))
        if "poison" in texts:
            raise ValueError("cannot encode 'poison'")
        return real(texts, **kw)

    monkeypatch.setattr(tiny, "encode_documents", fragile)
    encoder = BatchingEncoder(tiny, ServeConfig(max_wait_ms=200, max_batch_texts=64))
    jobs = [Job([t], None, "document", None) for t in ("a cat", "poison", "a dog", "rain")]
    futures = [encoder.submit(j) for j in jobs]
    encoder.close()
    assert isinstance(futures[1].exception(), ValueError)
    for f, text in zip(futures[::2] + futures[3:], ("a cat", "a dog", "rain")):
        np.testing.assert_allclose(f.result()[0], real([text]), atol=1e-5)
    assert calls[0] == ["a cat", "poison", "a dog", "rain"]  # batched together first, then each alone


@pytest.fixture
def guarded(tiny, task):
    config = ServeConfig(max_body_bytes=300_000, body_timeout_s=1.0, max_wait_ms=20, api_key="s3cret")
    with BackgroundServer(create_app(tiny, {"news": task}, "tiny", config)) as url:
        yield url


AUTH = {"authorization": "Bearer s3cret"}


def test_hostile_bodies_get_json_4xx_and_valid_neighbours_succeed(guarded):
    nested = b'{"input": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    bad = [({"input": ["fine", "\ud800"]}, 400, "input[1]"), (nested, 400, "nested too deeply")]
    with httpx.Client(base_url=guarded, timeout=60, headers=AUTH) as c, ThreadPoolExecutor(8) as pool:

        def good(i):
            return c.post("/v1/embeddings", json={"input": [f"valid text {i}"]}).status_code

        futures = [pool.submit(good, i) for i in range(16)]
        for payload, status, needle in bad:
            content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            r = c.post("/v1/embeddings", content=content, headers={"content-type": "application/json"})
            assert r.status_code == status and needle in r.json()["error"]["message"], r.text
        assert [f.result() for f in futures] == [200] * 16


def test_limits_hold_while_reading_a_chunked_or_slow_body(guarded):
    def big():
        for _ in range(2000):  # 20 MB if read whole; the limit is 300 kB
            yield b"x" * 10_000

    def slow():
        yield b'{"input": '
        time.sleep(2.5)
        yield b'"late"}'

    with httpx.Client(base_url=guarded, timeout=60, headers=AUTH) as c:
        r = c.post("/v1/embeddings", content=big())
        assert r.status_code == 413 and r.json()["error"]["type"] == "invalid_request_error"
        r = c.post("/v1/embeddings", content=slow())
        assert r.status_code == 408 and "within" in r.json()["error"]["message"]


def test_the_api_key_is_required_and_models_shows_no_path(guarded):
    with httpx.Client(base_url=guarded, timeout=60) as c:
        for headers in ({}, {"authorization": "Bearer wrong"}):
            r = c.post("/v1/embeddings", json={"input": "x"}, headers=headers)
            assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
        assert c.get("/v1/models", headers=AUTH).json()["data"][0]["id"] == "tiny"
        assert c.post("/v1/embeddings", json={"input": "x"}, headers=AUTH).status_code == 200


def test_an_unexpected_error_is_a_json_500(tiny, task, monkeypatch):
    monkeypatch.setattr(tiny, "encode_documents", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with BackgroundServer(create_app(tiny, {"news": task}, "tiny", ServeConfig(max_wait_ms=1))) as url:
        r = httpx.post(f"{url}/v1/embeddings", json={"input": "x"}, timeout=60)
    assert r.status_code == 500 and r.json()["error"]["type"] == "server_error" and "boom" not in r.text


def test_binding_beyond_loopback_without_a_key_warns(tiny, monkeypatch):
    import uvicorn

    import epic.serving.draining as draining
    import epic.serving.server as serve_module

    monkeypatch.setattr(serve_module.EpicEncoder, "from_pretrained", staticmethod(lambda *a, **k: tiny))
    seen = {}
    monkeypatch.setattr(draining.DrainingServer, "run", lambda server: seen.update(vars(server.config)))
    monkeypatch.setattr(
        uvicorn, "run", lambda *a, **kw: pytest.fail("serve must drain: DrainingServer, not uvicorn.run")
    )
    monkeypatch.delenv("EPIC_API_KEY", raising=False)
    with pytest.warns(UserWarning, match="without an API key"):
        serve_module.serve(None, None, "0.0.0.0", 8080, ServeConfig())
    assert seen["limit_concurrency"] == ServeConfig().max_connections
    assert seen["timeout_graceful_shutdown"] == ServeConfig().drain_timeout_s
    monkeypatch.setenv("EPIC_API_KEY", "k")
    config = ServeConfig()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        serve_module.serve(None, None, "0.0.0.0", 8080, config)
    assert config.api_key == "k"


def test_serve_loads_the_model_in_the_configured_precision(tiny, monkeypatch):
    import epic.serving.server as serve_module

    asked = {}
    monkeypatch.setattr(
        serve_module.EpicEncoder, "from_pretrained", staticmethod(lambda *a, **k: asked.update(k) or tiny)
    )
    monkeypatch.setattr(serve_module, "run_server", lambda *a: None)
    serve_module.serve(None, None, "127.0.0.1", 8080, ServeConfig(mixed_precision="auto"))
    assert asked == {"mixed_precision": "auto"}
    with pytest.raises(ValueError, match="ServeConfig.mixed_precision must be none, bf16 or auto, got 'fp16'"):
        ServeConfig(mixed_precision="fp16")


def test_sigterm_drains_answers_what_is_in_flight_refuses_new_requests_and_exits(tiny_dir, tmp_path):
    """`epic serve` in its own process: SIGTERM while requests wait in the batcher; they are answered
    (with the library's vectors), a request sent during the drain gets 503, and the process ends."""
    import os
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "epic.cli", "serve", "--model", str(tiny_dir), "--port", str(port),
           "--max-wait-ms", "1500", "--max-batch-texts", "64"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        texts = [f"document number {i} about the river bank" for i in range(4)]

        def post(text):
            body = {"model": "m", "input": text, "input_type": "document"}
            return httpx.post(f"{url}/v1/embeddings", json=body, timeout=60)

        with ThreadPoolExecutor(4) as pool:
            in_flight = [pool.submit(post, t) for t in texts]
            time.sleep(0.5)  # they wait in the batcher (max_wait_ms 1500)
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            late = post("sent during the drain")
            answers = [f.result() for f in in_flight]
        assert late.status_code == 503 and late.headers["retry-after"] == "1"
        assert "shutting down" in late.json()["error"]["message"]
        assert [a.status_code for a in answers] == [200] * 4
        expected = EpicEncoder.from_pretrained(tiny_dir, device="cpu").encode_documents(texts)
        got = np.array([a.json()["data"][0]["embedding"] for a in answers])
        np.testing.assert_allclose(got, expected, atol=1e-5)
        assert proc.wait(timeout=30) in (-signal.SIGTERM, 128 + signal.SIGTERM)  # ended by the signal it was sent
    finally:
        proc.kill()
