"""Sharding with PyTorch FSDP2 (``sharding: fsdp``): each process holds 1/N of the backbone's weights,
gradients and optimizer state, and gathers one layer's weights at a time for its forward and backward.

The input-embedding table is a group of its own, because EPIC calls it outside the backbone's
forward (to write demonstration vectors into the token embeddings). Each decoder layer is a group;
the backbone's body is the root (its final norm). The projector and the learned temperature are
small and stay replicated: their gradients are averaged with one all-reduce, as without sharding.
With mixed precision, the sharded fp32 weights are the master copy and layers compute in bf16;
gradients are reduced in fp32.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn

from .trainable import base_model


def _fsdp():
    try:
        from torch.distributed.fsdp import FSDPModule, MixedPrecisionPolicy, fully_shard
    except ImportError as e:  # torch < 2.6
        raise RuntimeError(
            f"sharding=fsdp needs PyTorch >= 2.6 (FSDP2's fully_shard); this is {torch.__version__}"
        ) from e
    return FSDPModule, MixedPrecisionPolicy, fully_shard


def shard_backbone(backbone: nn.Module, compute_dtype: torch.dtype | None = None) -> nn.Module:
    """Apply ``fully_shard`` to the input embeddings, each layer, and the body; returns the root."""
    _, MixedPrecisionPolicy, fully_shard = _fsdp()
    body = base_model(backbone)
    policy = MixedPrecisionPolicy(param_dtype=compute_dtype, reduce_dtype=torch.float32 if compute_dtype else None)
    embeddings = body.get_input_embeddings()
    fully_shard(embeddings, mp_policy=policy)
    for layer in body.layers:
        fully_shard(layer, mp_policy=policy)
    root = fully_shard(body, mp_policy=policy)
    # FSDP initialises from the root's first forward; EPIC's first call is the embedding table alone
    device = embeddings.weight.device
    was_training = body.training
    body.eval()  # no dropout, and the generators untouched: training draws as it would unsharded
    with torch.no_grad(), torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        body(input_ids=torch.zeros((1, 1), dtype=torch.long, device=device))
    body.train(was_training)
    root.reshard()  # the root keeps its weights gathered after a forward: the optimizer must see the shards
    return root


def is_sharded(tensor: torch.Tensor) -> bool:
    from torch.distributed.tensor import DTensor

    return isinstance(tensor, DTensor)


def local(tensor: torch.Tensor) -> torch.Tensor:
    """This process's shard of a sharded tensor, or the tensor itself."""
    return tensor.to_local() if is_sharded(tensor) else tensor


def like(value: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """``value`` (a local shard as saved) as a tensor of ``reference``'s kind: sharded like it, or plain."""
    if not is_sharded(reference):
        return value.to(reference.device)
    from torch.distributed.tensor import DTensor

    shard = value.to(reference.to_local().device).reshape(reference.to_local().shape)
    return DTensor.from_local(shard, reference.device_mesh, reference.placements, shape=reference.shape,
                              stride=reference.stride())  # fmt: skip


def average_replicated_gradients(params: list[nn.Parameter], world_size: int) -> None:
    """DDP semantics for what is not sharded (FSDP averages its own in the reduce-scatter): one flat
    all-reduce over every process's gradients (zeros where a parameter got none)."""
    replicated = [p for p in params if not is_sharded(p)]
    if world_size == 1 or not replicated:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in replicated]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for p, g in zip(replicated, grads):
        p.grad = flat[offset : offset + g.numel()].view_as(g).clone()
        offset += g.numel()


def clip_gradients(params: list[nn.Parameter], max_norm: float) -> float:
    """Clip to ``max_norm`` (inf: measure only) by the global norm over sharded and replicated
    gradients alike (``clip_grad_norm_`` cannot mix the two); returns the norm before clipping."""
    norms = []
    for sharded in (True, False):
        grads = [p.grad for p in params if p.grad is not None and is_sharded(p) == sharded]
        if grads:
            norm = torch.nn.utils.get_total_norm(grads)
            norms.append((norm.full_tensor() if is_sharded(norm) else norm).float().cpu())
    total = torch.stack(norms).norm().item() if norms else 0.0
    coef = max_norm / (total + 1e-6)  # the same coefficient as clip_grad_norm_
    if coef < 1:
        for p in params:
            if p.grad is not None:
                local(p.grad).mul_(coef)
    return total


def full_backbone_state(backbone: nn.Module) -> dict[str, torch.Tensor]:
    """The whole backbone's state dict on rank 0's CPU (empty elsewhere); every process must call it."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    return get_model_state_dict(backbone, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
