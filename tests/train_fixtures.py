"""Small training sets for the tests."""

from __future__ import annotations

import json
from pathlib import Path

WORDS = [
    ("cat", "a small domesticated feline", "a large wild feline"),
    ("dog", "a domesticated canine kept as a pet", "a wild canine of the plains"),
    ("bank", "a financial institution that keeps money", "the sloping land beside a river"),
    ("rain", "water falling in drops from clouds", "snow falling from clouds"),
    ("museum", "a building where art is displayed", "a building where books are lent"),
    ("stock", "a share in the ownership of a company", "a supply of goods kept on hand"),
    ("team", "a group playing a sport together", "a group of singers"),
    ("weather", "the state of the atmosphere", "the state of the economy"),
    ("bread", "food made of flour and baked", "a drink made from grapes"),
    ("river", "a large natural stream of water", "a large body of salt water"),
    ("train", "a series of connected railway cars", "to teach a skill"),
    ("music", "sounds arranged in a pleasing way", "pictures arranged on a wall"),
]


def write_train_set(folder: Path, with_task_file: bool = True, copies: int = 1) -> Path:
    """Two tasks over WORDS; ``copies`` > 1 adds numbered variants (enough rows to hold a validation batch out)."""
    folder.mkdir(parents=True, exist_ok=True)
    words = [(f"{w} {i}" if i else w, f"{g} ({i})" if i else g, n) for i in range(copies) for w, g, n in WORDS]
    with (folder / "defs.jsonl").open("w") as fh:
        for w, gloss, neg in words:
            fh.write(json.dumps({"query": w, "pos": [gloss], "neg": [neg], "task": "defs"}) + "\n")
    with (folder / "sents.jsonl").open("w") as fh:
        for w, gloss, neg in words:
            q = f"the {w} was mentioned in the story"
            fh.write(json.dumps({"query": q, "pos": [gloss], "neg": [neg, f"not {gloss}"], "task": "sents"}) + "\n")
    if with_task_file:
        (folder / "tasks.yaml").write_text(
            "tasks:\n"
            '  - {name: defs, instruction: "Given a word, retrieve its definition"}\n'
            '  - {name: sents, instruction: "Given a sentence, retrieve the definition of its key word", batch_size: 6}\n'
        )
    return folder
