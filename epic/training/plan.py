"""``epic plan``: per-GPU memory of a training run, replicated vs FSDP-sharded, before renting GPUs.

Counts from the backbone's ``config.json`` (vocabulary, width, depth, MLP width, heads) and the run's
:class:`TrainConfig`: weights, trainable parameters with their gradients and AdamW state, and the
activations autograd keeps for one step's forward (all of it, or one GradCache chunk; every layer's
saved tensors, or only its input under activation checkpointing). The activation model counts the
tensors a Llama-style layer saves per token: 7 vectors of the width (norm inputs and outputs, q, the
attention output and its copy), 2 of the key/value width, 4 of the MLP width (gate, its SiLU, up, and
their product), plus the attention probabilities where attention is not a fused kernel (CPU).
Checked against measured peaks in docs/training.md ("Memory"); an estimate, not a guarantee.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from .config import TrainConfig

GiB = 1024**3
TEMPLATE_TOKENS = 24  # instruction and template tokens around a query (the prompt builder's overhead)
SLOT_TOKENS = 5  # one soft demonstration with markers: <query>[q]<response>[r]\n\n
PROCESS_GB = {"cuda": 0.5, "cpu": 0.45}  # CUDA context / Python + torch + transformers, measured


@dataclass
class Shape:
    """What memory depends on, from a Hugging Face ``config.json``."""

    vocab: int
    width: int
    layers: int
    mlp: int
    heads: int
    kv_width: int

    @classmethod
    def from_config(cls, source: str | Path | dict) -> Shape:
        if isinstance(source, dict):
            c = source
        else:
            path = Path(source)
            path = path / "config.json" if path.is_dir() else path
            if path.is_dir() or not path.is_file():
                raise FileNotFoundError(f"{source}: no config.json (give a model folder or its config.json)")
            c = json.loads(path.read_text())
        c = c.get("text_config", c)
        heads = c["num_attention_heads"]
        head_dim = c.get("head_dim") or c["hidden_size"] // heads
        kv = c.get("num_key_value_heads", heads) * head_dim
        return cls(c["vocab_size"], c["hidden_size"], c["num_hidden_layers"], c["intermediate_size"], heads, kv)

    def layer_linears(self) -> dict[str, tuple[int, int]]:
        """(in, out) of each projection of one layer, by its usual name."""
        d, kv, i, q = self.width, self.kv_width, self.mlp, self.heads * (self.width // self.heads)
        return {"q_proj": (d, q), "k_proj": (d, kv), "v_proj": (d, kv), "o_proj": (q, d),
                "gate_proj": (d, i), "up_proj": (d, i), "down_proj": (i, d)}  # fmt: skip

    @property
    def layer_params(self) -> int:
        return sum(a * b for a, b in self.layer_linears().values()) + 2 * self.width

    @property
    def params(self) -> int:
        return self.vocab * self.width + self.layers * self.layer_params + self.width

    def saved_per_token(self) -> int:
        """Elements a layer's autograd graph keeps per token (fused attention, no LoRA)."""
        return 7 * self.width + 2 * self.kv_width + 4 * self.mlp


@dataclass
class Forward:
    """One forward pass of a step: how many texts, padded tokens, and the longest sequence."""

    texts: int
    tokens: int
    longest: int
    icl: bool  # the queries with demonstrations (EPIC's soft tokens carry gradient into the input)


def step_forwards(c: TrainConfig) -> list[Forward]:
    """The forwards one step runs per process, at the length caps: f(base), then f(queries with demos)."""
    b, h, k = c.batch_size, c.hard_negatives, c.max_demos
    query_t = c.query_max_length + TEMPLATE_TOKENS
    doc_t = c.passage_max_length + TEMPLATE_TOKENS // 2
    out = [Forward(b * (2 + h), b * (2 + h) * max(query_t, doc_t), max(query_t, doc_t), False)]
    if c.mode != "contrastive":
        demos = SLOT_TOKENS if c.mode == "epic" else 2 * c.encoder.demo_max_length + TEMPLATE_TOKENS
        out.append(Forward(b, b * (query_t + k * demos), query_t + k * demos, True))
    return out


def step_tokens(c: TrainConfig) -> tuple[int, int, int]:
    """(texts, padded tokens, longest sequence) of one step per process."""
    forwards = step_forwards(c)
    return sum(f.texts for f in forwards), sum(f.tokens for f in forwards), max(f.longest for f in forwards)


def trainable_params(shape: Shape, c: TrainConfig) -> int:
    layers = min(c.train_top_layers or shape.layers, shape.layers)
    if not c.lora:
        return layers * shape.layer_params + shape.width
    linears = shape.layer_linears()
    return layers * sum(c.lora_r * (a + b) for name, (a, b) in linears.items() if name in c.lora_targets)


def saved_bytes_per_token(shape: Shape, c: TrainConfig, compute_bytes: int, device: str, longest: int) -> float:
    """Bytes autograd keeps per token and layer (see the module docstring), with what the precision and
    LoRA add: RMSNorm's fp32 copies under bf16; each LoRA input cast to the fp32 adapter (or copied by
    dropout); the attention scores and probabilities where attention is not fused (CPU)."""
    out = shape.saved_per_token() * compute_bytes
    if compute_bytes == 2:
        out += 8 * shape.width  # two norms, each input and output kept in fp32
    if device == "cpu":
        out += 2 * shape.heads * longest * 4
    if c.lora:
        inputs = sum(a for name, (a, _) in shape.layer_linears().items() if name in c.lora_targets)
        if compute_bytes == 2:
            out += inputs * 4
        elif c.lora_dropout > 0:
            out += inputs * compute_bytes
    return out


def activation_bytes(shape: Shape, c: TrainConfig, compute_bytes: int, device: str, sharded: bool) -> float:
    """Peak bytes of saved activations in a step: every forward's graph until the backward (plain
    step), or one chunk's at a time (GradCache, which a sharded step always uses)."""
    chunked = bool(c.grad_cache_chunk) or sharded
    top = min(c.train_top_layers or shape.layers, shape.layers)
    sizes = []
    for f in step_forwards(c):
        tokens = min(f.texts, c.grad_cache_chunk or f.texts) * f.longest if chunked else f.tokens
        # layers below the trained ones keep nothing, unless gradient must reach the input (EPIC's slots)
        layers = shape.layers if f.icl and c.mode == "epic" and not c.detach_demos else top
        per_layer = tokens * saved_bytes_per_token(shape, c, compute_bytes, device, f.longest)
        kept = tokens * shape.width * compute_bytes * layers + per_layer if c.gradient_checkpointing else None
        sizes.append((kept if kept is not None else per_layer * layers, per_layer))
    held = max(s for s, _ in sizes) if chunked else sum(s for s, _ in sizes)
    return held + max(p for _, p in sizes)  # + the backward's working set: one layer's activation gradients


def estimate(shape: Shape, c: TrainConfig, gpus: int, sharding: str, device: str = "cuda") -> dict[str, float]:
    """GiB per process: weights, trainable + AdamW state, gradients, activations, total."""
    n = gpus if sharding == "fsdp" else 1
    mixed = c.mixed_precision != "none"  # auto: bf16 on the GPUs a plan is for
    pure_bf16 = c.dtype in ("bfloat16", "float16") or (c.dtype == "auto" and device == "cuda" and not mixed)
    weight_bytes = 2 if pure_bf16 else 4
    compute_bytes = 2 if (pure_bf16 or mixed) else 4
    trainable = trainable_params(shape, c)
    state_bytes = 4 if c.lora or not pure_bf16 else 2  # LoRA adapters stay fp32 over a bf16 base (peft)
    weights = shape.params * weight_bytes / n
    if n > 1:  # gathered for compute: two layers (one prefetched) or the embedding table, whichever is larger
        weights += max(2 * shape.layer_params, shape.vocab * shape.width) * compute_bytes
    optimizer = 2 * trainable * state_bytes / n  # AdamW's two moments (the weights themselves are above)
    grads = trainable * state_bytes / (1 if (n > 1 and c.grad_cache_chunk) else n)  # GradCache: unsharded sum
    activations = activation_bytes(shape, c, compute_bytes, device, sharding == "fsdp")
    parts = {"weights": weights, "optimizer": optimizer, "gradients": grads, "activations": activations}
    out = {k: v / GiB for k, v in parts.items()}
    out["total"] = sum(out.values()) + PROCESS_GB[device]
    if device == "cpu":  # loading holds the file's tensors and the model's at once
        out["total"] = max(out["total"], PROCESS_GB[device] + 2 * shape.params * weight_bytes / GiB)
    return out


def plan_table(model: str | Path | dict, c: TrainConfig, gpus: int, gpu_memory_gb: float) -> str:
    """The table ``epic plan`` prints: per-GPU GiB for none vs fsdp, and whether each fits."""
    shape = Shape.from_config(model)
    rows = []
    for sharding in ("none", "fsdp"):
        e = estimate(shape, c, gpus, sharding)
        fits = "yes" if e["total"] <= 0.9 * gpu_memory_gb else "no"
        rows.append(f"| {sharding} | {e['weights']:.1f} | {e['optimizer']:.1f} | {e['gradients']:.1f} | "
                    f"{e['activations']:.1f} | {e['total']:.1f} | {fits} |")  # fmt: skip
    texts, tokens, _ = step_tokens(c)
    chunk = f"GradCache chunks of {c.grad_cache_chunk}" if c.grad_cache_chunk else "no GradCache"
    head = (
        f"{shape.params / 1e9:.2f}B parameters ({shape.layers} layers, width {shape.width}); trainable "
        f"{trainable_params(shape, c) / 1e6:.1f}M ({'LoRA r=' + str(c.lora_r) if c.lora else 'full'}); "
        f"{texts} texts / {tokens:,} tokens per step per GPU; {chunk}; activation checkpointing "
        f"{'on' if c.gradient_checkpointing else 'off'}; mixed precision {c.mixed_precision}, dtype {c.dtype}\n"
        f"per GPU, GiB ({gpus} GPUs of {gpu_memory_gb:g} GB; 'fits' leaves 10 % headroom):\n\n"
        "| sharding | weights | AdamW state | gradients | activations | total | fits |\n|---|---|---|---|---|---|---|"
    )
    variants = activation_variants(model, c)
    lines = ["", "activations per GPU (one process's batch), GiB:", "", "| variant | GiB |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in variants.items()]
    return head + "\n" + "\n".join(rows) + "\n" + "\n".join(lines) + "\n"


def activation_variants(model: str | Path | dict, c: TrainConfig, device: str = "cuda") -> dict[str, float]:
    """Activation GiB with and without GradCache and checkpointing (the planner's what-ifs)."""
    shape = Shape.from_config(model)
    out = {}
    for chunk in (None, c.grad_cache_chunk or 16):
        for ckpt in (False, True):
            v = dataclasses.replace(c, grad_cache_chunk=chunk, gradient_checkpointing=ckpt)
            out[f"GradCache {chunk or 'off'}, checkpointing {'on' if ckpt else 'off'}"] = estimate(
                shape, v, 1, "none", device
            )["activations"]
    return out
