"""Worker for the two-process (gloo) equivalence test; spawned by tests/test_train.py."""

from __future__ import annotations

import torch
import torch.distributed as dist
from safetensors.torch import save_file


def make_problem(b_total: int = 8, h: int = 2, d_in: int = 12):
    g = torch.Generator().manual_seed(0)
    xq, xp = torch.randn(b_total, d_in, generator=g), torch.randn(b_total, d_in, generator=g)
    xn = torch.randn(b_total, h, d_in, generator=g)
    return xq, xp, xn


def make_encoder(d_in: int = 12) -> torch.nn.Module:
    torch.manual_seed(1)
    return torch.nn.Sequential(torch.nn.Linear(d_in, 16), torch.nn.Tanh(), torch.nn.Linear(16, 8))


def loss_and_grads(xq, xp, xn, cross_device: bool):
    from epic.training.loss import info_nce

    enc = make_encoder()
    loss = info_nce(enc(xq), enc(xp), enc(xn), temperature=0.05, cross_device=cross_device)
    loss.backward()
    return loss.detach(), {n: p.grad for n, p in enc.named_parameters()}


def worker(rank: int, world_size: int, init_file: str, out_file: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size)
    xq, xp, xn = make_problem()
    b = xq.shape[0] // world_size
    sl = slice(rank * b, (rank + 1) * b)
    loss, grads = loss_and_grads(xq[sl], xp[sl], xn[sl], cross_device=True)
    for g in grads.values():  # what DDP does: average gradients over processes
        dist.all_reduce(g)
        g /= world_size
    dist.all_reduce(loss)
    loss /= world_size
    if rank == 0:
        save_file({"loss": loss, **grads}, out_file)
    dist.destroy_process_group()
