"""A bounded load test of ``epic serve`` on loopback: fixed request counts, several concurrency levels.

Compares the batching server with one-request-at-a-time (``max_batch_texts=1``, no wait) on the same
model in one run. Traffic goes only to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench_common import machine, markdown_table, sample_texts, setup_threads

from epic.data.tasks import Demo, Task
from epic.encoder.model import EpicEncoder
from epic.serving.server import BackgroundServer, ServeConfig, create_app


def _run_level(url: str, texts: list[str], concurrency: int, n_requests: int, deadline_s: float) -> dict:
    import httpx

    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()

    def one(i: int) -> None:
        nonlocal errors
        if time.perf_counter() - start > deadline_s:
            return
        t0 = time.perf_counter()
        with httpx.Client(base_url=url, timeout=120) as c:
            r = c.post("/v1/embeddings", json={"input": texts[i % len(texts)], "task": "bench", "model": "epic"})
        if r.status_code != 200:
            errors += 1
        latencies.append(time.perf_counter() - t0)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(n_requests)))
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "p50": 1000 * statistics.median(latencies),
        "p99": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "errors": errors,
        "done": len(latencies),
    }


def load_test(model_path: str | None, threads: int, levels: list[int], n_requests: int, deadline_s: float = 300) -> str:
    setting = setup_threads(threads)
    model = EpicEncoder.from_pretrained(model_path, device="cpu")
    texts, demos = sample_texts(256)
    task = Task("bench", "Given a sentence, retrieve the dictionary definition of the word sense it uses",
                [Demo(q, r) for q, r in demos[:3]])  # fmt: skip
    rows = []
    for label, config in (
        ("batched", ServeConfig(max_wait_ms=5, max_batch_texts=64)),
        ("one at a time", ServeConfig(max_wait_ms=0, max_batch_texts=1)),
    ):
        with BackgroundServer(create_app(model, {"bench": task}, "epic", config)) as url:
            _run_level(url, texts, 1, 2, deadline_s)  # warm-up
            for c in levels:
                r = _run_level(url, texts, c, n_requests, deadline_s)
                rows.append([label, c, r["done"], r["rps"], r["rps"], r["p50"], r["p99"], r["errors"]])
    table = markdown_table(
        ["server", "concurrency", "requests", "requests / s", "texts / s", "p50 ms", "p99 ms", "errors"], rows
    )
    name = model_path or "embedded default: SmolLM2-135M-Instruct (Q4_1 GGUF dequantized to fp32)"
    return (
        f"serve load — model: {name}; 1 text per request (a WordNet example sentence), task with 3 EPIC demos "
        f"(cached prefix); loopback HTTP, httpx clients\nmachine: {machine()}; {setting}\n\n{table}\n"
    )


if __name__ == "__main__":
    from epic.cli import main

    main(["bench", "serve", *sys.argv[1:]])
