"""The offline suite's tasks as mteb ``AbsTask`` objects, their data already loaded (no network)."""

from __future__ import annotations

from .suite import SuiteTask


def mteb_tasks(suite: dict[str, SuiteTask], names: list[str] | None = None) -> list:
    """The suite's tasks as mteb ``AbsTask`` objects with their data already loaded (no network)."""
    from datasets import Dataset, DatasetDict
    from mteb.abstasks.classification import AbsTaskClassification
    from mteb.abstasks.clustering import AbsTaskClustering
    from mteb.abstasks.pair_classification import AbsTaskPairClassification
    from mteb.abstasks.retrieval import AbsTaskRetrieval
    from mteb.abstasks.retrieval_dataset_loaders import RetrievalSplitData
    from mteb.abstasks.task_metadata import TaskMetadata

    bases = {
        "Classification": AbsTaskClassification,
        "Clustering": AbsTaskClustering,
        "PairClassification": AbsTaskPairClassification,
        "Retrieval": AbsTaskRetrieval,
    }
    unknown = sorted(set(names or []) - set(suite))
    if unknown:
        raise ValueError(f"unknown offline task(s) {unknown}; the suite has {sorted(suite)}")
    out = []
    for name in names or list(suite):
        st = suite[name]
        metadata = TaskMetadata(
            name=st.name, type=st.type, main_score=st.main_score, description=st.description,
            reference="https://github.com/epic-embed/epic",
            dataset={"path": f"epic-offline/{st.name}", "revision": "1"},
            category="t2t", eval_splits=["test"], eval_langs=["eng-Latn"], date=("2004-01-01", "2009-12-31"),
            dialect=["Written"], domains=["News"] if "BBC" in st.name else ["Reviews"], task_subtypes=[],
            license="not specified", annotations_creators="derived", modalities=["text"], sample_creation="found",
            bibtex_citation="", prompt=st.instruction,
        )  # fmt: skip

        def load_data(self, num_proc=None, _st=st, **kwargs) -> None:
            if _st.type == "Retrieval":
                split = _st.data["test"]
                self.dataset = {
                    "default": {
                        "test": RetrievalSplitData(
                            queries=Dataset.from_list(split["queries"]),
                            corpus=Dataset.from_list(split["corpus"]),
                            relevant_docs=split["relevant_docs"],
                            top_ranked=None,
                        )
                    }
                }
            else:
                self.dataset = DatasetDict({s: Dataset.from_dict(cols) for s, cols in _st.data.items()})
            self.data_loaded = True

        attrs = {"metadata": metadata, "load_data": load_data}
        if st.type == "Classification":
            attrs["samples_per_label"] = 16
        if st.type == "Clustering":
            attrs["max_document_to_embed"] = len(st.data["test"]["sentences"])
            attrs["max_fraction_of_documents_to_embed"] = None
            attrs["max_documents_per_cluster"] = len(st.data["test"]["sentences"])
        out.append(type(st.name, (bases[st.type],), attrs)())
    return out
