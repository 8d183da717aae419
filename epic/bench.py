"""Benchmarks (``epic bench encode|train``; scripts in ``benchmarks/`` call these): tables, not tests.

Every table states the machine, the threads and the model; ratios are measured within one run.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import torch


def setup_threads(threads: int) -> str:
    """Pin intra-op threads (a shared 2-core machine spins badly otherwise); describe the setting."""
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    torch.set_num_threads(threads)
    return f"torch threads={threads}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}"


def machine() -> str:
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {gpu}, torch {torch.__version__}"


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median wall-clock seconds of ``fn`` over ``repeats`` runs, after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def markdown_table(headers: list[str], rows: list[list[object]]) -> str:
    def fmt(x: object) -> str:
        return f"{x:,.2f}" if isinstance(x, float) else str(x)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def sample_texts(n: int, seed: int = 0, n_demos: int = 16) -> tuple[list[str], list[tuple[str, str]]]:
    """Real queries (WordNet example sentences) and (sentence, gloss) demonstrations, or a fallback."""
    from .builddata import read_wordnet

    try:
        synsets = [s for s in read_wordnet() if s["examples"]]
    except FileNotFoundError:
        from .quick import demo_task

        task, queries, _ = demo_task()
        return (queries * (n // len(queries) + 1))[:n], [(d.query, d.response) for d in task.demos]
    g = torch.Generator().manual_seed(seed)
    pick = torch.randperm(len(synsets), generator=g)[: n + n_demos].tolist()
    chosen = [synsets[i] for i in pick]
    return [s["examples"][0] for s in chosen[:n]], [(s["examples"][0], s["gloss"]) for s in chosen[n:]]


def encode_speed(model_path: str | None, n_queries: int, k: int, batch_size: int, threads: int, repeats: int) -> str:
    import dataclasses

    from .data import Demo, Task
    from .model import EpicEncoder

    setting = setup_threads(threads)
    model = EpicEncoder.from_pretrained(model_path, device="cpu" if not torch.cuda.is_available() else None)
    queries, demo_pairs = sample_texts(n_queries)
    task = Task("bench", "Given a sentence, retrieve the dictionary definition of the word sense it uses")
    task.demos = [Demo(q, r) for q, r in demo_pairs[: max(k, 8)]]
    bare = EpicEncoder(
        model.backbone, model.tokenizer, dataclasses.replace(model.config, demo_markers=False), model.projector
    )
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


def train_speed(model_path: str | None, batch_size: int, k: int, steps: int, threads: int, data: str, **kw) -> str:
    from .train import TrainConfig, Trainer

    setting = setup_threads(threads)
    rows, base = [], {}
    for mode in ("contrastive", "epic", "text-icl"):
        cfg = TrainConfig(
            model=model_path, data=data, mode=mode, batch_size=batch_size, max_demos=k, max_steps=steps + 1,
            output=f"/tmp/epic-train-speed-{mode}", save_every=0, quiet=True, **kw,
        )  # fmt: skip
        trainer = Trainer(cfg)
        trainer.train_step()  # warm-up
        records = [trainer.train_step() for _ in range(steps)]
        sec = statistics.median(r["seconds"] for r in records)
        tokens = statistics.mean(r["tokens"] for r in records)
        base.setdefault("sec", sec)
        rows.append([mode, round(tokens), batch_size / sec, base["sec"] / sec])
    epic_row, text_row = rows[1], rows[2]
    ratio = epic_row[2] / text_row[2]
    table = markdown_table(["mode", "tokens / step", "examples / s", "x contrastive"], rows)
    name = model_path or "embedded default: SmolLM2-135M-Instruct (Q4_1 GGUF dequantized to fp32)"
    return (
        f"train speed — model: {name}; batch {batch_size}, K={k} (k ~ U{{0..K}} per query), median of {steps} "
        f"steps; options {kw}\nmachine: {machine()}; {setting}\n\n{table}\n\nEPIC step is {ratio:.2f}x "
        "faster than a text-ICL step.\n"
    )
