"""The EPIC mechanism: demonstrations enter the LLM as soft tokens.

A demonstration ``(query_j, response_j)`` is represented by the model's own pooled embeddings
``f(instruct(query_j))`` and ``f(response_j)`` (or one vector ``f(whole formatted pair)``). They are
far out of the input distribution (pooled norm ~50 vs token-embedding norm ~3 on SmolLM2), so a
:class:`DemoProjector` maps them into the input-embedding space, and :func:`inject` writes them into
``inputs_embeds`` at the slot positions the prompt builder reserved. That is all of it: the rest of
the model (attention, positions, pooling) is the unchanged decoder.

Projection kinds (all start as the same function, so ablations compare like with like):

* ``rescale`` - L2-normalise, optionally centre, scale to the mean token-embedding norm; no parameters.
* ``linear`` - ``rescale`` followed by a learned linear map initialised to the identity.
* ``mlp`` - ``rescale`` followed by a residual two-layer MLP whose output layer starts at zero.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

PROJECTIONS = ("rescale", "linear", "mlp")


class DemoProjector(nn.Module):
    """Maps pooled demonstration vectors (…, d) into the LLM's input-embedding space (…, d)."""

    def __init__(self, hidden_size: int, kind: str = "rescale", center: bool = False, target_norm: float = 1.0):
        super().__init__()
        if kind not in PROJECTIONS:
            raise ValueError(f"projection must be one of {PROJECTIONS}, got {kind!r}")
        self.kind = kind
        self.center = center
        self.register_buffer("target_norm", torch.tensor(float(target_norm)))
        self.register_buffer("center_vector", torch.zeros(hidden_size))
        if kind == "linear":
            self.linear = nn.Linear(hidden_size, hidden_size)
            with torch.no_grad():
                self.linear.weight.copy_(torch.eye(hidden_size))
                self.linear.bias.zero_()
        elif kind == "mlp":
            self.mlp = nn.Sequential(
                nn.Linear(hidden_size, hidden_size), nn.GELU(), nn.Linear(hidden_size, hidden_size)
            )
            with torch.no_grad():
                self.mlp[2].weight.zero_()
                self.mlp[2].bias.zero_()

    @torch.no_grad()
    def calibrate(self, vectors: torch.Tensor) -> None:
        """Set the centre to the mean direction of ``vectors`` (pooled embeddings of generic text)."""
        self.center_vector.copy_(F.normalize(vectors.float(), dim=-1).mean(0))

    def forward(self, vectors: torch.Tensor) -> torch.Tensor:
        v = F.normalize(vectors.float(), dim=-1)
        if self.center:
            v = F.normalize(v - self.center_vector, dim=-1)
        v = v * self.target_norm
        if self.kind == "linear":
            v = self.linear(v)
        elif self.kind == "mlp":
            v = v + self.mlp(v)
        return v


def inject(
    inputs_embeds: torch.Tensor, slot_rows: torch.Tensor, slot_cols: torch.Tensor, vectors: torch.Tensor
) -> torch.Tensor:
    """Return ``inputs_embeds`` with ``vectors[i]`` written at ``(slot_rows[i], slot_cols[i])``.

    Out of place, so gradients reach both the token embeddings and the demonstration vectors.
    """
    if slot_rows.numel() != vectors.shape[0]:
        raise ValueError(f"{slot_rows.numel()} demonstration slots but {vectors.shape[0]} vectors")
    if slot_rows.numel() == 0:
        return inputs_embeds
    return inputs_embeds.index_put((slot_rows, slot_cols), vectors.to(inputs_embeds.dtype))
