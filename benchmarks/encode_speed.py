"""Encoding throughput and tokens per query: zero-shot vs EPIC embedding demos vs text demos.

    python benchmarks/encode_speed.py [--model PATH] [--queries 64] [--k 5] [--threads 2]

Prints a markdown table (see docs/benchmarks.md for a recorded run).
"""

import argparse

from epic.bench import encode_speed

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", default=None)
    p.add_argument("--queries", type=int, default=64)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    print(encode_speed(a.model, a.queries, a.k, a.batch_size, a.threads, a.repeats))
