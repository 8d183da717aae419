"""Training-step cost of the three modes at equal batch and K: contrastive, EPIC, text ICL.

    python benchmarks/train_speed.py [--model PATH] [--batch-size 16] [--k 5] [--steps 3] [--threads 2]

Uses the default training set (built on first use). Prints a markdown table.
"""

import argparse

from epic.bench import train_speed
from epic.builddata import default_train_data

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", default=None)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--query-max-length", type=int, default=64)
    p.add_argument("--passage-max-length", type=int, default=128)
    p.add_argument("--demo-max-length", type=int, default=128)
    a = p.parse_args()
    print(
        train_speed(
            a.model, a.batch_size, a.k, a.steps, a.threads, str(default_train_data()),
            lora_r=a.lora_r, lora_alpha=2 * a.lora_r, query_max_length=a.query_max_length,
            passage_max_length=a.passage_max_length, demo_max_length=a.demo_max_length,
        )
    )  # fmt: skip
