"""Pooling: from the backbone's last hidden states to one vector per text, and the pooled statistics.

``pool`` reads the last attended position (right for left and right padding), the mean, or the
position-weighted mean (SGPT) of the hidden states. :class:`PooledStats` then optionally centres
(``center``) or standardises (``standardize``) the pooled vector with a mean and standard deviation
fitted once on *training* text and saved with the model. A decoder's pooled state is dominated by a
few near-constant outlier ("massive activation") dimensions, so raw cosines of unrelated texts sit near
1; removing that shared part makes cosine measure what differs (docs/study.md, section 7).
"""

from __future__ import annotations

import torch
from torch import nn

POOLINGS = ("last", "mean", "wmean")
POOLED_STATS = ("none", "center", "standardize")


def pool(hidden: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    """(B, T, d) hidden states and (B, T) attention mask -> (B, d) float32."""
    if how in ("mean", "wmean"):
        m = mask.unsqueeze(-1).to(hidden.dtype)
        if how == "wmean":
            m = m * m.cumsum(1)
        return ((hidden * m).sum(1) / m.sum(1)).float()
    positions = torch.arange(mask.shape[1], device=mask.device)
    last = (mask * positions).argmax(-1)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last].float()


class PooledStats(nn.Module):
    """``(x - mean)`` or ``(x - mean) / std`` with statistics fitted on training text (buffers, saved)."""

    def __init__(self, hidden_size: int, kind: str = "none"):
        super().__init__()
        if kind not in POOLED_STATS:
            raise ValueError(f"pooled_stats must be one of {POOLED_STATS}, got {kind!r}")
        self.kind = kind
        self.register_buffer("mean", torch.zeros(hidden_size))
        self.register_buffer("std", torch.ones(hidden_size))
        self.register_buffer("fitted", torch.tensor(False))

    @torch.no_grad()
    def fit(self, pooled: torch.Tensor) -> None:
        """Fit on pooled vectors of training text (queries and documents alike)."""
        if pooled.shape[0] < 2:
            raise ValueError("fitting pooled statistics needs at least 2 texts")
        self.mean.copy_(pooled.float().mean(0))
        self.std.copy_(pooled.float().std(0).clamp_min(1e-6))
        self.fitted.fill_(True)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        if self.kind == "none":
            return pooled
        if not bool(self.fitted):
            raise RuntimeError(
                "pooled_stats is set but the statistics were never fitted (EpicEncoder.fit_pooled_stats)"
            )
        out = pooled - self.mean
        return out / self.std if self.kind == "standardize" else out
