"""Are the pooled document embeddings collapsed? Mean pairwise cosine and top-3 share of the offline
suite's documents (200 BBC leads and 200 Rotten Tomatoes snippets, seeded picks) per model.

    python benchmarks/suite_geometry.py --model default --model runs/quickstart/model
"""

from __future__ import annotations

import argparse
import random

import numpy as np

from epic.evaluation.suite import _bbc_lead, bbc_articles, rotten_tomatoes


def suite_documents(n: int = 200) -> dict[str, list[str]]:
    rng = random.Random(0)
    bbc = [_bbc_lead(a) for a in rng.sample(bbc_articles(), n)]
    rt = [r["text"] for r in rng.sample(rotten_tomatoes(), n) if r.get("text")]
    return {"BBC leads": bbc, "RT snippets": rt}


def geometry(x: np.ndarray, raw: np.ndarray) -> tuple[float, float]:
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    n = len(u)
    sq = raw**2
    top3 = np.sort(sq, axis=1)[:, -3:].sum(1) / sq.sum(1)
    return float(((u @ u.T).sum() - n) / (n * (n - 1))), float(top3.mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    import torch

    from epic import EpicEncoder

    torch.set_num_threads(a.threads)
    docs = suite_documents()
    print("| model | " + " | ".join(f"{k}: pairwise cos · top-3 share" for k in docs) + " |")
    print("|---|" + "---|" * len(docs))
    for m in a.model:
        model = EpicEncoder.from_pretrained(m, device="cpu")
        model.config.normalize = False  # the pooled vectors as the model computes them
        cells = []
        for texts in docs.values():
            x = model.encode_documents(texts)
            cells.append("{:.2f} · {:.2f}".format(*geometry(x, x)))
        print(f"| {m} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
