"""Encoding throughput and tokens per query: zero-shot vs EPIC embedding demos vs text demos
(with and without the shared-prefix KV cache, fixed and nearest-neighbour demos). Prints a table.

    python benchmarks/encode_speed.py [--model PATH] [--queries 64] [--k 5] [--threads 2]

Same as ``epic bench encode ...``.
"""

import sys

from epic.cli import main

if __name__ == "__main__":
    main(["bench", "encode", *sys.argv[1:]])
