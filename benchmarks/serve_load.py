"""Load test of the embeddings service on loopback (bounded: fixed request count per level).

python benchmarks/serve_load.py [--model PATH] [--requests 64] [--levels 1,4,16,32]
"""

import argparse

from epic.serve_load import load_test

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", default=None)
    p.add_argument("--requests", type=int, default=64)
    p.add_argument("--levels", default="1,4,16,32")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    print(load_test(a.model, a.threads, [int(x) for x in a.levels.split(",")], a.requests))
