"""fp32 vs bf16 autocast on this machine: one forward and one training forward+backward of the default
backbone, the time ratio and how close the last-token states are (docs/study.md §8f).

    python benchmarks/precision.py --threads 2

bf16 is fast only where the CPU computes it natively (AVX512-BF16 or AMX; see ``epic.encoder.engine.bf16_is_native``).
"""

from __future__ import annotations

import argparse
import contextlib
import time

import torch
from transformers import AutoModel

from epic.encoder.backbone import default_backbone_path
from epic.encoder.engine import bf16_is_native


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model = AutoModel.from_pretrained(str(default_backbone_path()), dtype=torch.float32).eval()
    ids = torch.randint(100, 40000, (32, 64), generator=torch.Generator().manual_seed(0))
    modes = {"fp32": contextlib.nullcontext, "bf16": lambda: torch.autocast("cpu", dtype=torch.bfloat16)}
    last: dict[str, torch.Tensor] = {}

    def forward(mode: str) -> None:
        with torch.no_grad(), modes[mode]():
            last[mode] = model(input_ids=ids).last_hidden_state[:, -1].float()

    def train_step(mode: str) -> None:
        with modes[mode]():
            hidden = model(input_ids=ids[:16]).last_hidden_state
        hidden.float().pow(2).mean().backward()

    rows = [("forward, 32 x 64 tokens", {m: best_of(a.repeats, lambda m=m: forward(m)) for m in modes})]
    for param in model.parameters():
        param.requires_grad_(True)
    rows.append(("training forward+backward, 16 x 64", {m: best_of(2, lambda m=m: train_step(m)) for m in modes}))
    print(f"bf16 native on this CPU: {bf16_is_native(torch.device('cpu'))}; {a.threads} threads\n")
    print("| what | fp32 s | bf16 s | ratio |\n|---|---|---|---|")
    for name, t in rows:
        print(f"| {name} | {t['fp32']:.2f} | {t['bf16']:.2f} | {t['fp32'] / t['bf16']:.2f} |")
    cos = torch.nn.functional.cosine_similarity(last["fp32"], last["bf16"], dim=-1)
    print(f"\nlast-token cosine, fp32 vs bf16: min {cos.min():.5f}, mean {cos.mean():.5f}")


if __name__ == "__main__":
    main()
