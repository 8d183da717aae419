"""``epic serve`` on its own engine against ``epic serve --engine vllm``: the same mixed load, one run.

The load cycles three kinds of request, one text each: a query with the task's 3 fixed demonstrations,
a query with 2 demonstrations given in the request, and a document; 1, 8 and 32 concurrent clients on
loopback. Beside it, the offline rate: the same texts through ``EpicEncoder`` in batches of 32 (what a
server could reach without HTTP). Both engines compute in fp32 on the same exported model. Run it in
vLLM's environment (``bash scripts/install-vllm.sh``):

    ~/.venvs/epic-vllm/bin/python benchmarks/serve_engines.py --threads 2 --requests 96
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_common import machine, markdown_table, sample_texts, setup_threads

from epic.data.tasks import Demo, Task
from epic.encoder.model import EpicEncoder
from epic.serving.api import ServeConfig
from epic.serving.export import export_vllm
from epic.serving.server import BackgroundServer, create_app
from epic.serving.vllm_gateway import gateway_parts


def requests_for(texts: list[str], demos: list[tuple[str, str]]) -> list[dict]:
    """The mixed load: fixed demonstrations, demonstrations in the request, documents, in turn."""
    out = []
    for i, text in enumerate(texts):
        kind = i % 3
        if kind == 0:
            out.append({"input": text, "task": "bench", "n_demos": 3})
        elif kind == 1:
            given = [{"query": q, "response": r} for q, r in demos[(i % 7) : (i % 7) + 2]]
            out.append({"input": text, "task": "bench", "n_demos": 2, "demonstrations": given})
        else:
            out.append({"input": text, "input_type": "document"})
    return out


def run_level(url: str, bodies: list[dict], clients: int, n: int) -> dict:
    import httpx

    latencies, errors = [], 0
    client = httpx.Client(base_url=url, timeout=300, limits=httpx.Limits(max_connections=clients))

    def one(i: int) -> None:
        nonlocal errors
        t0 = time.perf_counter()
        r = client.post("/v1/embeddings", json={"model": "m", **bodies[i % len(bodies)]})
        errors += r.status_code != 200
        latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(n)))
    wall = time.perf_counter() - start
    client.close()
    latencies.sort()
    return {"rps": n / wall, "p50": 1000 * statistics.median(latencies),
            "p99": 1000 * latencies[min(n - 1, int(0.99 * n))], "errors": errors}  # fmt: skip


def offline_rate(model: EpicEncoder, task: Task, bodies: list[dict]) -> float:
    """Texts per second through the library, the three kinds each in batches of 32."""
    start = time.perf_counter()
    for kind in range(3):
        part = bodies[kind::3]
        texts = [b["input"] for b in part]
        if kind == 0:
            model.encode_queries(texts, task=task, n_demos=3)
        elif kind == 1:
            for b in part:  # each request has its own demonstrations: one call each, as the server must
                given = Task("given", task.instruction, [Demo(**d) for d in b["demonstrations"]])
                model.encode_queries([b["input"]], task=given, n_demos=2)
        else:
            model.encode_documents(texts)
    return len(bodies) / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--requests", type=int, default=96, help="per concurrency level")
    p.add_argument("--levels", default="1,8,32")
    a = p.parse_args()
    setting = setup_threads(a.threads)
    texts, demos = sample_texts(a.requests)
    task = Task("bench", "Given a sentence, retrieve the dictionary definition of the word sense it uses",
                [Demo(q, r) for q, r in demos[:8]])  # fmt: skip
    bodies = requests_for(texts, demos)
    model = EpicEncoder.from_pretrained(None, device="cpu")
    model.encode_queries(texts[:4], task=task, n_demos=3)  # warm
    offline = offline_rate(model, task, bodies)
    rows, levels = [], [int(x) for x in a.levels.split(",")]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "export"
        export_vllm(None, folder, {"bench": task})
        engines = [("epic (torch)", ServeConfig(max_wait_ms=5, max_batch_texts=64), None)]
        engines.append(("epic + vLLM", ServeConfig(engine="vllm", vllm_dtype="float32"), folder))
        for label, config, export in engines:
            factory = None
            tasks = {"bench": task}
            if export is not None:
                tasks, factory = gateway_parts(str(export), None, config)
            app = create_app(model if factory is None else None, tasks, "epic", config, factory)
            with BackgroundServer(app) as url:
                run_level(url, bodies, 1, 3)  # warm-up (and the engine's first compile)
                for clients in levels:
                    r = run_level(url, bodies, clients, a.requests)
                    rows.append([label, clients, a.requests, r["rps"], r["p50"], r["p99"], r["errors"],
                                 r["rps"] / offline])  # fmt: skip
    print(f"serve engines — embedded SmolLM2-135M (Q4_1 GGUF dequantized, fp32); mixed load of 1-text requests "
          f"(fixed demos / request demos / documents); offline library rate {offline:.1f} texts/s\n"
          f"machine: {machine()}; {setting}\n")  # fmt: skip
    headers = ["engine", "clients", "requests", "requests / s", "p50 ms", "p99 ms", "errors", "x offline rate"]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
