"""Encoding throughput and tokens per query: zero-shot vs EPIC embedding demos vs text demos
(with and without the shared-prefix KV cache, fixed and nearest-neighbour demos). Prints a table.

    python benchmarks/encode_speed.py [--model PATH] [--queries 64] [--k 5] [--threads 2]

Same as ``epic bench encode ...``.
"""

import dataclasses
import sys

import torch
from bench_common import machine, markdown_table, sample_texts, setup_threads, timed

from epic.data.tasks import Demo, Task
from epic.encoder.model import EpicEncoder


def encode_speed(model_path: str | None, n_queries: int, k: int, batch_size: int, threads: int, repeats: int) -> str:

    setting = setup_threads(threads)
    model = EpicEncoder.from_pretrained(model_path, device="cpu" if not torch.cuda.is_available() else None)
    queries, demo_pairs = sample_texts(n_queries)
    task = Task("bench", "Given a sentence, retrieve the dictionary definition of the word sense it uses")
    task.demos = [Demo(q, r) for q, r in demo_pairs[: max(k, 8)]]
    bare = EpicEncoder(
        model.backbone, model.tokenizer, dataclasses.replace(model.config, demo_markers=False), model.projector
    )
    bare.pooled_stats = model.pooled_stats  # the same weights and statistics, only the prompt differs
    runs = [
        ("none (zero-shot)", model, dict(demo_mode="none", prefix_cache=False)),
        ("none, prefix KV cache", model, dict(demo_mode="none", prefix_cache=True)),
        (f"embedding, k={k} (EPIC)", model, dict(demo_mode="embedding", n_demos=k, prefix_cache=False)),
        (f"embedding, k={k}, no markers", bare, dict(demo_mode="embedding", n_demos=k, prefix_cache=False)),
        (f"text, k={k} (bge-en-icl)", model, dict(demo_mode="text", n_demos=k, prefix_cache=False)),
        (f"embedding, k={k}, prefix KV cache", model, dict(demo_mode="embedding", n_demos=k, prefix_cache=True)),
        (f"text, k={k}, prefix KV cache", model, dict(demo_mode="text", n_demos=k, prefix_cache=True)),
        (f"embedding, k={k}, nearest demos", model, dict(demo_mode="embedding", n_demos=k, demo_selection="nearest")),
        (f"text, k={k}, nearest demos", model, dict(demo_mode="text", n_demos=k, demo_selection="nearest")),
    ]
    rows, text_qps = [], None
    for name, enc, kw in runs:
        mode, n = kw["demo_mode"], kw.get("n_demos", 0)
        prompts = [
            enc.prompts.query(q, task.instruction, text_demos=task.demos[:n] if mode == "text" else (),
                              n_soft_demos=n if mode == "embedding" else 0)
            for q in queries
        ]  # fmt: skip
        positions = sum(len(p) for p in prompts) / len(prompts)
        # with a prefix cache each query computes only its own tokens (+ the shared prefix once, amortised)
        shared = len(enc.shared_prefix(task, n, mode)[0]) if kw.get("prefix_cache") else 0
        computed = positions - shared + shared / len(queries)
        if kw.get("demo_selection") == "nearest":
            computed += sum(len(enc.prompts.query(q, task.instruction)) for q in queries) / len(queries)
        enc.demo_vectors(task)  # the per-task cache is built once, before timing (as when serving)

        def run(enc=enc, kw=kw):
            return enc.encode_queries(queries, task=task, batch_size=batch_size, **kw)

        qps = len(queries) / timed(run, repeats)
        if name.startswith("text") and text_qps is None:
            text_qps = qps
        rows.append([name, round(positions, 1), round(computed, 1), qps])
    rows = [r + [r[3] / rows[0][3], r[3] / text_qps] for r in rows]
    headers = ["mode", "positions / query", "tokens computed / query", "queries / s", "x zero-shot", "x text"]
    name = model_path or "embedded default: SmolLM2-135M-Instruct (Q4_1 GGUF dequantized to fp32)"
    return (
        f"encode speed — model: {name}; {len(queries)} WordNet example sentences as queries, batch {batch_size}, "
        f"median of {repeats}\nmachine: {machine()}; {setting}\n\n{markdown_table(headers, rows)}\n"
    )


if __name__ == "__main__":
    from epic.cli import main

    main(["bench", "encode", *sys.argv[1:]])
