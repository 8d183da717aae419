"""Training checkpoints: ``OUTPUT/checkpoint`` holds the trainable weights, the optimizer state, the
random generators (CPU and CUDA), the step and the run's config; written atomically, so a kill at any
instant leaves the previous complete checkpoint, and a resumed run refuses a different configuration."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from pathlib import Path
from typing import Protocol

import torch
import torch.distributed as dist
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ..encoder.model import EpicEncoder
from ..utils.integrity import check_checksums, check_file, write_checksums
from ..utils.io import atomic_dir, recover_dir, replace_dir
from .config import TrainConfig, resume_conflicts
from .loss import LogitScale
from .sharding import like, local
from .telemetry import truncate_log


class Run(Protocol):
    """What a checkpoint holds of a training run (a :class:`~epic.training.trainer.Trainer`)."""

    cfg: TrainConfig
    out: Path
    rank: int
    world_size: int
    step: int
    model: EpicEncoder
    logit_scale: LogitScale
    optimizer: torch.optim.Optimizer


def _barrier(world_size: int) -> None:
    if world_size > 1:
        dist.barrier()


def trainable_tensors(trainer: Run) -> dict[str, torch.Tensor]:
    """Everything a step changes or a resumed run needs: trainable weights and the fitted buffers."""
    m = trainer.model
    out = {n: p for n, p in m.named_parameters() if p.requires_grad}
    out.update({f"projector.{n}": b for n, b in m.projector.named_buffers()})
    out.update({f"pooled_stats.{n}": b for n, b in m.pooled_stats.named_buffers()})
    out["logit_scale.log_temperature"] = trainer.logit_scale.log_temperature
    return out


def rng_tensors() -> dict[str, torch.Tensor]:
    out = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out.update({f"cuda{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    return out


def restore_rng(tensors: dict[str, torch.Tensor]) -> None:
    torch.set_rng_state(tensors["cpu"])
    cuda = [tensors[k] for k in sorted(tensors) if k.startswith("cuda")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)


def _files(trainer: Run) -> tuple[str, str, str]:
    """This process's file names: one set per rank where state differs between ranks."""
    sharded = trainer.cfg.sharding == "fsdp" and trainer.world_size > 1
    weights = f"-rank{trainer.rank}" if sharded else ""
    rng = f"-rank{trainer.rank}" if trainer.world_size > 1 else ""  # ranks draw different amounts of dropout
    return f"trainable{weights}.safetensors", f"optimizer{weights}.safetensors", f"rng{rng}.safetensors"


def _shared_tmp(target: Path, trainer: Run) -> Path:
    """A temporary sibling of ``target`` made by rank 0, its name sent to every rank."""
    name = [str(atomic_dir(target)) if trainer.rank == 0 else ""]
    if trainer.world_size > 1:
        dist.broadcast_object_list(name, src=0)
    return Path(name[0])


def save(trainer: Run) -> None:
    """Write ``output/checkpoint`` atomically: trainable weights and optimizer state (each rank its
    shard under sharding), the random generators of every rank, the step; state.json last."""
    target = trainer.out / "checkpoint"
    tmp = _shared_tmp(target, trainer)
    weights_file, optimizer_file, rng_file = _files(trainer)
    try:
        if trainer.rank == 0 or weights_file != "trainable.safetensors":
            tensors = {n: local(t).detach().cpu().contiguous().reshape(local(t).shape or (1,))
                       for n, t in trainable_tensors(trainer).items()}  # fmt: skip
            save_file(tensors, str(tmp / weights_file))
            opt = trainer.optimizer.state_dict()
            state = {f"{pid}/{k}": local(v if torch.is_tensor(v) else torch.tensor(v)).detach().cpu().contiguous()
                     for pid, st in opt["state"].items() for k, v in st.items()}  # fmt: skip
            save_file(state, str(tmp / optimizer_file))
        save_file(rng_tensors(), str(tmp / rng_file))
        _barrier(trainer.world_size)
        if trainer.rank == 0:
            groups = trainer.optimizer.state_dict()["param_groups"]
            meta = {"step": trainer.step, "world_size": trainer.world_size, "param_groups": groups,
                    "config": dataclasses.asdict(trainer.cfg)}  # fmt: skip
            (tmp / "state.json").write_text(json.dumps(meta, indent=2) + "\n")
            write_checksums(tmp)
            replace_dir(tmp, target)
    except BaseException:
        if trainer.rank == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    _barrier(trainer.world_size)


def read_state(out: Path, config: TrainConfig, rank: int, world_size: int) -> dict | None:
    """The checkpoint's state.json (after a kill mid-swap is repaired), refusing a different run."""
    ckpt = out / "checkpoint"
    if rank == 0:  # a kill mid-swap: put the complete version back, clean stale temporaries
        recover_dir(ckpt, "state.json")
    _barrier(world_size)
    if not (ckpt / "state.json").is_file():
        return None
    state = json.loads((ckpt / "state.json").read_text())
    conflicts = resume_conflicts(state.get("config", {}), config)
    if conflicts:
        raise ValueError(
            f"{ckpt}: --resume with a different run; start a new --output, or restore: " + "; ".join(conflicts)
        )
    return state


def load(trainer: Run) -> bool:
    """Continue from ``output/checkpoint`` if there is one; returns whether it did."""
    ckpt = trainer.out / "checkpoint"
    state = read_state(trainer.out, trainer.cfg, trainer.rank, trainer.world_size)
    if state is None:
        if trainer.rank == 0:
            print(f"epic train: no checkpoint in {ckpt}; starting from step 0", file=sys.stderr)
        return False
    saved_world = state.get("world_size", 1)
    if trainer.world_size != saved_world and (trainer.cfg.sharding == "fsdp" or trainer.world_size > 1):
        raise ValueError(f"{ckpt}: saved by {saved_world} process(es); resume it with the same number")
    weights_file, optimizer_file, rng_file = _files(trainer)
    remedy = f"the checkpoint cannot be resumed: move {ckpt} away to start over from step 0"
    for name in (weights_file, optimizer_file, rng_file):
        if (ckpt / name).is_file():
            check_file(ckpt / name, remedy)
    check_checksums(ckpt, remedy, only={weights_file, optimizer_file, rng_file})
    targets = trainable_tensors(trainer)
    with torch.no_grad():
        for name, value in load_file(str(ckpt / weights_file)).items():
            if name not in targets:
                raise ValueError(f"{ckpt}: checkpoint has {name!r}, which this model does not")
            local(targets[name]).copy_(value.reshape(local(targets[name]).shape))
    params = [p for group in trainer.optimizer.param_groups for p in group["params"]]
    opt_state: dict[int, dict] = {}
    with safe_open(str(ckpt / optimizer_file), framework="pt") as f:
        for key in f.keys():
            pid, name = key.split("/")
            value = f.get_tensor(key)
            opt_state.setdefault(int(pid), {})[name] = value if name == "step" else like(value, params[int(pid)])
    trainer.optimizer.load_state_dict({"state": opt_state, "param_groups": state["param_groups"]})
    restore_rng(load_file(str(ckpt / (rng_file if (ckpt / rng_file).is_file() else "rng.safetensors"))))
    trainer.step = int(state["step"])
    log_path = trainer.out / "train_log.jsonl"
    if trainer.rank == 0 and log_path.is_file():  # drop log lines of steps the killed run did after saving
        truncate_log(log_path, trainer.step)
    if trainer.rank == 0:
        print(f"epic train: resumed from {ckpt} at step {trainer.step}", file=sys.stderr)
    return True
