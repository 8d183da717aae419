"""Training configuration: every field settable in YAML and on the command line, checked by name."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..encoder.config import EpicConfig
from ..encoder.engine import MIXED_PRECISION
from ..utils.config_io import accept_flat_keywords, flat_dict

MODES = ("epic", "text-icl", "contrastive")
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
REPORT_TO = ("none", "tensorboard")
INFERENCE_MODE = {"epic": "embedding", "text-icl": "text", "contrastive": "none"}


def training_encoder() -> EpicConfig:
    """A fresh backbone's settings for training: PromptEOL pooled and centred on training text (an
    untrained decoder's EOS state after raw text does not carry meaning: docs/study.md §7-8)."""
    return EpicConfig(template="eol", pooled_stats="center", demo_max_length=64)


@accept_flat_keywords
@dataclass
class TrainConfig:
    """All training settings; every field can be set in YAML and overridden on the command line.

    ``encoder`` (:class:`EpicConfig`) is the model's own configuration: its architecture fields
    (projection, pooling, template, …) apply to a fresh backbone, its inference defaults (n_demos, …)
    are saved with the model; flat spellings work everywhere (``projection: mlp``, ``--projection``,
    ``TrainConfig(projection="mlp")``).
    """

    NESTED_HIDDEN = ("backbone", "fingerprint", "lora", "demo_mode")  # set by loading and by ``mode``

    # what and where
    model: str | None = None  # a HF decoder folder or saved epic model; None = the embedded default
    data: str = ""  # JSONL file, or a folder of *.jsonl (+ tasks.yaml)
    tasks: str | None = None  # training task file (instruction, batch_size, in_batch_negatives per task)
    output: str = "runs/epic"
    model_dir: str | None = None  # where the final model goes (default: OUTPUT/model)
    mode: str = "epic"  # epic | text-icl | contrastive
    seed: int = 42
    skip_bad_lines: bool = False
    # budget and optimisation
    max_steps: int = 100
    batch_size: int = 16  # per process, for tasks without their own
    hard_negatives: int = 1
    temperature: float = 0.05  # InfoNCE τ (start value when learned); 0.02 is overconfident on centred vectors
    learn_temperature: bool = False  # a learned logit scale, clamped to temperatures in [0.01, 1]
    false_negative_margin: float | None = None  # mask candidates scoring > positive's cosine + this (e.g. 0.1)
    temperature_lr: float = 0.02  # its own lr: at the model's lr a log-scale would barely move in a run
    lr: float = 1e-4
    warmup_steps: int = 0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    encoder: EpicConfig = field(default_factory=training_encoder)
    # EPIC switches (EPIC.md)
    max_demos: int = 5  # K: each query gets k ~ Uniform{0..K} demonstrations
    # batch: other pairs of the batch | outside: of K pairs of the task from outside it | shared: the first k of them
    demo_source: str = "batch"
    detach_demos: bool = False
    zero_shot_loss: bool = True
    # EPIC: weight of the with-demonstrations InfoNCE term; the zero-shot term keeps weight 1
    demo_loss_weight: float = 1.0
    # share of the queries with demonstrations whose prompt then carries the generic instruction instead
    # of the task's, so that the demonstrations are what tells the task (EPIC, text ICL)
    instruction_dropout: float = 0.0
    pooled_stats_examples: int = 256  # training examples (query and positive) the statistics are fitted on
    # a model folder (or its pooled_stats.safetensors) whose fitted statistics this run starts from instead of
    # fitting its own: the same ones when backbone, data, seed and lengths are (the quickstart's baseline)
    pooled_stats_from: str | None = None
    # what is trained
    lora: bool = True
    lora_r: int = 32
    lora_alpha: int = 64
    lora_dropout: float = 0.0
    lora_targets: list[str] = field(default_factory=lambda: list(LORA_TARGETS))
    train_top_layers: int | None = None  # train only the top N layers (LoRA or full)
    # lengths and memory
    query_max_length: int = 64
    passage_max_length: int = 128
    grad_cache_chunk: int | None = None  # GradCache: forward/backward in chunks of this many texts
    # each forward split into up to this many of similar lengths, the fewest padded tokens (1: one padded batch;
    # sharded runs use 1): the quickstart's batches were 17 % padding, 2.7 % in 4 groups
    length_groups: int = 4
    gradient_checkpointing: bool = False
    cross_device_negatives: bool = True
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16: the weights as loaded (see mixed_precision)
    mixed_precision: str = "none"  # none | bf16 | auto (bf16 where native): fp32 master weights, bf16 compute
    sharding: str = "none"  # none (each process a full replica) | fsdp (PyTorch FSDP2: weights, grads, Adam sharded)
    # bookkeeping
    save_every: int = 50
    log_every: int = 1
    eval_examples: int = 0  # held out of training per task (docs: the learning curve); 0 = none
    eval_every: int = 0  # validation loss at step 0 and every N steps (0 = only at the end)
    eval_precision: str | None = None  # the validation passes' compute (none | bf16 | auto); None = mixed_precision
    report_to: str = "none"  # none | tensorboard (scalars in OUTPUT/tensorboard)
    merge_lora: bool = False
    resume: bool = False
    threads: int | None = None
    quiet: bool = False

    def __post_init__(self) -> None:
        """Every field checked by name before anything loads: a bad value is an error, never a NaN run."""
        choices = {"mode": MODES, "report_to": REPORT_TO, "dtype": DTYPES, "mixed_precision": MIXED_PRECISION,
                   "sharding": ("none", "fsdp"), "eval_precision": (None, *MIXED_PRECISION),
                   "demo_source": ("batch", "outside", "shared")}  # fmt: skip
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"TrainConfig.{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.mixed_precision != "none" and self.dtype not in ("auto", "float32"):
            raise ValueError(
                f"TrainConfig.mixed_precision={self.mixed_precision} keeps fp32 master weights: dtype auto or float32"
            )
        if self.sharding == "fsdp" and self.merge_lora:
            raise ValueError(
                "TrainConfig.merge_lora with sharding=fsdp: save the adapter, then merge it in one process "
                "(EpicEncoder.from_pretrained(path).save_pretrained(out, merge_lora=True))"
            )
        for name, (low, high, low_open) in RANGES.items():
            value = getattr(self, name)  # the encoder's fields too (flat spelling)
            if value is None and name in OPTIONAL:
                continue
            bad = not math.isfinite(value) or value < low or (low_open and value == low)
            if bad or (high is not None and value >= high):
                bound = f"{'>' if low_open else '>='} {low}" + (f" and < {high}" if high is not None else "")
                raise ValueError(f"TrainConfig.{name} must be {bound}, got {value!r}")


# (lowest, highest exclusive or None, lowest excluded): every numeric field of TrainConfig
RANGES = {
    "seed": (0, None, False), "max_steps": (1, None, False), "batch_size": (1, None, False),
    "hard_negatives": (0, None, False), "temperature": (0, None, True), "temperature_lr": (0, None, True),
    "lr": (0, None, True), "warmup_steps": (0, None, False), "weight_decay": (0, None, False),
    "max_grad_norm": (0, None, False), "max_demos": (0, None, False), "demo_loss_weight": (0, None, False),
    "instruction_dropout": (0, 1, False), "lora_r": (1, None, False),
    "lora_alpha": (0, None, True), "lora_dropout": (0, 1, False), "train_top_layers": (1, None, False),
    "num_layers": (1, None, False), "query_max_length": (1, None, False), "passage_max_length": (1, None, False),
    "demo_max_length": (1, None, False), "grad_cache_chunk": (1, None, False), "save_every": (0, None, False),
    "log_every": (1, None, False), "eval_examples": (0, None, False), "eval_every": (0, None, False),
    "threads": (1, None, False), "length_groups": (1, None, False), "pooled_stats_examples": (2, None, False),
    "false_negative_margin": (0, 2, False),
}  # fmt: skip
OPTIONAL = {"train_top_layers", "num_layers", "grad_cache_chunk", "threads", "false_negative_margin"}
DTYPES = ("auto", "float32", "bfloat16", "float16")
# what a resumed run may change: the budget and the bookkeeping, never what defines the trajectory (the
# checkpoint holds the pooled statistics, wherever they came from)
CHANGEABLE_ON_RESUME = {"max_steps", "output", "model_dir", "save_every", "log_every", "eval_every", "eval_precision",
                        "report_to", "merge_lora", "resume", "threads", "quiet", "skip_bad_lines",
                        "length_groups", "pooled_stats_from"}  # fmt: skip


def resume_conflicts(saved: dict, current: TrainConfig) -> list[str]:
    """The fields that differ between a checkpoint's config and this run's, other than the changeable ones."""
    now = flat_dict(current)
    saved = {**{k: v for k, v in saved.items() if not isinstance(v, dict)}, **saved.get("encoder", {})}
    saved = {k: v for k, v in saved.items() if k not in TrainConfig.NESTED_HIDDEN}
    return [f"{k}: {saved[k]!r} in the checkpoint, {now[k]!r} now" for k in sorted(saved)
            if k in now and k not in CHANGEABLE_ON_RESUME and saved[k] != now[k]]  # fmt: skip
