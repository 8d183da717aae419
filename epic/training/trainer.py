"""Training: the loop around :mod:`epic.training.objective` — model set-up (LoRA or full, top layers), the
optimizer and schedule, gradient averaging over processes, validation, checkpoints and the final save."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from tqdm.auto import tqdm

from ..data.train_data import TrainData, load_train_data
from ..encoder.card import base_model_name
from ..encoder.config import CONFIG_FILE
from ..encoder.engine import compute_dtype
from ..encoder.model import EpicEncoder
from ..encoder.model_io import load_pooled_stats
from ..encoder.prompt import Prompt
from ..utils.config_io import flat_dict
from ..utils.io import disk_errors
from . import checkpoint
from .batches import TaskBatchPlan, make_batch
from .config import INFERENCE_MODE, LORA_TARGETS, MODES, TrainConfig, training_encoder
from .loss import LogitScale, world
from .objective import Objective
from .sharding import average_replicated_gradients, clip_gradients, full_backbone_state, shard_backbone
from .stopping import StopSignals, TrainingInterrupted
from .telemetry import RunLog, curve_summary, read_log
from .trainable import make_trainable, param_groups, trained_parameters
from .validation import split_validation, validation_batches, validation_losses

__all__ = ["LORA_TARGETS", "MODES", "TrainConfig", "Trainer", "run_training"]


def _init_distributed(sharding: str) -> None:
    """Join the process group torchrun / accelerate describe; FSDP needs one even for one process."""
    if dist.is_initialized():
        return
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        dist.init_process_group(backend)
    elif sharding == "fsdp":
        store = tempfile.NamedTemporaryFile(prefix="epic-pg-", delete=False).name
        dist.init_process_group(backend, init_method=f"file://{store}", rank=0, world_size=1)


class Trainer:
    """Trains an :class:`EpicEncoder` in one of :data:`MODES`; resumable, single or multi-process."""

    def __init__(self, config: TrainConfig, model: EpicEncoder | None = None):
        self.cfg = config
        if config.threads:
            torch.set_num_threads(config.threads)
        _init_distributed(config.sharding)
        self.rank, self.world_size = world()
        self.out = Path(config.output)
        if config.resume:  # before anything loads: a different run is refused by name
            checkpoint.read_state(self.out, config, self.rank, self.world_size)
        self.data = load_train_data(config.data, config.tasks, config.skip_bad_lines)
        if self.data.skipped and self.rank == 0:
            print(f"epic train: skipped {len(self.data.skipped)} bad line(s):", file=sys.stderr)
            for msg in self.data.skipped[:20]:
                print(f"  {msg}", file=sys.stderr)
        self.data, held_out = split_validation(self.data, config.eval_examples)
        self.validation = validation_batches(held_out, self.data.tasks, config.batch_size, config.hard_negatives)
        self.plan = TaskBatchPlan(self.data, config.batch_size, self.world_size, config.seed)
        self.logit_scale = LogitScale(config.temperature, config.learn_temperature)
        torch.manual_seed(config.seed)
        self.model = model if model is not None else self._load_model()
        compute = compute_dtype(config.mixed_precision, self.model.device)
        self.model.compute_dtype = None if config.sharding == "fsdp" else compute  # FSDP casts by itself
        validation = compute_dtype(config.eval_precision or config.mixed_precision, self.model.device)
        self.eval_dtype = None if config.sharding == "fsdp" else validation
        self._fit_pooled_stats()
        make_trainable(self.model, config)
        self.fsdp = shard_backbone(self.model.backbone, compute) if config.sharding == "fsdp" else None
        self.model.train()
        self.objective = Objective(config, self.model, self.logit_scale, self.world_size, self.fsdp)
        groups = param_groups(self.model, config, self.logit_scale)
        self.params = trained_parameters(groups)
        self.optimizer = torch.optim.AdamW(groups, lr=config.lr)
        self.step = 0
        if config.resume:
            self.load_checkpoint()

    # -- setup ------------------------------------------------------------------------------------
    def _load_model(self) -> EpicEncoder:
        """A fresh backbone with the whole ``encoder`` config, or a saved model with the encoder fields
        this run set (an architecture field that differs from the saved model's is refused by name)."""
        c = self.cfg
        device = f"cuda:{torch.cuda.current_device()}" if torch.cuda.is_available() else "cpu"
        dtype = None if c.dtype == "auto" else getattr(torch, c.dtype)
        if c.mixed_precision != "none":
            dtype = torch.float32  # the master weights; computation may run in bf16
        path = Path(c.model) if c.model else None
        settings = {k: v for k, v in dataclasses.asdict(c.encoder).items() if k not in TrainConfig.NESTED_HIDDEN}
        if path is not None and (path / CONFIG_FILE).is_file():  # only what this run changed from the defaults
            defaults = dataclasses.asdict(training_encoder())
            settings = {k: v for k, v in settings.items() if v != defaults[k] or k == "demo_max_length"}
        model = EpicEncoder.from_pretrained(path, device=device, dtype=dtype, **settings)
        model.config.demo_mode = INFERENCE_MODE[c.mode]
        model.prompts.demo_max_length = model.config.demo_max_length
        return model

    def _fit_pooled_stats(self) -> None:
        m, c = self.model, self.cfg
        if m.config.pooled_stats == "none" or bool(m.pooled_stats.fitted):
            return
        if c.pooled_stats_from:
            load_pooled_stats(m, c.pooled_stats_from)
            return
        lengths = c.query_max_length, c.passage_max_length
        m.fit_pooled_stats(pooled_stats_prompts(m, self.data, c.pooled_stats_examples, c.seed, *lengths))

    def lr_at(self, step: int) -> float:
        """Linear warm-up, then linear decay to zero at ``max_steps``."""
        c = self.cfg
        if step < c.warmup_steps:
            return c.lr * (step + 1) / c.warmup_steps
        return c.lr * max(0.0, (c.max_steps - step) / max(1, c.max_steps - c.warmup_steps))

    # -- one step ---------------------------------------------------------------------------------
    def train_step(self) -> dict:
        c = self.cfg
        batch = make_batch(self.plan, self.step, c.hard_negatives, c.max_demos, rank=self.rank,
                           instruction_dropout=c.instruction_dropout, demo_source=c.demo_source)  # fmt: skip
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr_at(self.step) * (c.temperature_lr / c.lr if group.get("scale_lr") else 1.0)
        t0 = time.perf_counter()
        inp = self.objective.prepare(batch)
        loss, metrics = self.objective.forward_backward(inp)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"epic train: non-finite loss {loss} at step {self.step + 1} (task {batch.task.name}); "
                "nothing was saved from this step (lower lr, or raise temperature)"
            )
        average_replicated_gradients(self.params, self.world_size)  # FSDP averaged the sharded ones
        # the norm before clipping (inf: measure only), a signal of too large or vanishing steps
        grad_norm = clip_gradients(self.params, c.max_grad_norm or float("inf"))
        if not math.isfinite(grad_norm):
            raise FloatingPointError(
                f"epic train: non-finite gradient norm at step {self.step + 1} (task {batch.task.name}); "
                "the weights were not updated and nothing was saved from this step"
            )
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        seconds = time.perf_counter() - t0
        return {
            "step": self.step,
            "task": batch.task.name,
            "loss": loss,
            "lr": self.lr_at(self.step - 1),
            "grad_norm": grad_norm,
            "logit_scale": 1.0 / self.logit_scale().item(),
            **metrics,
            "examples_per_s": len(batch.queries) * self.world_size / seconds,
            "tokens": sum(len(p) for p in inp.base + inp.icl),
            "seconds": seconds,
        }

    def evaluate(self) -> dict:
        """Validation losses at the current weights (:func:`epic.training.validation.validation_losses`), computed
        in ``eval_precision``: the passes take no gradient, so bf16 there leaves training as it is."""
        training, self.model.compute_dtype = self.model.compute_dtype, self.eval_dtype
        try:
            return validation_losses(self.objective, self.validation, self.step)
        finally:
            self.model.compute_dtype = training

    # -- the loop -----------------------------------------------------------------------------------
    def train(self, callback=None) -> Path:
        """Run to ``max_steps`` (checkpointing every ``save_every``), save the model, return its path."""
        c = self.cfg
        if self.rank == 0:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "train_config.json").write_text(json.dumps(dataclasses.asdict(c), indent=2) + "\n")
        log = RunLog(self.out, c.report_to, enabled=self.rank == 0)
        if self.validation and self.step == 0:
            log.write(self.evaluate())
        bar = tqdm(total=c.max_steps, initial=self.step, disable=c.quiet or self.rank != 0, desc=f"train {c.mode}")
        with StopSignals() as stop, log, bar:
            while self.step < c.max_steps:
                record = self.train_step()
                if self.step % c.log_every == 0 or self.step == c.max_steps:
                    log.write(record)
                if self.validation and ((c.eval_every and self.step % c.eval_every == 0) or self.step == c.max_steps):
                    log.write(self.evaluate())
                bar.update(1)
                bar.set_postfix(
                    {k: f"{v:.3g}" for k, v in record.items() if k in ("loss", "lr", "demo_cos", "examples_per_s")}
                )
                if c.save_every and self.step % c.save_every == 0 and self.step < c.max_steps:
                    self.save_checkpoint()
                if callback is not None:
                    callback(self, record)
                signum = stop.agreed(self.world_size)  # every rank, every step: they stop together
                if signum and self.step < c.max_steps:
                    self.save_checkpoint()
                    raise TrainingInterrupted(signum, self.step, str(self.out / "checkpoint"))
        final = Path(c.model_dir) if c.model_dir else self.out / "model"
        state = full_backbone_state(self.model.backbone) if self.fsdp is not None else None  # every rank gathers
        if self.rank == 0:
            self.model.training_record = self.training_record()
            self.model.save_pretrained(final, merge_lora=c.merge_lora, backbone_state=state)
        if self.world_size > 1:
            dist.barrier()
        return final

    def training_record(self) -> dict:
        """What the saved model's card says of its training: the config, the data and the curve."""
        counts = {task: len(rows) for task, rows in self.data.examples.rows_by_task().items()}
        manifest = Path(self.cfg.data) / "manifest.json"
        data = {"source": self.cfg.data, "examples": counts}
        if manifest.is_file():  # a set built by `epic data build`: name its sources and their licences
            data["manifest_sha256"] = hashlib.sha256(manifest.read_bytes()).hexdigest()
            built = json.loads(manifest.read_text())
            keys = ("name", "title", "domain", "licence")
            data["sources"] = [{k: s[k] for k in keys if k in s} for s in built.get("sources", [])]
            if built.get("mined"):
                data["negatives mined by"] = built["mined"].get("model")
        _, evals = read_log(self.out / "train_log.jsonl")
        return {
            "config": flat_dict(self.cfg),
            "data": data,
            # a model loaded from a saved folder (cfg.model) passes on the base its own record names
            "base_model": base_model_name(dataclasses.asdict(self.model.config), Path(self.cfg.model or ".")),
            "hidden_size": self.model.hidden_size,
            "validation": curve_summary(evals) if evals else None,
        }

    # -- checkpoints (epic.training.checkpoint) -----------------------------------------------------------------
    def save_checkpoint(self) -> None:
        with disk_errors(self.out / "checkpoint"):  # a full disk: an OSError naming the folder
            checkpoint.save(self)

    def load_checkpoint(self) -> bool:
        return checkpoint.load(self)


def pooled_stats_prompts(
    model: EpicEncoder, data: TrainData, n: int, seed: int, query_length: int = 64, passage_length: int = 128
) -> list[Prompt]:
    """The training text pooled statistics are fitted on: a deterministic sample of ``n`` examples,
    each query as the model sees it in training (instructed) and its positive as a document."""
    rng = np.random.default_rng([seed, 13])
    prompts = []
    for i in sorted(rng.choice(len(data.examples), min(n, len(data.examples)), replace=False).tolist()):
        ex = data.examples[i]
        task = data.tasks[ex.task].as_task()
        prompts.append(model.prompts.query(ex.query, task.instruction, limit=query_length))
        prompts.append(model.prompts.task_document(ex.pos[0], task, passage_length))
    return prompts


def run_training(config: TrainConfig) -> Path:
    return Trainer(config).train()
