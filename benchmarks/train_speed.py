"""Training-step cost of contrastive, EPIC and text ICL at equal batch and K (default training set,
built on first use). Prints a table.

    python benchmarks/train_speed.py [--model PATH] [--batch-size 16] [--k 5] [--repeats 3] [--threads 2]

Same as ``epic bench train ...``.
"""

import statistics
import sys

from bench_common import machine, markdown_table, setup_threads

from epic.training.config import TrainConfig
from epic.training.trainer import Trainer


def train_speed(model_path: str | None, batch_size: int, k: int, steps: int, threads: int, data: str, **kw) -> str:
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


if __name__ == "__main__":
    from epic.cli import main

    main(["bench", "train", *sys.argv[1:]])
