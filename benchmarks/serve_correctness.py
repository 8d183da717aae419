"""Correctness and memory of ``epic serve`` under concurrent load, on loopback only.

Many clients send texts longer than the model's ``max_length`` (so truncation matters) as queries and
documents; every answer is compared with the single-threaded encoder's vector for the same text, and
the process's resident memory is read before and after. Bounded: a fixed number of requests.

    python benchmarks/serve_correctness.py --requests 5000 --clients 32 --max-length 16
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from bench_common import sample_texts, setup_threads

from epic import EpicEncoder
from epic.data.tasks import Demo, Task
from epic.serving.server import BackgroundServer, ServeConfig, create_app


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    import httpx

    setup_threads(a.threads)
    model = EpicEncoder.from_pretrained(a.model, device="cpu", max_length=a.max_length)
    sentences, demos = sample_texts(128)
    texts = [" ".join(sentences[i : i + 4]) for i in range(64)]  # each far longer than max_length tokens
    task = Task("bench", "Given a sentence, retrieve the definition of the word sense it uses",
                [Demo(q, r) for q, r in demos[:3]])  # fmt: skip
    expected = {"query": model.encode_queries(texts, task=task), "document": model.encode_documents(texts)}
    app = create_app(model, {"bench": task}, "epic", ServeConfig(max_wait_ms=5))
    wrong, failed = [], []

    def client(worker: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as c:
            for k in range(worker, a.requests, a.clients):
                i, kind = k % len(texts), ("query", "document")[k % 2]
                r = c.post("/v1/embeddings", json={"input": [texts[i]], "task": "bench", "input_type": kind})
                if r.status_code != 200:
                    failed.append(r.status_code)
                    continue
                vec = np.array(r.json()["data"][0]["embedding"], dtype=np.float32)
                if not np.allclose(vec, expected[kind][i], atol=1e-5):
                    wrong.append((kind, i, float(np.abs(vec - expected[kind][i]).max())))

    with BackgroundServer(app) as url:
        before = rss_mib()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(a.clients) as pool:
            list(pool.map(client, range(a.clients)))
        seconds = time.perf_counter() - t0
        after = rss_mib()
    print(f"model: {a.model or 'embedded default'} (max_length {a.max_length}); {a.clients} clients, "
          f"{a.requests} requests of one long text (queries and documents alternating), {seconds:.0f} s")  # fmt: skip
    print("| answers | wrong vectors | failed requests | RSS before (MiB) | RSS after (MiB) |\n|---|---|---|---|---|")
    print(f"| {a.requests - len(failed)} | {len(wrong)} | {len(failed)} | {before:.0f} | {after:.0f} |")
    if wrong:
        print("first wrong:", wrong[:5])


if __name__ == "__main__":
    main()
