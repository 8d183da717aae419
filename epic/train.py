"""Training: EPIC (demonstrations as embeddings), text ICL (bge-en-icl) and plain contrastive.

One step, batch of B pairs from one task (see ``../shared/EPIC.md``):

1. ``E = f(base)`` over the zero-shot queries, positives and hard negatives (one forward).
2. Query i gets k_i demos j != i of its batch. EPIC: soft tokens ``proj(E[q_j]), proj(E[p_j])`` (no
   extra forward for the demos); text ICL: their text, in the bge-en-icl format.
3. ``QI = f(query with demos)`` for the queries with k_i > 0; loss = InfoNCE(QI) (+ InfoNCE(q0) for
   EPIC's zero-shot term).

All three modes share this code, the data and the budget: only step 2 differs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from .backbone import enable_checkpointing, quiet_peft
from .batches import TaskBatchPlan, TrainBatch, make_batch
from .card import base_model_name
from .data import Demo, TrainData, load_train_data
from .io import atomic_dir, recover_dir, replace_dir
from .loss import LogitScale, batch_geometry, info_nce, world
from .model import EpicEncoder
from .prompt import Prompt
from .telemetry import RunLog, curve_summary, read_log, truncate_log
from .train_config import INFERENCE_MODE, LORA_TARGETS, MODES, TrainConfig, resume_conflicts

__all__ = ["LORA_TARGETS", "MODES", "TrainConfig", "Trainer", "run_training"]
from .validation import split_validation, validation_batches


@dataclass
class StepInputs:
    """The prompts of one step: ``base`` = queries (B) + positives (B) + negatives (B*H) [+ demo pairs];
    ``icl`` = the queries that have demonstrations (rows ``icl_rows``); ``demo_index`` = the row of
    ``f(base)`` that fills each soft slot of ``icl``, in order."""

    base: list[Prompt]
    icl: list[Prompt]
    icl_rows: list[int]
    demo_index: torch.Tensor
    b: int
    h: int
    in_batch_negatives: bool


def _init_distributed() -> None:
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))


class Trainer:
    """Trains an :class:`EpicEncoder` in one of :data:`MODES`; resumable, single or multi-process."""

    def __init__(self, config: TrainConfig, model: EpicEncoder | None = None):
        self.cfg = config
        if config.threads:
            torch.set_num_threads(config.threads)
        _init_distributed()
        self.rank, self.world_size = world()
        self.out = Path(config.output)
        if config.resume:  # before anything loads: a different run is refused by name
            self._checkpoint_state()
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
        self._fit_pooled_stats()
        self._setup_trainable()
        self.model.train()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        decay = [p for p in self.params if p.ndim >= 2]
        no_decay = [p for p in self.params if p.ndim < 2]
        groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        if config.learn_temperature:
            self.params.append(self.logit_scale.log_temperature)
            groups.append({"params": [self.logit_scale.log_temperature], "weight_decay": 0.0, "scale_lr": True})
        self.optimizer = torch.optim.AdamW(groups, lr=config.lr)
        self.step = 0
        if config.resume:
            self.load_checkpoint()

    # -- setup ------------------------------------------------------------------------------------
    def _load_model(self) -> EpicEncoder:
        c = self.cfg
        device = f"cuda:{torch.cuda.current_device()}" if torch.cuda.is_available() else "cpu"
        dtype = None if c.dtype == "auto" else getattr(torch, c.dtype)
        path = Path(c.model) if c.model else None
        fresh = path is None or not (path / "epic_config.json").is_file()
        overrides = {}
        if fresh:
            overrides = dict(
                projection=c.projection,
                center=c.center,
                pooling=c.pooling,
                template=c.template,
                pooled_stats=c.pooled_stats,
                vectors_per_demo=c.vectors_per_demo,
                demo_markers=c.demo_markers,
                num_layers=c.num_layers,
            )
        model = EpicEncoder.from_pretrained(path, device=device, dtype=dtype, **overrides)
        model.config.demo_mode = INFERENCE_MODE[c.mode]
        model.config.demo_max_length = c.demo_max_length
        model.prompts.demo_max_length = c.demo_max_length
        return model

    def _fit_pooled_stats(self) -> None:
        m, c = self.model, self.cfg
        if m.config.pooled_stats != "none" and not bool(m.pooled_stats.fitted):
            m.fit_pooled_stats(
                pooled_stats_prompts(
                    m, self.data, c.pooled_stats_examples, c.seed, c.query_max_length, c.passage_max_length
                )
            )

    def _setup_trainable(self) -> None:
        c, m = self.cfg, self.model
        n_layers = len(self._layers())
        # more than the backbone has (a recipe made for a deeper model) trains them all
        top = list(range(max(0, n_layers - c.train_top_layers), n_layers)) if c.train_top_layers else None
        if c.lora and not hasattr(m.backbone, "peft_config"):
            from peft import LoraConfig, get_peft_model

            names = {n.rsplit(".", 1)[-1] for n, _ in m.backbone.named_modules()}
            targets = [t for t in c.lora_targets if t in names]
            if not targets:
                raise ValueError(f"none of lora_targets {c.lora_targets} exist in this backbone")
            lora = LoraConfig(
                r=c.lora_r,
                lora_alpha=c.lora_alpha,
                lora_dropout=c.lora_dropout,
                target_modules=targets,
                layers_to_transform=top,
                layers_pattern="layers" if top else None,
            )
            with quiet_peft():
                m.backbone = get_peft_model(m.backbone, lora)
        elif not c.lora:
            for p in m.backbone.parameters():
                p.requires_grad_(False)
            layers = self._layers()
            for i in top or range(n_layers):
                for p in layers[i].parameters():
                    p.requires_grad_(True)
            for p in self._base().norm.parameters():
                p.requires_grad_(True)
        if c.gradient_checkpointing:
            enable_checkpointing(m.backbone)

    def _base(self):
        b = self.model.backbone
        return b.get_base_model() if hasattr(b, "get_base_model") else b

    def _layers(self):
        return self._base().layers

    def lr_at(self, step: int) -> float:
        """Linear warm-up, then linear decay to zero at ``max_steps``."""
        c = self.cfg
        if step < c.warmup_steps:
            return c.lr * (step + 1) / c.warmup_steps
        return c.lr * max(0.0, (c.max_steps - step) / max(1, c.max_steps - c.warmup_steps))

    # -- one step ---------------------------------------------------------------------------------
    def prepare(self, batch: TrainBatch) -> StepInputs:
        c, m = self.cfg, self.model
        task = batch.task.as_task()
        ins = task.instruction
        b = len(batch.queries)
        h = len(batch.negatives[0]) if batch.negatives else 0
        base = [m.prompts.query(q, ins, limit=c.query_max_length) for q in batch.queries]
        base += [m.document_prompt(p, task, c.passage_max_length) for p in batch.positives]
        base += [m.document_prompt(n, task, c.passage_max_length) for negs in batch.negatives for n in negs]
        icl, rows, index = [], [], []
        pair_row: dict[int, int] = {}
        for i, demos in enumerate(batch.demos):
            if not demos or c.mode == "contrastive":
                continue
            rows.append(i)
            if c.mode == "text-icl":
                text_demos = [Demo(batch.queries[j], batch.positives[j]) for j in demos]
                icl.append(m.prompts.query(batch.queries[i], ins, text_demos=text_demos, limit=c.query_max_length))
                continue
            icl.append(m.prompts.query(batch.queries[i], ins, n_soft_demos=len(demos), limit=c.query_max_length))
            for j in demos:
                if m.config.vectors_per_demo == 2:
                    index += [j, b + j]
                else:
                    if j not in pair_row:
                        pair_row[j] = len(base)
                        base.append(m.prompts.demo_pair(ins, Demo(batch.queries[j], batch.positives[j])))
                    index.append(pair_row[j])
        return StepInputs(base, icl, rows, torch.tensor(index, dtype=torch.long), b, h, batch.task.in_batch_negatives)

    def _nce(self, inp: StepInputs, cross_device: bool):
        return partial(
            info_nce,
            temperature=self.logit_scale(),
            in_batch_negatives=inp.in_batch_negatives,
            cross_device=cross_device,
        )

    @staticmethod
    def split_base(E: torch.Tensor, inp: StepInputs) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Zero-shot queries (B, d), positives (B, d) and hard negatives (B, H, d) or None, from f(base)."""
        b, h = inp.b, inp.h
        return E[:b], E[b : 2 * b], E[2 * b : 2 * b + b * h].reshape(b, h, -1) if h else None

    @staticmethod
    def with_demos(q0: torch.Tensor, QI: torch.Tensor | None, inp: StepInputs) -> torch.Tensor:
        """The queries as encoded with their demonstrations (zero-shot where a query drew none)."""
        if QI is None:
            return q0
        return q0.index_put((torch.tensor(inp.icl_rows, device=q0.device),), QI)

    def loss_from(self, E: torch.Tensor, QI: torch.Tensor | None, inp: StepInputs) -> tuple[torch.Tensor, dict]:
        """The loss from the pooled embeddings of ``base`` (E) and of the ``icl`` queries (QI).

        InfoNCE of the queries with their demonstrations (+ of the zero-shot queries for EPIC's
        zero-shot term). The formula is the same whatever the demo draw, so every process issues the
        same collectives even when none of its queries drew a demonstration.
        """
        c = self.cfg
        nce = self._nce(inp, c.cross_device_negatives and self.world_size > 1)
        q0, pos, neg = self.split_base(E, inp)
        loss = nce(self.with_demos(q0, QI, inp), pos, neg)
        if c.mode == "epic" and c.zero_shot_loss:
            loss = loss + nce(q0, pos, neg)
        metrics = batch_geometry(q0, pos, neg)
        if QI is not None:
            rows = torch.tensor(inp.icl_rows, device=E.device)
            metrics["demo_cos"] = F.cosine_similarity(QI.detach(), q0[rows].detach(), dim=-1).mean().item()
        return loss, metrics

    def _demo_vectors(self, E: torch.Tensor, index: torch.Tensor) -> torch.Tensor | None:
        if self.cfg.mode != "epic" or index.numel() == 0:
            return None
        v = E[index.to(E.device)]
        return v.detach() if self.cfg.detach_demos else v

    def forward_backward(self, inp: StepInputs) -> tuple[float, dict]:
        """Compute the loss and its gradients (plain, or GradCache when ``grad_cache_chunk`` is set)."""
        if self.cfg.grad_cache_chunk:
            return self._forward_backward_cached(inp, self.cfg.grad_cache_chunk)
        m = self.model
        E = m.embed(inp.base)
        QI = m.embed(inp.icl, self._demo_vectors(E, inp.demo_index)) if inp.icl else None
        loss, metrics = self.loss_from(E, QI, inp)
        loss.backward()
        return loss.item(), metrics

    def _icl_chunks(self, inp: StepInputs, chunk: int):
        """(prompt slice, slice of demo_index) per chunk of ICL prompts."""
        start_slot = 0
        for s in range(0, len(inp.icl), chunk):
            prompts = inp.icl[s : s + chunk]
            n_slots = sum(len(p.slots) for p in prompts)
            yield s, prompts, inp.demo_index[start_slot : start_slot + n_slots]
            start_slot += n_slots

    def _forward_backward_cached(self, inp: StepInputs, chunk: int) -> tuple[float, dict]:
        """GradCache (Gao et al. 2021): embed without graphs, take the loss's gradient w.r.t. the
        embeddings, then re-run each chunk with a graph and back-propagate that gradient. Memory is
        bounded by the chunk, gradients equal the plain step's (tested)."""
        m = self.model
        with torch.no_grad():
            E = torch.cat([m.embed(inp.base[s : s + chunk]) for s in range(0, len(inp.base), chunk)])
            QI = None
            if inp.icl:
                QI = torch.cat([m.embed(p, self._demo_vectors(E, ix)) for _, p, ix in self._icl_chunks(inp, chunk)])
        E_leaf = E.detach().requires_grad_()
        QI_leaf = QI.detach().requires_grad_() if QI is not None else None
        loss, metrics = self.loss_from(E_leaf, QI_leaf, inp)
        loss.backward()
        grad_E = E_leaf.grad if E_leaf.grad is not None else torch.zeros_like(E)
        if QI_leaf is not None:
            E_demo = E.detach().requires_grad_(self.cfg.mode == "epic" and not self.cfg.detach_demos)
            for s, prompts, ix in self._icl_chunks(inp, chunk):
                out = m.embed(prompts, self._demo_vectors(E_demo, ix))
                out.backward(QI_leaf.grad[s : s + len(prompts)])
            if E_demo.grad is not None:
                grad_E = grad_E + E_demo.grad
        for s in range(0, len(inp.base), chunk):
            m.embed(inp.base[s : s + chunk]).backward(grad_E[s : s + chunk])
        return loss.item(), metrics

    def _sync_gradients(self) -> None:
        """Average gradients over processes (DDP semantics, one flat all-reduce)."""
        if self.world_size == 1:
            return
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world_size
        offset = 0
        for p, g in zip(self.params, grads):
            p.grad = flat[offset : offset + g.numel()].view_as(g).clone()
            offset += g.numel()

    def train_step(self) -> dict:
        c = self.cfg
        batch = make_batch(self.plan, self.step, c.hard_negatives, c.max_demos, self.rank)
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr_at(self.step) * (c.temperature_lr / c.lr if group.get("scale_lr") else 1.0)
        t0 = time.perf_counter()
        inp = self.prepare(batch)
        loss, metrics = self.forward_backward(inp)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"epic train: non-finite loss {loss} at step {self.step + 1} (task {batch.task.name}); "
                "nothing was saved from this step (lower lr, or raise temperature)"
            )
        self._sync_gradients()
        # the norm before clipping (inf: measure only), a signal of too large or vanishing steps
        grad_norm = torch.nn.utils.clip_grad_norm_(self.params, c.max_grad_norm or float("inf")).item()
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

    @torch.no_grad()
    def evaluate(self) -> dict:
        """Validation loss per task at the current weights: zero-shot, and with fixed in-batch
        demonstrations for the modes that use them. Local to each process (no collectives)."""
        m = self.model
        m.eval()
        zero_shot: dict[str, float] = {}
        with_demos: dict[str, float] = {}
        top1: list[float] = []
        for name, batches in self.validation.items():
            zs, wd = [], []
            for batch in batches:
                inp = self.prepare(batch)
                E = m.embed(inp.base)
                QI = m.embed(inp.icl, self._demo_vectors(E, inp.demo_index)) if inp.icl else None
                nce = self._nce(inp, cross_device=False)
                q0, pos, neg = self.split_base(E, inp)
                zs.append(nce(q0, pos, neg).item())
                top1.append(batch_geometry(q0, pos, neg)["top1"])
                if QI is not None:
                    wd.append(nce(self.with_demos(q0, QI, inp), pos, neg).item())
            zero_shot[name] = sum(zs) / len(zs)
            if wd:
                with_demos[name] = sum(wd) / len(wd)
        m.train()
        record = {"step": self.step, "eval_loss": sum(zero_shot.values()) / len(zero_shot)}
        record["eval_top1"] = sum(top1) / len(top1)  # temperature-free: comparable across recipes
        record.update({f"eval_loss/{t}": v for t, v in zero_shot.items()})
        if with_demos:
            record["eval_loss_demos"] = sum(with_demos.values()) / len(with_demos)
            record.update({f"eval_loss_demos/{t}": v for t, v in with_demos.items()})
        return record

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
        bar.close()
        log.close()
        final = Path(c.model_dir) if c.model_dir else self.out / "model"
        if self.rank == 0:
            self.model.training_record = self.training_record()
            self.model.save_pretrained(final, merge_lora=c.merge_lora)
        if self.world_size > 1:
            dist.barrier()
        return final

    def training_record(self) -> dict:
        """What the saved model's card says of its training: the config, the data and the curve."""
        counts: dict[str, int] = {}
        for ex in self.data.examples:
            counts[ex.task] = counts.get(ex.task, 0) + 1
        manifest = Path(self.cfg.data) / "manifest.json"
        data = {"source": self.cfg.data, "examples": counts}
        if manifest.is_file():
            data["manifest_sha256"] = hashlib.sha256(manifest.read_bytes()).hexdigest()
        _, evals = read_log(self.out / "train_log.jsonl")
        return {
            "config": dataclasses.asdict(self.cfg),
            "data": data,
            # a model loaded from a saved folder (cfg.model) passes on the base its own record names
            "base_model": base_model_name(dataclasses.asdict(self.model.config), Path(self.cfg.model or ".")),
            "hidden_size": self.model.hidden_size,
            "validation": curve_summary(evals) if evals else None,
        }

    # -- checkpoints ----------------------------------------------------------------------------------
    def _trainable_state(self) -> dict[str, torch.Tensor]:
        state = {n: p.detach().cpu().contiguous() for n, p in self.model.named_parameters() if p.requires_grad}
        state.update({f"projector.{n}": b.detach().cpu() for n, b in self.model.projector.named_buffers()})
        state.update({f"pooled_stats.{n}": b.detach().cpu() for n, b in self.model.pooled_stats.named_buffers()})
        state["logit_scale.log_temperature"] = self.logit_scale.log_temperature.detach().cpu().reshape(1)
        return state

    def save_checkpoint(self) -> None:
        """Write ``output/checkpoint`` atomically: trainable weights, optimizer, RNG, step."""
        if self.rank == 0:
            target = self.out / "checkpoint"
            tmp = atomic_dir(target)
            try:
                save_file(self._trainable_state(), str(tmp / "trainable.safetensors"))
                opt = self.optimizer.state_dict()
                tensors = {
                    f"{pid}/{k}": (v if torch.is_tensor(v) else torch.tensor(v)).detach().cpu().contiguous()
                    for pid, st in opt["state"].items()
                    for k, v in st.items()
                }
                save_file(tensors, str(tmp / "optimizer.safetensors"))
                save_file({"cpu": torch.get_rng_state()}, str(tmp / "rng.safetensors"))
                state = {"step": self.step, "param_groups": opt["param_groups"], "config": dataclasses.asdict(self.cfg)}
                (tmp / "state.json").write_text(json.dumps(state, indent=2) + "\n")
                replace_dir(tmp, target)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        if self.world_size > 1:
            dist.barrier()

    def _checkpoint_state(self) -> dict | None:
        """The checkpoint's state.json after a kill mid-swap is repaired, refusing a different run."""
        ckpt = self.out / "checkpoint"
        if self.rank == 0:  # a kill mid-swap: put the complete version back, clean stale temporaries
            recover_dir(ckpt, "state.json")
        if self.world_size > 1:
            dist.barrier()
        if not (ckpt / "state.json").is_file():
            return None
        state = json.loads((ckpt / "state.json").read_text())
        conflicts = resume_conflicts(state.get("config", {}), self.cfg)
        if conflicts:
            raise ValueError(
                f"{ckpt}: --resume with a different run; start a new --output, or restore: " + "; ".join(conflicts)
            )
        return state

    def load_checkpoint(self) -> bool:
        """Continue from ``output/checkpoint`` if there is one; returns whether it did."""
        ckpt = self.out / "checkpoint"
        state = self._checkpoint_state()
        if state is None:
            if self.rank == 0:
                print(f"epic train: no checkpoint in {ckpt}; starting from step 0", file=sys.stderr)
            return False
        weights = load_file(str(ckpt / "trainable.safetensors"))
        params = dict(self.model.named_parameters())
        buffers = {f"projector.{n}": b for n, b in self.model.projector.named_buffers()}
        buffers.update({f"pooled_stats.{n}": b for n, b in self.model.pooled_stats.named_buffers()})
        buffers["logit_scale.log_temperature"] = self.logit_scale.log_temperature
        with torch.no_grad():
            for name, value in weights.items():
                target = params.get(name, buffers.get(name))
                if target is None:
                    raise ValueError(f"{ckpt}: checkpoint has {name!r}, which this model does not")
                target.copy_(value.reshape(target.shape))
        opt_state: dict[int, dict] = {}
        with safe_open(str(ckpt / "optimizer.safetensors"), framework="pt") as f:
            for key in f.keys():
                pid, name = key.split("/")
                opt_state.setdefault(int(pid), {})[name] = f.get_tensor(key)
        self.optimizer.load_state_dict({"state": opt_state, "param_groups": state["param_groups"]})
        torch.set_rng_state(load_file(str(ckpt / "rng.safetensors"))["cpu"])
        self.step = int(state["step"])
        log_path = self.out / "train_log.jsonl"
        if self.rank == 0 and log_path.is_file():  # drop log lines of steps the killed run did after saving
            truncate_log(log_path, self.step)
        if self.rank == 0:
            print(f"epic train: resumed from {ckpt} at step {self.step}", file=sys.stderr)
        return True


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
        prompts.append(model.document_prompt(ex.pos[0], task, passage_length))
    return prompts


def run_training(config: TrainConfig) -> Path:
    return Trainer(config).train()
