"""What a run trains: a LoRA adapter or the full weights, optionally only the top layers; and the
optimizer's parameter groups (no weight decay on vectors; the learned temperature at its own lr)."""

from __future__ import annotations

import torch
from torch import nn

from ..encoder.backbone import enable_checkpointing, quiet_peft
from ..encoder.model import EpicEncoder
from .config import TrainConfig
from .loss import LogitScale


def base_model(backbone: nn.Module) -> nn.Module:
    """The transformer under a peft wrapper, or the backbone itself."""
    return backbone.get_base_model() if hasattr(backbone, "get_base_model") else backbone


def make_trainable(model: EpicEncoder, c: TrainConfig) -> None:
    """Set ``requires_grad`` for this run: LoRA (added unless the model has an adapter) or full
    weights, on all layers or the top ``train_top_layers``; then activation checkpointing if asked."""
    n_layers = len(base_model(model.backbone).layers)
    # more than the backbone has (a recipe made for a deeper model) trains them all
    top = list(range(max(0, n_layers - c.train_top_layers), n_layers)) if c.train_top_layers else None
    if c.lora and not hasattr(model.backbone, "peft_config"):
        from peft import LoraConfig, get_peft_model

        names = {n.rsplit(".", 1)[-1] for n, _ in model.backbone.named_modules()}
        targets = [t for t in c.lora_targets if t in names]
        if not targets:
            raise ValueError(f"none of lora_targets {c.lora_targets} exist in this backbone")
        lora = LoraConfig(
            r=c.lora_r, lora_alpha=c.lora_alpha, lora_dropout=c.lora_dropout, target_modules=targets,
            layers_to_transform=top, layers_pattern="layers" if top else None,
        )  # fmt: skip
        with quiet_peft():
            model.backbone = get_peft_model(model.backbone, lora)
    elif not c.lora:
        base = base_model(model.backbone)
        for p in model.backbone.parameters():
            p.requires_grad_(False)
        for i in top or range(n_layers):
            for p in base.layers[i].parameters():
                p.requires_grad_(True)
        for p in base.norm.parameters():
            p.requires_grad_(True)
    if c.gradient_checkpointing:
        enable_checkpointing(model.backbone)


def param_groups(model: EpicEncoder, c: TrainConfig, logit_scale: LogitScale) -> list[dict]:
    """AdamW groups: matrices with weight decay, vectors without, the learned temperature apart
    (``scale_lr``: its lr is ``temperature_lr`` on the same schedule)."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": c.weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    if c.learn_temperature:
        groups.append({"params": [logit_scale.log_temperature], "weight_decay": 0.0, "scale_lr": True})
    return groups


def trained_parameters(groups: list[dict]) -> list[torch.Tensor]:
    return [p for g in groups for p in g["params"]]
