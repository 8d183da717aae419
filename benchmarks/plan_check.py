"""The memory planner against measured peaks: CPU peak RSS of a few training steps, per case.

    python benchmarks/plan_check.py [--cases tiny,135m] [--steps 2]

Each case trains in a fresh process (so its peak RSS is its own) on the tests' small training set,
and prints the planner's estimate for the same run (``epic.training.plan.estimate`` with device="cpu", which
adds the measured ~0.45 GB of a bare Python + torch + transformers process). On a GPU machine,
``--device cuda`` reads ``torch.cuda.max_memory_allocated`` instead (the CUDA context excluded).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_common import machine, markdown_table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

CASES = {  # name: (backbone, TrainConfig overrides)
    "tiny": ("tiny", dict(batch_size=8, hard_negatives=2, lora_r=8)),
    "135m": ("default", dict(batch_size=8, hard_negatives=1, lora_r=16, lora_alpha=32)),
    "135m-gradcache-ckpt": ("default", dict(batch_size=8, hard_negatives=1, lora_r=16, lora_alpha=32,
                                            grad_cache_chunk=4, gradient_checkpointing=True)),
    "135m-full-top4": ("default", dict(batch_size=8, hard_negatives=1, lora=False, train_top_layers=4)),
}  # fmt: skip


def child(backbone: str, overrides: dict, steps: int, device: str) -> None:
    """Runs inside the measured process: train ``steps`` steps, print the peak as JSON."""
    import torch

    from epic.training.config import TrainConfig
    from epic.training.trainer import Trainer

    cfg = TrainConfig(model=None if backbone == "default" else backbone, data=os.environ["PLAN_DATA"],
                      output=os.environ["PLAN_OUT"], max_steps=steps, save_every=0, quiet=True, threads=1,
                      **overrides)  # fmt: skip
    trainer = Trainer(cfg)
    for _ in range(steps):
        trainer.train_step()
    if device == "cuda":
        peak = torch.cuda.max_memory_allocated() / 1024**3
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1024**3
    print(json.dumps({"peak": peak}))


def long_train_set(folder: Path) -> Path:
    """Texts longer than every length cap, so each batch is as long as the planner assumes."""
    from train_fixtures import WORDS

    folder.mkdir(parents=True, exist_ok=True)
    filler = " ".join(f"{w} means {g}, not {n}." for w, g, n in WORDS)
    with (folder / "long.jsonl").open("w") as fh:
        for i, (w, gloss, neg) in enumerate(WORDS * 4):
            row = {"query": f"{i} {w}: {filler}", "pos": [f"{gloss}. {filler} " * 2], "neg": [f"{neg}. {filler} " * 2],
                   "task": "long", "instruction": "Given a text, retrieve its gloss"}  # fmt: skip
            fh.write(json.dumps(row) + "\n")
    return folder


def measure(name: str, scratch: Path, steps: int, device: str) -> tuple[float, float]:
    from conftest import make_backbone_dir

    from epic.encoder.backbone import default_backbone_path
    from epic.training.config import TrainConfig
    from epic.training.plan import Shape, estimate

    backbone, overrides = CASES[name]
    if backbone == "tiny":
        backbone = str(make_backbone_dir(scratch / "tiny") if not (scratch / "tiny").exists() else scratch / "tiny")
    data = long_train_set(scratch / "data")
    env = {**os.environ, "PLAN_DATA": str(data), "PLAN_OUT": str(scratch / f"run-{name}"), "OMP_NUM_THREADS": "1"}
    code = f"import plan_check; plan_check.child({backbone!r}, {overrides!r}, {steps}, {device!r})"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=Path(__file__).parent, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    peak = json.loads(out.strip().splitlines()[-1])["peak"]
    shape_source = default_backbone_path() if backbone == "default" else backbone
    cfg = TrainConfig(**overrides)
    planned = estimate(Shape.from_config(shape_source), cfg, 1, "none", device)
    total = planned["total"] - (0.0 if device == "cpu" else 0.5)  # max_memory_allocated has no CUDA context
    return peak, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="tiny,135m,135m-gradcache-ckpt,135m-full-top4")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.cases.split(","):
            peak, planned = measure(name, Path(scratch), args.steps, args.device)
            rows.append([name, round(peak, 3), round(planned, 3), f"{planned / peak:.2f}"])
            print(rows[-1], flush=True)
    what = "peak RSS" if args.device == "cpu" else "max_memory_allocated"
    print(f"\n{machine()}; {args.steps} training steps per case, measured {what} (GiB)\n")
    print(markdown_table(["case", f"measured {what}", "planner", "planner / measured"], rows))


if __name__ == "__main__":
    main()
