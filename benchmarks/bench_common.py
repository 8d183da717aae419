"""What the benchmarks share: thread pinning, the machine line, timing, markdown tables, sample texts.

Every table states the machine, the threads and the model; ratios are measured within one run.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import torch

from epic.encoder.engine import bf16_is_native


def setup_threads(threads: int) -> str:
    """Pin intra-op threads (a shared 2-core machine spins badly otherwise); describe the setting."""
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    torch.set_num_threads(threads)
    return f"torch threads={threads}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}"


def cpu_name() -> str:
    """The CPU's model name and whether it computes bf16 natively (the two facts a CPU timing depends on)."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            name = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), name)
    except OSError:
        pass
    return f"{name} ({'native bf16' if bf16_is_native(torch.device('cpu')) else 'no native bf16'})"


def machine() -> str:
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu_name()}, {os.cpu_count()} cores, {gpu}, torch {torch.__version__}"


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
    from epic.data.sources.wordnet import read_wordnet

    try:
        synsets = [s for s in read_wordnet() if s["examples"]]
    except FileNotFoundError:
        from epic.data.examples import demo_task

        task, queries, _ = demo_task()
        return (queries * (n // len(queries) + 1))[:n], [(d.query, d.response) for d in task.demos]
    g = torch.Generator().manual_seed(seed)
    pick = torch.randperm(len(synsets), generator=g)[: n + n_demos].tolist()
    chosen = [synsets[i] for i in pick]
    return [s["examples"][0] for s in chosen[:n]], [(s["examples"][0], s["gloss"]) for s in chosen[n:]]
