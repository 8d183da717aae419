"""Bounded load test of the embeddings service on loopback: batched vs one-at-a-time server,
fixed request count per concurrency level. Prints a table.

    python benchmarks/serve_load.py [--model PATH] [--requests 64] [--levels 1,4,16,32]

Same as ``epic bench serve ...``.
"""

import sys

from epic.cli import main

if __name__ == "__main__":
    main(["bench", "serve", *sys.argv[1:]])
