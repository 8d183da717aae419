"""Golden numbers: today's embeddings and training steps, held to 1e-5 across refactors.

The files in tests/golden/ were written by ``python -m tests.golden.make_golden`` before the
redesign; a change here is a change of behaviour, not of structure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.golden.make_golden import TINY, TRAIN_RUNS, cases, train_run

GOLDEN = Path(__file__).parents[1] / "golden"


def _assert_same(got: dict[str, torch.Tensor], want: dict[str, torch.Tensor], atol: float = 1e-5) -> None:
    assert sorted(got) == sorted(want)
    for key in want:
        assert got[key].shape == want[key].shape, key
        diff = (got[key].double() - want[key].double()).abs().max().item()
        assert diff <= atol, f"{key}: max difference {diff:.2e}"


@pytest.mark.parametrize("name", sorted(TINY))
def test_tiny_saved_models_embed_as_before(name):
    from epic import EpicEncoder

    model = EpicEncoder.from_pretrained(GOLDEN / name, device="cpu")
    _assert_same(cases(model), load_file(str(GOLDEN / f"{name}.safetensors")))


@pytest.mark.parametrize("name", sorted(TRAIN_RUNS))
def test_training_steps_as_before(name, tmp_path):
    want = {k: v for k, v in load_file(str(GOLDEN / "train.safetensors")).items() if k.startswith(f"{name}/")}
    _assert_same(train_run(name, tmp_path), want)


@pytest.mark.integration
def test_untrained_default_backbone_embeds_as_before():
    from epic import EpicEncoder

    _assert_same(
        cases(EpicEncoder.from_pretrained(device="cpu")), load_file(str(GOLDEN / "default-untrained.safetensors"))
    )


@pytest.mark.parametrize("name", sorted(TINY))
def test_folders_saved_before_the_layout_move_load_in_sentence_transformers(name):
    """The golden folders were saved by an earlier release; their ``modules.json`` names
    ``epic.st.EpicSTModule``, which must keep importing and give the golden documents' vectors."""
    import json

    from sentence_transformers import SentenceTransformer

    from epic.data.examples import demo_task

    assert json.loads((GOLDEN / name / "modules.json").read_text())[0]["type"] == "epic.st.EpicSTModule"
    st = SentenceTransformer(str(GOLDEN / name), device="cpu", trust_remote_code=True)
    _, _, docs = demo_task()
    got = torch.from_numpy(st.encode_document(docs, convert_to_numpy=True))
    _assert_same({"documents": got}, {"documents": load_file(str(GOLDEN / f"{name}.safetensors"))["documents"]})
