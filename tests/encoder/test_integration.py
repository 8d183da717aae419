"""Integration: the real embedded backbone (SmolLM2-135M, 4-bit GGUF dequantized), loaded offline."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real():
    from epic import EpicEncoder

    return EpicEncoder.from_pretrained(device="cpu")


def test_default_backbone_embeds_sentences(real):
    from epic.data.examples import demo_task

    task, queries, docs = demo_task()
    assert real.hidden_size == 576 and len(real.backbone.layers) == 30
    D = real.encode_documents(docs)
    Q0 = real.encode_queries(queries, task=task, demo_mode="none")
    Q3 = real.encode_queries(queries, task=task, n_demos=3)
    assert D.shape == (5, 576) and Q3.shape == (5, 576)
    np.testing.assert_allclose(np.linalg.norm(Q3, axis=1), 1, atol=1e-5)
    assert np.isfinite(Q3).all() and not np.allclose(Q0, Q3, atol=1e-3)
    # batched and one-at-a-time encodings agree on the real model too (explicit position_ids)
    single = np.concatenate([real.encode_queries([q], task=task, n_demos=3) for q in queries])
    np.testing.assert_allclose(Q3, single, atol=2e-4)
