"""Positions per query on the offline suite: zero-shot, text demonstrations (the bge-en-icl format) and
EPIC's soft demonstrations (with / without markers, 1 or 2 vectors each), with the suite's fixed
first-k demonstrations exactly as the evaluation builds them. Tokenization only: no forward pass.

    python benchmarks/suite_tokens.py --k 3
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics

from bench_common import markdown_table

from epic.encoder.model import EpicEncoder
from epic.encoder.prompt import PromptBuilder
from epic.evaluation.suite import SuiteTask, build_suite


def query_texts(task: SuiteTask) -> list[str]:
    """The texts that get an instruction and demonstrations in the evaluation (queries; every text when symmetric)."""
    test = task.data["test"]
    if task.type == "Retrieval":
        return [q["text"] for q in test["queries"]]
    if task.type == "Classification":
        return list(test["text"])
    if task.type == "Clustering":
        return list(test["sentences"])
    return list(test["sentence1"]) + list(test["sentence2"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help="epic model folder (default: the embedded backbone)")
    p.add_argument("--k", type=int, default=3)
    a = p.parse_args()
    model = EpicEncoder.from_pretrained(a.model)
    cfg = model.config

    def builder(markers: bool, vectors: int) -> PromptBuilder:  # the encoder's own prompts, switches changed
        c = dataclasses.replace(cfg, demo_markers=markers, vectors_per_demo=vectors)
        return EpicEncoder(model.backbone, model.tokenizer, c, model.projector).prompts

    columns = {
        "zero-shot": (builder(True, 2), "none"),
        f"text k={a.k}": (builder(True, 2), "text"),
        f"EPIC k={a.k} (markers, 2 vec)": (builder(True, 2), "embedding"),
        f"EPIC k={a.k} (no markers, 2 vec)": (builder(False, 2), "embedding"),
        f"EPIC k={a.k} (markers, 1 vec)": (builder(True, 1), "embedding"),
        f"EPIC k={a.k} (no markers, 1 vec)": (builder(False, 1), "embedding"),
    }
    rows = []
    for name, st in build_suite().items():
        task, texts = st.epic_task(), query_texts(st)
        k = min(a.k, len(task.demos))
        row: list = [name]
        for prompts, mode in columns.values():
            lengths = [
                len(prompts.query(t, task.instruction, text_demos=task.demos[:k] if mode == "text" else (),
                                  n_soft_demos=k if mode == "embedding" else 0))
                for t in texts
            ]  # fmt: skip
            row.append(statistics.mean(lengths))
        rows.append(row)
    rows.append(["**mean**", *[statistics.mean(r[i] for r in rows) for i in range(1, len(columns) + 1)]])
    text_col = 2
    print(f"positions per query on the offline suite, k={a.k} fixed demonstrations (tokenizer: {cfg.backbone})\n")
    print(markdown_table(["task", *columns], rows))
    print("\ntext ICL positions ÷ EPIC positions (suite mean): " + ", ".join(
        f"{name.split('(')[1].rstrip(')')} {rows[-1][text_col] / rows[-1][i]:.1f}×"
        for i, name in enumerate(columns, start=1) if name.startswith("EPIC")
    ))  # fmt: skip


if __name__ == "__main__":
    main()
