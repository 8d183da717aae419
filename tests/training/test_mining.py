"""Hard-negative mining (``epic data mine``): the rank window, the positive-aware filter, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest
from train_fixtures import WORDS, write_train_set

from epic.cli import main
from epic.data.train_data import TrainTask
from epic.training.mining import MineConfig, mine_task

SEA = [
    ("tides", "the sea rises and falls twice a day under the pull of the moon"),
    ("storm", "strong winds over the sea raise waves that can sink small boats"),
    ("reef", "coral grows in warm shallow sea water and shelters many fish"),
    ("harbour", "a sheltered place on the coast where boats can moor safely"),
    ("lighthouse", "a tower on the coast with a bright lamp that guides ships at night"),
]
PARAPHRASE = "twice each day the sea rises and falls as the moon pulls on it"  # planted: a positive in other words


class Designed:
    """An embedder with vectors set by hand: query i is axis i; its positive leans 0.2 off it; the
    planted paraphrase of the first positive scores 0.99 of that positive; the others descend in order."""

    name = "designed"

    def __init__(self):
        dim = len(SEA) + 2
        axis = np.eye(dim, dtype=np.float32)
        self.vectors = {}
        for i, (query, positive) in enumerate(SEA):
            self.vectors[query] = axis[i]
            # every positive also leans on query 0's axis, less and less: a known order for "tides"
            self.vectors[positive] = axis[i] + 0.2 * axis[-1] + (0.0 if i == 0 else 0.5 - 0.08 * i) * axis[0]
        self.vectors[PARAPHRASE] = axis[0] + 0.25 * axis[-2]

    def _embed(self, texts):
        m = np.stack([self.vectors[t] for t in texts])
        return m / np.linalg.norm(m, axis=1, keepdims=True)

    queries = documents = lambda self, texts, task: self._embed(texts)  # noqa: E731


def _examples():
    from epic.data.example_table import TrainExample

    return [TrainExample(q, [p], [PARAPHRASE] if i == 1 else [], "sea") for i, (q, p) in enumerate(SEA)]


def _mine(cfg):
    return mine_task(Designed(), TrainTask("sea", "x"), _examples(), cfg)


def test_a_planted_paraphrase_of_the_positive_is_never_kept_as_a_negative():
    rows, report = _mine(MineConfig(rank_from=0, rank_to=10, negatives=10))
    tides = rows[0]
    assert tides["query"] == "tides" and PARAPHRASE not in tides["neg"]  # 0.99 x the positive's score: filtered
    assert len(tides["neg"]) == len(SEA) - 1 and report["mean_filtered"] > 0
    assert all(r["pos"][0] not in r["neg"] for r in rows)
    loose, _ = _mine(MineConfig(rank_from=0, rank_to=10, negatives=10, max_ratio=1.0))
    assert PARAPHRASE in loose[0]["neg"]  # without the filter it would have been kept: the test can fail


def test_the_rank_window_skips_the_nearest_candidates_and_the_draw_is_deterministic():
    everything, _ = _mine(MineConfig(rank_from=0, rank_to=10, negatives=10))
    window, _ = _mine(MineConfig(rank_from=2, rank_to=10, negatives=10))
    # "tides" ranks the paraphrase, then storm's, reef's, harbour's and lighthouse's positives: from rank 2 the
    # paraphrase (filtered anyway) and storm's are skipped
    assert set(everything[0]["neg"]) == {p for _, p in SEA[1:]}
    assert set(window[0]["neg"]) == {p for _, p in SEA[2:]}
    few = MineConfig(rank_from=0, rank_to=10, negatives=2)
    assert _mine(few)[0] == _mine(few)[0] and all(len(r["neg"]) == 2 for r in _mine(few)[0])


def test_epic_data_mine_with_the_peer_model_writes_a_loadable_set(tmp_path, capsys):
    from epic.data.train_data import load_train_data

    source = write_train_set(tmp_path / "set")
    with (source / "sea.jsonl").open("w") as fh:
        for q, p in SEA + [("moon pull", "the moon pulls on the sea")]:
            fh.write(json.dumps({"query": q, "pos": [p], "neg": [PARAPHRASE], "task": "sea",
                                 "instruction": "Given a word, retrieve a sentence about it"}) + "\n")  # fmt: skip
    args = ["data", "mine", "--model", "minilm", "--data", str(source), "--rank-from", "0", "--quiet"]
    main([*args, "--output", str(tmp_path / "a")])
    main([*args, "--output", str(tmp_path / "b")])
    for name in ("defs", "sents", "sea"):
        a, b = ((tmp_path / d / f"{name}.jsonl").read_text() for d in "ab")
        assert a == b  # deterministic
    mined = load_train_data(tmp_path / "a")
    assert set(mined.tasks) == {"defs", "sents", "sea"} and len(mined.examples) == 2 * len(WORDS) + len(SEA) + 1
    tides = next(json.loads(line) for line in (tmp_path / "a" / "sea.jsonl").open() if '"tides"' in line)
    assert PARAPHRASE not in tides["neg"] and tides["neg"]  # MiniLM sees the paraphrase: never a negative
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["mined"]["model"].endswith("model") and manifest["mined"]["config"]["rank_from"] == 0
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--output", str(tmp_path / "a")])  # never overwrites
    assert exit_info.value.code == 2 and "exists" in capsys.readouterr().err
