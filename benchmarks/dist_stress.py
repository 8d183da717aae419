"""Many short 2-process training runs in the demonstration modes: do any hang, are they deterministic?

    python benchmarks/dist_stress.py [--runs 20] [--steps 6] [--timeout 120]

Each run is ``torchrun --nproc-per-node 2 epic.cli train`` on a tiny random decoder (gloo, CPU) at 2
examples per rank, so ranks often differ in whether they drew demonstrations. Prints a table: runs
finished, hung (killed at the timeout), failed, seconds per run, and whether every finished run saved
exactly the weights of the first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from bench_common import machine, markdown_table
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import make_backbone_dir  # noqa: E402
from train_fixtures import write_train_set  # noqa: E402


def one_run(tiny: Path, data: Path, out: Path, mode: str, sharding: str, steps: int, timeout: float) -> str:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "epic.cli",
           "train", "--model", str(tiny), "--data", str(data), "--output", str(out), "--mode", mode,
           "--max-steps", str(steps), "--batch-size", "2", "--lora-r", "4", "--save-every", "0", "--quiet",
           "--threads", "1", "--sharding", sharding]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    out.mkdir(parents=True, exist_ok=True)
    with (out / "stderr.txt").open("w") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    try:
        if proc.wait(timeout=timeout) == 0:
            return "finished"
        tail = (out / "stderr.txt").read_text()[-4000:]
        print(f"--- {out.name} failed; the end of its stderr:\n{tail}", file=sys.stderr, flush=True)
        return "failed"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
        return "hung"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--modes", default="epic,text-icl")
    parser.add_argument("--shardings", default="none,fsdp")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        tiny = make_backbone_dir(root / "tiny")
        data = write_train_set(root / "data")
        (data / "tasks.yaml").write_text("tasks:\n  - {name: defs, instruction: define}\n"
                                         "  - {name: sents, instruction: explain}\n")  # fmt: skip
        for mode in args.modes.split(","):
            for sharding in args.shardings.split(","):
                outcomes, seconds, same = [], [], True
                for i in range(args.runs):
                    out = root / f"{mode}-{sharding}-{i}"
                    t0 = time.perf_counter()
                    outcomes.append(one_run(tiny, data, out, mode, sharding, args.steps, args.timeout))
                    seconds.append(time.perf_counter() - t0)
                    if outcomes[-1] == "finished" and i:
                        a = load_file(str(root / f"{mode}-{sharding}-0" / "model/adapter/adapter_model.safetensors"))
                        b = load_file(str(out / "model/adapter/adapter_model.safetensors"))
                        same &= all(torch.equal(a[k], b[k]) for k in a)
                rows.append([mode, sharding, args.runs, outcomes.count("finished"), outcomes.count("hung"),
                             outcomes.count("failed"), round(statistics.median(seconds), 1), same])  # fmt: skip
                print(rows[-1], flush=True)
    headers = ["mode", "sharding", "runs", "finished", "hung", "failed", "s / run (median)", "all equal to run 1"]
    print(f"\n{args.runs} runs of {args.steps} steps, 2 processes x 2 examples, gloo on CPU; {machine()}\n")
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
