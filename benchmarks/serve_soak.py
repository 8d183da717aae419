"""A soak test of ``epic serve``: 32 clients for 30 minutes of mixed requests, every answer checked.

``epic serve`` runs as its own process (as in production); clients on loopback cycle documents, queries
with the task's fixed demonstrations, queries with demonstrations given in the request, and about one
request in twenty malformed (broken JSON, an unknown task, a wrong type), which must get a 4xx. Every
valid answer is compared with the library's vector for that text, computed beforehand in this process.
Each minute the server's resident memory, its open file descriptors, the latency percentiles, failed
valid requests and wrong answers are recorded; the table and a plot are written at the end:

    python benchmarks/serve_soak.py --minutes 30 --clients 32 --out runs/soak
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from bench_common import machine, markdown_table, sample_texts

from epic.data.tasks import Demo, Task
from epic.encoder.model import EpicEncoder

MALFORMED = [
    (b'{"model": "m", "input": ["unterminated', 400),
    (json.dumps({"model": "m", "input": "x", "task": "no-such-task"}).encode(), 404),
    (json.dumps({"model": "m", "input": 42}).encode(), 400),
]


def requests_and_answers(model: EpicEncoder, task: Task, texts, demos) -> list[tuple[bytes, np.ndarray]]:
    """The valid requests of the mix with the library's answer for each."""
    out = []
    for i, text in enumerate(texts):
        kind = i % 3
        if kind == 0:
            body = {"input": text, "task": "soak", "n_demos": 3}
            want = model.encode_queries([text], task=task, n_demos=3)[0]
        elif kind == 1:
            given = demos[i % 7 : i % 7 + 2]
            body = {"input": text, "task": "soak", "n_demos": 2,
                    "demonstrations": [{"query": q, "response": r} for q, r in given]}  # fmt: skip
            want = model.encode_queries([text], task=Task("g", task.instruction, [Demo(*d) for d in given]), n_demos=2)[
                0
            ]
        else:
            body = {"input": text, "input_type": "document"}
            want = model.encode_documents([text])[0]
        out.append((json.dumps({"model": "m", **body}).encode(), want))
    return out


def start_server(model: str | None, task_file: Path, port: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "epic.cli", "serve", "--tasks", str(task_file), "--port", str(port)]
    cmd += ["--model", model] if model else []
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Minute:
    """What one minute of the soak saw."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.failed = self.wrong = self.malformed_ok = self.malformed_bad = 0
        self.lock = threading.Lock()


def client(url, valid, stop_at, minutes, start, seed):
    import httpx

    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=120) as http:
        while time.time() < stop_at:
            bucket = minutes[min(int((time.time() - start) // 60), len(minutes) - 1)]
            if rng.random() < 0.05:
                body, status = rng.choice(MALFORMED)
                try:
                    r = http.post("/v1/embeddings", content=body, headers={"content-type": "application/json"})
                except httpx.HTTPError:
                    r = None
                with bucket.lock:
                    bucket.malformed_ok += r is not None and r.status_code == status
                    bucket.malformed_bad += r is None or r.status_code != status
                continue
            body, want = valid[rng.randrange(len(valid))]
            t0 = time.perf_counter()
            try:
                r = http.post("/v1/embeddings", content=body, headers={"content-type": "application/json"})
            except httpx.HTTPError:  # a dropped connection is a failed request, not a crashed client
                with bucket.lock:
                    bucket.failed += 1
                continue
            latency = time.perf_counter() - t0
            with bucket.lock:
                bucket.latencies.append(latency)
                if r.status_code != 200:
                    bucket.failed += 1
                elif float(np.dot(np.asarray(r.json()["data"][0]["embedding"]), want)) < 0.9999:
                    bucket.wrong += 1


def main() -> None:
    import psutil

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=int, default=30)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--model", default=None, help="saved epic model (default: the embedded backbone)")
    p.add_argument("--threads", type=int, default=2, help="the server's torch threads")
    p.add_argument("--texts", type=int, default=300)
    p.add_argument("--out", default="runs/soak")
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    texts, demos = sample_texts(a.texts)
    task = Task("soak", "Given a sentence, retrieve the dictionary definition of the word sense it uses",
                [Demo(q, r) for q, r in demos[:8]])  # fmt: skip
    model = EpicEncoder.from_pretrained(a.model, device="cpu")
    valid = requests_and_answers(model, task, texts, demos)
    del model
    task_file = Path(tempfile.mkdtemp()) / "tasks.yaml"
    listed = [{"query": d.query, "response": d.response} for d in task.demos]
    task_file.write_text(json.dumps({"tasks": [{"name": "soak", "instruction": task.instruction, "demos": listed}]}))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = start_server(a.model, task_file, port, a.threads)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        proc = psutil.Process(server.pid)
        minutes = [Minute() for _ in range(a.minutes)]
        start = time.time()
        stop_at = start + 60 * a.minutes
        samples = []
        with ThreadPoolExecutor(a.clients) as pool:
            for i in range(a.clients):
                pool.submit(client, url, valid, stop_at, minutes, start, i)
            for m in range(a.minutes):  # sample the server at the end of each minute
                time.sleep(max(0.0, start + 60 * (m + 1) - time.time()))
                samples.append((proc.memory_info().rss / 2**20, proc.num_fds()))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    report(a, minutes, samples, out)


def wait_until_up(url: str) -> None:
    import httpx

    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise SystemExit("the server did not come up within 5 minutes")


def report(a, minutes: list[Minute], samples, out: Path) -> None:
    rows = []
    for i, (m, (rss, fds)) in enumerate(zip(minutes, samples)):
        lat = np.array(m.latencies or [np.nan]) * 1000
        rows.append([i + 1, len(m.latencies), float(np.percentile(lat, 50)), float(np.percentile(lat, 99)),
                     m.failed, m.wrong, f"{m.malformed_ok}/{m.malformed_ok + m.malformed_bad}", rss, fds])  # fmt: skip
    headers = ["minute", "valid requests", "p50 ms", "p99 ms", "failed", "wrong", "malformed → 4xx", "RSS MiB", "fds"]
    table = markdown_table(headers, rows)
    lines = [f"serve soak — {a.clients} clients, {a.minutes} min, model {a.model or 'embedded default'}, "
             f"server threads {a.threads}; machine: {machine()}", "", table]  # fmt: skip
    if a.minutes >= 10:
        rss5, p99_5_10, p99_last = rows[4][7], np.mean([r[3] for r in rows[5:10]]), np.mean([r[3] for r in rows[-5:]])
        wrong, failed = sum(r[5] for r in rows), sum(r[4] for r in rows)
        lines += ["", f"RSS growth after minute 5: {100 * (rows[-1][7] / rss5 - 1):+.1f}% (target ≤ +10%); "
                      f"p99 of the last 5 min / minutes 6–10: {p99_last / p99_5_10:.2f} (target ≤ 1.2); "
                      f"wrong answers {wrong}, failed valid requests {failed}"]  # fmt: skip
    text = "\n".join(lines)
    print(text)
    (out / "soak.md").write_text(text + "\n")
    plot(rows, out / "soak.png")


def plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minute = [r[0] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    axes[0].plot(minute, [r[7] for r in rows], marker="o")
    axes[0].set(title="server RSS (MiB)", xlabel="minute")
    axes[1].plot(minute, [r[2] for r in rows], marker="o", label="p50")
    axes[1].plot(minute, [r[3] for r in rows], marker="o", label="p99")
    axes[1].set(title="latency (ms)", xlabel="minute")
    axes[1].legend()
    axes[2].plot(minute, [r[8] for r in rows], marker="o")
    axes[2].set(title="open file descriptors", xlabel="minute")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
