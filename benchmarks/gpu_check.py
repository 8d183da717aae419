"""The GPU path in one run: memory against the planner, FSDP and bf16 on CUDA, exact resume with the
CUDA generator. Random-weight backbones of real shapes (no download): SmolLM2-135M and a
Mistral-7B-shaped decoder (32 layers, width 4096, MLP 14336, 8 KV heads) with SmolLM2's vocabulary.

    python benchmarks/gpu_check.py --shapes DIR [--out results.json] [--skip-7b]

DIR holds SmolLM2's config.json and tokenizer files. Prints one table row per case, planner beside
the measured ``torch.cuda.max_memory_allocated`` (GiB).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plan_check import long_train_set  # noqa: E402

MISTRAL_7B = dict(model_type="mistral", hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                  num_attention_heads=32, num_key_value_heads=8, head_dim=128, max_position_embeddings=32768,
                  rms_norm_eps=1e-5, rope_theta=10000.0, sliding_window=None, tie_word_embeddings=False)  # fmt: skip


DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
DRY = {}  # --dry: every shape tiny, on the CPU (a rehearsal of the script, no numbers)


def build(shapes: Path, overrides: dict, device: str, dtype: torch.dtype):
    """An EpicEncoder over a random backbone of SmolLM2's config with ``overrides`` (no weights read)."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    from epic.encoder.config import EpicConfig
    from epic.encoder.model import EpicEncoder

    base = json.loads((shapes / "config.json").read_text())
    fields = {**{k: v for k, v in base.items() if not k.startswith("_")}, **overrides, **DRY}
    config = AutoConfig.for_model(**fields)
    torch.manual_seed(0)
    with torch.device(device):
        backbone = AutoModel.from_config(config, dtype=dtype)
    encoder = EpicEncoder(
        backbone, AutoTokenizer.from_pretrained(shapes), EpicConfig(template="eol", pooled_stats="center")
    )
    return encoder.to(device), config.to_dict()


def run_case(name: str, shapes: Path, data: Path, scratch: Path, shape: dict, steps: int, **train) -> dict:
    from epic.training.config import TrainConfig
    from epic.training.plan import Shape, estimate
    from epic.training.trainer import Trainer

    dtype = (
        torch.float32 if train.get("mixed_precision") == "bf16" or train.get("dtype") == "float32" else torch.bfloat16
    )
    gc.collect()
    if DEVICE == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    model, hf_config = build(shapes, shape, DEVICE, dtype)
    cfg = TrainConfig(data=str(data), output=str(scratch / name), max_steps=steps, save_every=0, quiet=True, **train)
    t0 = time.perf_counter()
    trainer = Trainer(cfg, model=model)
    losses = [trainer.train_step()["loss"] for _ in range(steps)]
    seconds = (time.perf_counter() - t0) / steps
    peak = torch.cuda.max_memory_allocated() / 1024**3 if DEVICE == "cuda" else float("nan")
    planned = estimate(Shape.from_config(hf_config), cfg, 1, cfg.sharding, "cuda")
    row = {"case": name, "measured_gib": round(peak, 2), "planner_gib": round(planned["total"] - 0.5, 2),
           "ratio": round((planned["total"] - 0.5) / peak, 2), "s_per_step": round(seconds, 2),
           "losses": [round(x, 4) for x in losses],
           "param_dtypes": sorted({str(p.dtype) for p in trainer.params}),
           "planner_parts": {k: round(v, 2) for k, v in planned.items()}}  # fmt: skip
    print(json.dumps(row), flush=True)
    del trainer, model
    return row


def resume_check(shapes: Path, data: Path, scratch: Path, shape: dict) -> dict:
    """4 steps with dropout straight vs 2 + kill + resume: equal only if the CUDA generator resumes."""
    from epic.training.config import TrainConfig
    from epic.training.trainer import Trainer

    def cfg(out, resume=False, save_every=0):
        return TrainConfig(data=str(data), output=str(scratch / out), max_steps=4, save_every=save_every,
                           quiet=True, lora_dropout=0.2, lora_r=8, resume=resume, batch_size=4)  # fmt: skip

    def weights(trainer):
        return {n: p.detach().float().cpu().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}

    full = Trainer(cfg("full"), model=build(shapes, shape, DEVICE, torch.float32)[0])
    full.train()
    a = weights(full)

    class Killed(Exception):
        pass

    def die(trainer, record):
        if trainer.step == 2:
            raise Killed

    part = Trainer(cfg("cut", save_every=2), model=build(shapes, shape, DEVICE, torch.float32)[0])
    try:
        part.train(callback=die)
    except Killed:
        pass
    rest = Trainer(cfg("cut", resume=True), model=build(shapes, shape, DEVICE, torch.float32)[0])
    rest.train()
    b = weights(rest)
    diff = max((a[k] - b[k]).abs().max().item() for k in a)
    row = {"case": "resume with CUDA RNG, lora_dropout 0.2", "max_abs_diff": diff}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", required=True, type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--skip-7b", action="store_true")
    parser.add_argument("--dry", action="store_true", help="tiny shapes on the CPU: rehearse the script")
    args = parser.parse_args()
    if args.dry:
        DRY.update(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                   num_key_value_heads=2, head_dim=16)  # fmt: skip
    gpu = torch.cuda.get_device_name(0) if DEVICE == "cuda" else "none (dry run)"
    rows = [{"gpu": gpu, "torch": torch.__version__}]
    print(json.dumps(rows[0]), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        data = long_train_set(scratch / "data")
        small = dict(batch_size=8, hard_negatives=1, lora_r=16, lora_alpha=32)
        cases = [
            ("135M LoRA bf16", {}, dict(small, dtype="bfloat16")),
            ("135M LoRA bf16 GradCache 4 + checkpointing", {}, dict(small, dtype="bfloat16", grad_cache_chunk=4,
                                                                     gradient_checkpointing=True)),
            ("135M full top-4, mixed bf16 (autocast)", {}, dict(small, lora=False, train_top_layers=4,
                                                               mixed_precision="bf16")),
            ("135M full top-4, mixed bf16, FSDP (1 GPU)", {}, dict(small, lora=False, train_top_layers=4,
                                                                  mixed_precision="bf16", sharding="fsdp")),
        ]  # fmt: skip
        if not args.skip_7b:
            seven = dict(batch_size=16, hard_negatives=7, lora_r=32, lora_alpha=64, dtype="bfloat16",
                         gradient_checkpointing=True, grad_cache_chunk=16, query_max_length=256,
                         passage_max_length=256)  # fmt: skip
            cases += [
                (
                    "7B-shaped LoRA, GradCache 16 + checkpointing, FSDP (1 GPU)",
                    MISTRAL_7B,
                    dict(seven, sharding="fsdp"),
                ),
                ("7B-shaped LoRA, GradCache 16 + checkpointing", MISTRAL_7B, seven),
            ]
        for name, shape, train in cases:
            try:
                rows.append(run_case(name, args.shapes, data, scratch, shape, 2, **train))
            except Exception as e:  # one case failing must not cost the others
                rows.append({"case": name, "error": f"{type(e).__name__}: {e}"[:2000]})
                print(json.dumps(rows[-1]), flush=True)
        try:
            rows.append(resume_check(args.shapes, data, scratch, {}))
        except Exception as e:
            rows.append({"case": "resume", "error": f"{type(e).__name__}: {e}"[:2000]})
            print(json.dumps(rows[-1]), flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
