"""The trainer under torchrun: 2 CPU processes (gloo) x batch B == 1 process x batch 2B."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file
from train_fixtures import write_train_set

pytestmark = pytest.mark.integration


def _train(tmp_path, tiny_dir, data, name, nproc, batch):
    args = [
        "--model", str(tiny_dir), "--data", str(data), "--output", str(tmp_path / name), "--mode", "contrastive",
        "--max-steps", "3", "--batch-size", str(batch), "--hard-negatives", "2", "--lora-r", "4", "--lr", "1e-3",
        "--seed", "0", "--quiet", "--threads", "1", "--save-every", "0",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    if nproc == 1:
        cmd = [sys.executable, "-m", "epic.cli", "train", *args]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               "-m", "epic.cli", "train", *args]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return load_file(str(tmp_path / name / "model" / "adapter" / "adapter_model.safetensors"))


def test_torchrun_two_processes_equal_one(tmp_path, tiny_dir):
    data = write_train_set(tmp_path / "data")
    (data / "tasks.yaml").write_text(  # no per-task batch sizes: the per-process batch comes from the flag
        "tasks:\n  - {name: defs, instruction: define}\n  - {name: sents, instruction: explain}\n"
    )
    one = _train(tmp_path, tiny_dir, data, "one", 1, 4)
    two = _train(tmp_path, tiny_dir, data, "two", 2, 2)
    assert one.keys() == two.keys()
    moved = False
    for k in one:
        torch.testing.assert_close(two[k], one[k], rtol=1e-4, atol=1e-6)
        moved |= bool(one[k].abs().sum() > 0) and "lora_B" in k
    assert moved  # training changed the adapter, so equality is not vacuous
