"""A saved epic model folder: what is in it, how it is written (atomically) and read back.

``epic_config.json`` (:class:`EpicConfig`), ``backbone/`` (full weights) or ``adapter/`` (LoRA over
the recorded base), the tokenizer, ``projector.safetensors``, ``pooled_stats.safetensors`` when
used, ``training.json`` from the trainer, the sentence-transformers files and the model card.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
import uuid
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ..utils import config_io as cfg
from ..utils.integrity import check_folder, write_checksums
from ..utils.io import atomic_dir, disk_errors, replace_dir
from .backbone import load_backbone, quiet_peft, resolve_backbone
from .card import TRAINING_FILE, write_card
from .config import ARCHITECTURE_FIELDS, CONFIG_FILE, EpicConfig
from .engine import Encoder
from .st_files import write_st_files

POOLED_STATS_FILE = "pooled_stats.safetensors"
PROJECTOR_FILE = "projector.safetensors"


def read_config(root: Path, overrides: dict) -> EpicConfig:
    """A saved model's config with inference-time ``overrides``; changing what the weights were
    trained as (pooling, template, projection, …) is refused by name. A damaged file of the folder is named."""
    check_folder(root, "save the model again, or copy it again from where it was saved")
    try:
        data = json.loads((root / CONFIG_FILE).read_text())
        config = cfg.from_dict(EpicConfig, data, str(root / CONFIG_FILE))
    except (json.JSONDecodeError, cfg.ConfigError) as e:
        raise ValueError(f"{root / CONFIG_FILE}: unreadable epic config: {e}") from None
    fixed = sorted(k for k in overrides if k in ARCHITECTURE_FIELDS and overrides[k] != getattr(config, k))
    if fixed:
        raise ValueError(
            f"{root}: {fixed} define what this saved model was trained as and cannot be overridden "
            f"(saved: {', '.join(f'{k}={getattr(config, k)!r}' for k in fixed)}); load the base backbone to change them"
        )
    return cfg.from_dict(EpicConfig, {**data, **overrides}, str(root / CONFIG_FILE))


def load_parts(
    root: Path, config: EpicConfig, dtype: torch.dtype, device: torch.device | None = None
) -> tuple[nn.Module, object]:
    """The backbone (LoRA adapter applied over its base, or full weights) and the tokenizer."""
    needed = root / ("adapter" if config.lora else "backbone")
    if not needed.is_dir():  # never let a missing local folder turn into a hub lookup
        raise FileNotFoundError(f"{root}: saved epic model without its {needed.name}/ folder (incomplete copy?)")
    if not config.lora:
        return load_backbone(root / "backbone", None, dtype, root, device)
    from peft import PeftModel

    base, tokenizer = load_backbone(resolve_backbone(config.backbone), config.num_layers, dtype, root, device)
    with quiet_peft():
        return PeftModel.from_pretrained(base, str(root / "adapter")), tokenizer


def load_state(model: Encoder, root: Path) -> None:
    """The projector and the pooled statistics saved beside the weights."""
    model.projector.load_state_dict(load_file(str(root / PROJECTOR_FILE)))
    if model.config.pooled_stats != "none":
        model.pooled_stats.load_state_dict(load_file(str(root / POOLED_STATS_FILE)))


def load_pooled_stats(model: Encoder, source: str | Path) -> None:
    """Fitted pooled statistics from a saved model folder or its ``pooled_stats.safetensors``."""
    path = Path(source)
    path = path / POOLED_STATS_FILE if path.is_dir() else path
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no pooled statistics here (a model trained with pooled_stats set has them)")
    state, expected = load_file(str(path)), model.pooled_stats.state_dict()
    wrong = [k for k in expected if k not in state or state[k].shape != expected[k].shape]
    if wrong:
        shape = f"hidden size {model.hidden_size}"
        raise ValueError(f"{path}: {', '.join(wrong)} missing or not of this model's shape ({shape})")
    if not bool(state["fitted"]):
        raise ValueError(f"{path}: these pooled statistics were never fitted")
    model.pooled_stats.load_state_dict(state)


def _cpu(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}


def save_model(
    model: Encoder, path: str | Path, merge_lora: bool = False, backbone_state: dict[str, torch.Tensor] | None = None
) -> EpicConfig:
    """Write ``model`` to ``path`` through a temporary folder renamed into place (a crash never
    leaves half a model); returns the config as saved (with its new fingerprint).
    ``backbone_state``: the backbone's full weights where the module holds only shards (FSDP)."""
    target = Path(path)
    with disk_errors(target):
        return _save_into(model, target, merge_lora, backbone_state)


def _save_into(model: Encoder, target: Path, merge_lora: bool, backbone_state) -> EpicConfig:
    tmp = atomic_dir(target)
    try:
        config = dataclasses.replace(model.config, fingerprint=uuid.uuid4().hex)
        backbone = model.backbone
        is_peft = hasattr(backbone, "peft_config")
        if is_peft and (merge_lora or config.backbone == "backbone"):
            # an adapter over a base that lives inside another saved model would dangle: merge
            with quiet_peft():
                backbone, is_peft = copy.deepcopy(backbone).merge_and_unload(), False
        config.lora = is_peft
        if is_peft:
            backbone.save_pretrained(tmp / "adapter", state_dict=backbone_state)
        else:
            backbone.save_pretrained(tmp / "backbone", state_dict=backbone_state)
            config.num_layers = None  # the saved backbone already has only its layers
            config.backbone = "backbone"
        model.tokenizer.save_pretrained(tmp)
        save_file(_cpu(model.projector), str(tmp / PROJECTOR_FILE))
        if config.pooled_stats != "none":
            save_file(_cpu(model.pooled_stats), str(tmp / POOLED_STATS_FILE))
        (tmp / CONFIG_FILE).write_text(json.dumps(dataclasses.asdict(config), indent=2) + "\n")
        if model.training_record:
            (tmp / TRAINING_FILE).write_text(json.dumps(model.training_record, indent=2) + "\n")
        try:
            write_st_files(tmp)
        except ImportError:  # sentence-transformers is optional
            pass
        write_card(tmp, target.name)
        write_checksums(tmp)
        replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return config
