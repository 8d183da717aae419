"""InfoNCE with in-batch, hard and cross-device negatives.

Candidates for a query are laid out as ``[all positives (W*B), all hard negatives (W*B*H)]`` over the
W processes, and the query on rank r, row i, is labelled ``r*B + i``: the same columns a single
process with batch ``W*B`` would use, so 2 processes x B equal 1 process x 2B (tested).
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F


def world() -> tuple[int, int]:
    """(rank, world size); (0, 1) outside ``torch.distributed``."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class _GatherWithGrad(torch.autograd.Function):
    """all_gather whose backward sums every rank's gradient for this rank's slice (all_reduce)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        rank, size = world()
        ctx.rank, ctx.size = rank, size
        parts = [torch.empty_like(x) for _ in range(size)]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad.chunk(ctx.size)[ctx.rank]


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from every process (rank order), keeping gradients; identity on one process."""
    _, size = world()
    return x if size == 1 else _GatherWithGrad.apply(x)


def info_nce(
    queries: torch.Tensor,
    positives: torch.Tensor,
    negatives: torch.Tensor | None = None,
    temperature: float = 0.02,
    in_batch_negatives: bool = True,
    cross_device: bool = False,
    false_negative_margin: float | None = None,
    stats: dict | None = None,
) -> torch.Tensor:
    """Mean InfoNCE over the local queries.

    queries, positives: (B, d); negatives: (B, H, d) hard negatives of each query, or None.
    ``in_batch_negatives=False`` keeps only each query's own positive and hard negatives (for data
    where other queries' positives may be true matches, e.g. classification labels).
    ``false_negative_margin``: leave out of a query's denominator every candidate whose cosine to it
    exceeds its positive's by more than this (likely a false negative: another correct answer, as in
    the improved contrastive loss of GTE / Qwen3-Embedding); ``stats["false_negatives"]`` gets the share
    of candidates left out.
    """
    b, d = queries.shape
    q = F.normalize(queries.float(), dim=-1)
    p = F.normalize(positives.float(), dim=-1)
    n = F.normalize(negatives.float(), dim=-1) if negatives is not None and negatives.numel() else None
    h = n.shape[1] if n is not None else 0
    offset = 0
    if cross_device:
        rank, _ = world()
        offset = rank * b
        p = gather_with_grad(p)
        n = gather_with_grad(n) if n is not None else None
    total = p.shape[0]
    cands = p if n is None else torch.cat([p, n.reshape(-1, d)])
    sims = q @ cands.T
    scores = sims / temperature
    rows = torch.arange(b, device=q.device)
    labels = rows + offset
    if false_negative_margin is not None:
        positive = sims.detach()[rows, labels]
        false = sims.detach() > positive[:, None] + false_negative_margin
        false[rows, labels] = False
        scores = scores.masked_fill(false, float("-inf"))
        if stats is not None:
            stats["false_negatives"] = false.float().mean().item()
    if not in_batch_negatives:
        allowed = torch.zeros_like(scores, dtype=torch.bool)
        allowed[rows, labels] = True
        for j in range(h):
            allowed[rows, total + labels * h + j] = True
        scores = scores.masked_fill(~allowed, float("-inf"))
    return F.cross_entropy(scores, labels)


class LogitScale(torch.nn.Module):
    """The InfoNCE temperature, fixed or learned (CLIP-style: a log-parameter, clamped).

    Learned, it lets the model lower a too-sharp scale in a few steps instead of flattening its
    similarities to escape confidently wrong scores; the clamp keeps it within ``[1/max_temp, 1/min_temp]``.
    """

    def __init__(
        self, temperature: float, learn: bool = False, min_temperature: float = 0.01, max_temperature: float = 1.0
    ):
        super().__init__()
        self.min_temperature, self.max_temperature = min_temperature, max_temperature
        self.log_temperature = torch.nn.Parameter(torch.tensor(float(temperature)).log(), requires_grad=learn)

    def forward(self) -> torch.Tensor:
        return self.log_temperature.exp().clamp(self.min_temperature, self.max_temperature)


@torch.no_grad()
def batch_geometry(queries: torch.Tensor, positives: torch.Tensor, negatives: torch.Tensor | None) -> dict[str, float]:
    """Health of a batch's pooled vectors: mean positive and hardest-negative cosine of the queries,
    mean pairwise cosine of every vector, and the share of the squared norm in the 3 largest dimensions
    (outlier dimensions dominating cosine show as a large share)."""
    q = F.normalize(queries.float(), dim=-1)
    p = F.normalize(positives.float(), dim=-1)
    cands = (
        p
        if negatives is None or not negatives.numel()
        else torch.cat([p, F.normalize(negatives.float(), dim=-1).reshape(-1, p.shape[1])])
    )
    sims = q @ cands.T
    b = q.shape[0]
    pos = sims[torch.arange(b), torch.arange(b)]
    others = sims.clone()
    others[torch.arange(b), torch.arange(b)] = float("-inf")
    everything = torch.cat(
        [queries, positives]
        + ([negatives.reshape(-1, queries.shape[1])] if negatives is not None and negatives.numel() else [])
    ).float()
    u = F.normalize(everything, dim=-1)
    n = u.shape[0]
    pairwise = ((u @ u.T).sum() - n) / max(1, n * (n - 1))
    sq = everything.pow(2)
    top3 = sq.topk(min(3, sq.shape[1]), dim=-1).values.sum(-1) / sq.sum(-1).clamp_min(1e-12)
    hardest = others.max(-1).values
    return {
        "top1": (pos > hardest).float().mean().item(),  # positive ranked first among all the batch's candidates
        "pos_cos": pos.mean().item(),
        "hard_neg_cos": hardest.mean().item() if cands.shape[0] > 1 else float("nan"),
        "pairwise_cos": pairwise.item(),
        "top3_share": top3.mean().item(),
    }
