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


def _weights(folder) -> dict[str, torch.Tensor]:
    """The trained weights of a saved model: its LoRA adapter, or its full backbone."""
    adapter = folder / "model" / "adapter" / "adapter_model.safetensors"
    return load_file(str(adapter if adapter.is_file() else folder / "model" / "backbone" / "model.safetensors"))


def _train(tmp_path, tiny_dir, data, name, nproc, batch, launcher="torchrun", mode="contrastive", steps=3, extra=()):
    args = [
        "--model", str(tiny_dir), "--data", str(data), "--output", str(tmp_path / name), "--mode", mode,
        "--max-steps", str(steps), "--batch-size", str(batch), "--hard-negatives", "2", "--lora-r", "4", "--lr", "1e-3",
        "--seed", "0", "--quiet", "--threads", "1", "--save-every", "0", *extra,
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    if nproc == 1:
        cmd = [sys.executable, "-m", "epic.cli", "train", *args]
    elif launcher == "torchrun":
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               "-m", "epic.cli", "train", *args]  # fmt: skip
    else:
        import socket

        with socket.socket() as sock:  # a free port for the rendezvous
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # --multi_gpu is accelerate's torch-elastic launcher; without GPUs the processes use gloo on the CPU
        cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(nproc),
               "--num_machines", "1", "--main_process_port", str(port), "--mixed_precision", "no",
               "--dynamo_backend", "no", "-m", "epic.cli", "train", *args]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode and not (tmp_path / name / "train_config.json").exists():
        # it failed before training began (the launcher's rendezvous, gloo's connection setup): launch once
        # more; a failure inside training is never retried
        first = proc.stderr[-1500:]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"failed twice before training; first:\n{first}\nthen:\n{proc.stderr[-1500:]}"
    assert proc.returncode == 0, proc.stderr[-3000:]
    return _weights(tmp_path / name)


@pytest.mark.parametrize("launcher", ["torchrun", "accelerate"])
def test_two_processes_equal_one(tmp_path, tiny_dir, launcher):
    data = write_train_set(tmp_path / "data")
    (data / "tasks.yaml").write_text(  # no per-task batch sizes: the per-process batch comes from the flag
        "tasks:\n  - {name: defs, instruction: define}\n  - {name: sents, instruction: explain}\n"
    )
    one = _train(tmp_path, tiny_dir, data, "one", 1, 4)
    two = _train(tmp_path, tiny_dir, data, "two", 2, 2, launcher)
    assert one.keys() == two.keys()
    moved = False
    for k in one:
        # Adam turns float-summation-order noise in near-zero gradients into ~1e-6 moves; a real mismatch
        # (e.g. cross-device negatives off) moves weights by ~lr = 1e-3 per step
        torch.testing.assert_close(two[k], one[k], rtol=1e-4, atol=1e-5)
        moved |= bool(one[k].abs().sum() > 0) and "lora_B" in k
    assert moved  # training changed the adapter, so equality is not vacuous


@pytest.mark.parametrize("mode", ["epic", "text-icl"])
def test_demonstration_modes_on_two_processes_never_hang(tmp_path, tiny_dir, mode):
    """At 2 examples per rank a rank often draws no demonstration at all (k ~ U{0, 1} per query); the
    loss has the same collectives whatever the draw, so the run finishes. (Not equal to one process of
    4: demonstrations are drawn from each rank's local batch, by design.)"""
    from epic.data.train_data import load_train_data
    from epic.training.batches import TaskBatchPlan, make_batch

    data = write_train_set(tmp_path / "data")
    (data / "tasks.yaml").write_text(
        "tasks:\n  - {name: defs, instruction: define}\n  - {name: sents, instruction: explain}\n"
    )
    loaded = load_train_data(data)
    plan = TaskBatchPlan(loaded, batch_size=2, world_size=2, seed=0)
    draws = [[any(make_batch(plan, s, 2, 5, rank=r).demos) for r in (0, 1)] for s in range(6)]
    assert any(a != b for a, b in draws), draws  # some step has demonstrations on one rank only
    weights = _train(tmp_path, tiny_dir, data, "two", 2, 2, mode=mode, steps=6)
    assert any(v.abs().sum() > 0 for k, v in weights.items() if "lora_B" in k)


def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path, tiny_dir):
    import json
    import signal
    import time

    data = write_train_set(tmp_path / "data")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}

    def cmd(name, *extra):
        return [sys.executable, "-m", "epic.cli", "train", "--model", str(tiny_dir), "--data", str(data),
                "--output", str(tmp_path / name), "--max-steps", "120", "--batch-size", "4", "--lora-r", "4",
                "--save-every", "5", "--quiet", "--threads", "1", *extra]  # fmt: skip

    subprocess.run(cmd("full"), env=env, check=True, capture_output=True, timeout=600)
    proc = subprocess.Popen(cmd("killed"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = tmp_path / "killed" / "checkpoint" / "state.json"
    deadline = time.time() + 300
    while time.time() < deadline and not (state.is_file() and json.loads(state.read_text())["step"] >= 10):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "killed" / "model").exists(), "the run finished before it could be killed"
    subprocess.run(cmd("killed", "--resume"), env=env, check=True, capture_output=True, timeout=600)
    a = load_file(str(tmp_path / "full" / "model" / "adapter" / "adapter_model.safetensors"))
    b = load_file(str(tmp_path / "killed" / "model" / "adapter" / "adapter_model.safetensors"))
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=1e-5, atol=1e-6)


def _two_task_data(tmp_path):
    data = write_train_set(tmp_path / "data")
    (data / "tasks.yaml").write_text(
        "tasks:\n  - {name: defs, instruction: define}\n  - {name: sents, instruction: explain}\n"
    )
    return data


@pytest.mark.parametrize(
    "extra",
    [
        ["--mode", "epic"],
        ["--mode", "text-icl", "--lora", "false", "--train-top-layers", "1"],
        ["--mode", "epic", "--grad-cache-chunk", "3", "--lora-dropout", "0.1"],
    ],
    ids=["epic-lora", "text-icl-full-top-layer", "epic-gradcache-dropout"],
)
def test_fsdp_on_two_processes_equals_the_replicated_run(tmp_path, tiny_dir, extra):
    """FSDP2 shards weights, gradients and AdamW state over the 2 processes; after 3 steps the saved
    (consolidated) model equals the replicated run's to 1e-4. At 2 examples per rank, epic steps
    where one rank has demonstrations and the other none occur (placeholder forwards)."""
    data = _two_task_data(tmp_path)
    replicated = _train(tmp_path, tiny_dir, data, "replicated", 2, 2, extra=extra)
    sharded = _train(tmp_path, tiny_dir, data, "sharded", 2, 2, extra=[*extra, "--sharding", "fsdp"])
    assert replicated.keys() == sharded.keys()
    for k in replicated:
        torch.testing.assert_close(sharded[k], replicated[k], rtol=1e-4, atol=1e-4)
    initial = load_file(str(tiny_dir / "model.safetensors"))
    changed = [k for k in replicated if "lora_B" in k or (k in initial and not torch.equal(initial[k], replicated[k]))]
    assert changed  # training moved weights, so equality is not vacuous


def _launch(tmp_path, tiny_dir, data, name, *extra):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "epic.cli",
           "train", "--model", str(tiny_dir), "--data", str(data), "--output", str(tmp_path / name), "--mode", "epic",
           "--max-steps", "40", "--batch-size", "2", "--lora-r", "4", "--lora-dropout", "0.1", "--save-every", "5",
           "--sharding", "fsdp", "--quiet", "--threads", "1", *extra]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def test_two_sharded_processes_killed_then_resumed_match_an_uninterrupted_run(tmp_path, tiny_dir):
    """Per-rank weight, optimizer and RNG shards: SIGKILL to both processes mid-run, --resume, and the
    final model equals the uninterrupted run's (dropout on, so the generators must resume exactly)."""
    import json
    import signal
    import time

    data = _two_task_data(tmp_path)
    full = _launch(tmp_path, tiny_dir, data, "full")
    assert full.wait(timeout=300) == 0, full.stderr.read()[-3000:]
    killed = _launch(tmp_path, tiny_dir, data, "killed")
    state = tmp_path / "killed" / "checkpoint" / "state.json"
    deadline = time.time() + 300
    while time.time() < deadline and not (state.is_file() and json.loads(state.read_text())["step"] >= 10):
        time.sleep(0.05)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    assert not (tmp_path / "killed" / "model").exists(), "the run finished before it could be killed"
    assert len(list((tmp_path / "killed" / "checkpoint").glob("trainable-rank*.safetensors"))) == 2
    resumed = _launch(tmp_path, tiny_dir, data, "killed", "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()[-3000:]
    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "killed")
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=1e-5, atol=1e-6)


def test_sharded_validation_passes_equal_the_replicated_ones(tmp_path, tiny_dir):
    """The learning curve under FSDP: every rank scores the same fixed batches (the same forwards, so
    the gathers line up) and rank 0 logs what the replicated run logs."""
    import json

    from test_learning_curve import write_big_set

    data = write_big_set(tmp_path / "data")
    extra = ["--mode", "epic", "--eval-examples", "8", "--eval-every", "2"]
    _train(tmp_path, tiny_dir, data, "replicated", 2, 2, extra=extra)
    _train(tmp_path, tiny_dir, data, "sharded", 2, 2, extra=[*extra, "--sharding", "fsdp"])

    def curve(name):
        lines = (tmp_path / name / "train_log.jsonl").read_text().splitlines()
        return [(r["step"], r["eval_loss"], r["eval_loss_demos"]) for r in map(json.loads, lines) if "eval_loss" in r]

    replicated, sharded = curve("replicated"), curve("sharded")
    assert [s for s, *_ in replicated] == [0, 2, 3] == [s for s, *_ in sharded]
    for a, b in zip(replicated, sharded):
        assert abs(a[1] - b[1]) < 1e-4 and abs(a[2] - b[2]) < 1e-4


def test_sigterm_to_one_process_stops_both_with_a_checkpoint_and_resume_matches(tmp_path, tiny_dir):
    """SIGTERM to rank 1 alone (a preempted worker): both ranks agree to stop after the same step, write
    one complete checkpoint and exit 143; --resume then equals the uninterrupted run."""
    import json
    import signal
    import time

    import psutil

    data = _two_task_data(tmp_path)
    full = _launch(tmp_path, tiny_dir, data, "full")
    assert full.wait(timeout=300) == 0, full.stderr.read()[-3000:]
    run = _launch(tmp_path, tiny_dir, data, "stopped", "--save-every", "0")
    log = tmp_path / "stopped" / "train_log.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and not (log.is_file() and len(log.read_text().splitlines()) >= 5):
        time.sleep(0.05)
    workers = [p for p in psutil.Process(run.pid).children(recursive=True) if "epic.cli" in " ".join(p.cmdline())]
    rank1 = [p for p in workers if p.environ().get("RANK") == "1"]
    assert len(workers) == 2 and len(rank1) == 1
    rank1[0].send_signal(signal.SIGTERM)
    assert run.wait(timeout=300) != 0
    err = run.stderr.read().decode()
    assert "stopped by SIGTERM after step" in err, err[-3000:]
    stopped_at = json.loads((tmp_path / "stopped" / "checkpoint" / "state.json").read_text())["step"]
    assert 5 <= stopped_at < 40 and not (tmp_path / "stopped" / "model").exists()
    assert len(list((tmp_path / "stopped" / "checkpoint").glob("trainable-rank*.safetensors"))) == 2
    resumed = _launch(tmp_path, tiny_dir, data, "stopped", "--save-every", "0", "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()[-3000:]
    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "stopped")
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=1e-5, atol=1e-6)


def test_sigterm_to_epic_train_exits_143_with_a_checkpoint(tmp_path, tiny_dir):
    import signal
    import time

    data = write_train_set(tmp_path / "data")
    cmd = [sys.executable, "-m", "epic.cli", "train", "--model", str(tiny_dir), "--data", str(data), "--output",
           str(tmp_path / "run"), "--max-steps", "400", "--batch-size", "4", "--lora-r", "4", "--quiet", "--threads",
           "1"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "run" / "train_log.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and not (log.is_file() and len(log.read_text().splitlines()) >= 3):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 143
    err = proc.stderr.read()
    assert "epic train: stopped by SIGTERM after step" in err and "--resume" in err and "Traceback" not in err
    assert (tmp_path / "run" / "checkpoint" / "state.json").is_file()
