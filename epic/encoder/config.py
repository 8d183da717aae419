"""EpicConfig: everything that defines how a model turns text into an embedding (saved with it)."""

from __future__ import annotations

from dataclasses import dataclass

from .backbone import DEFAULT_BACKBONE
from .inject import PROJECTIONS
from .pooling import POOLED_STATS, POOLINGS
from .prompt import TEMPLATES

DEMO_MODES = ("embedding", "text", "none")
DEMO_SELECTIONS = ("fixed", "nearest", "random")
CONFIG_FILE = "epic_config.json"
DEFAULT_INSTRUCTION = "Given a query, retrieve relevant passages"  # for queries without a task
# what defines the weights' meaning: fixed once a model is trained (inference fields may change on load)
ARCHITECTURE_FIELDS = ("num_layers", "pooling", "pooled_stats", "vectors_per_demo", "projection", "center",
                       "demo_markers", "template")  # fmt: skip
# generic sentences whose mean embedding direction is the projector's centre for ``center=True``
CALIBRATION_TEXTS = [
    "The weather today is sunny with a light breeze.",
    "How do I reset my password?",
    "The committee approved the new budget on Tuesday.",
    "A cat is sleeping on the windowsill.",
    "Photosynthesis converts light energy into chemical energy.",
    "What is the capital of Australia?",
    "The film was long, but the ending made it worth it.",
    "Stocks fell sharply after the announcement.",
    "Add two cups of flour and stir gently.",
    "The team won the championship in overtime.",
    "an instrument used for measuring temperature",
    "She walked to the station in the rain.",
    "Python is a popular programming language.",
    "The museum opens at nine in the morning.",
    "a large body of salt water",
    "Why is the sky blue?",
]


@dataclass
class EpicConfig:
    """Everything that defines how a model turns text into an embedding (saved with the model)."""

    backbone: str = DEFAULT_BACKBONE  # "default", a local HF folder, or "backbone" (inside the saved model)
    num_layers: int | None = None  # keep only the first L decoder layers (CPU-efficient option)
    pooling: str = "last"  # last | mean | wmean (position-weighted mean, SGPT)
    pooled_stats: str = "none"  # none | center | standardize, with statistics fitted on training text
    normalize: bool = True
    max_length: int = 512  # tokens of the user's text
    demo_max_length: int = 256  # tokens of each demonstration query / response in text mode
    vectors_per_demo: int = 2  # 2: query and response vectors; 1: the whole formatted pair
    projection: str = "rescale"  # rescale | linear | mlp
    center: bool = False
    demo_markers: bool = True
    template: str = "bge"  # bge (bge-en-icl text format, pooled at EOS) | eol (PromptEOL, see prompt.py)
    padding_side: str = "left"
    n_demos: int = 3  # default demonstrations per query when a task has them
    demo_mode: str = "embedding"  # embedding | text | none
    demo_selection: str = "fixed"  # fixed | nearest | random
    lora: bool = False  # whether the saved weights are a LoRA adapter over ``backbone``
    fingerprint: str = ""  # identity of the weights, keys the demonstration cache

    def __post_init__(self) -> None:
        checks = {
            "pooling": POOLINGS,
            "template": TEMPLATES,
            "pooled_stats": POOLED_STATS,
            "projection": PROJECTIONS,
            "padding_side": ("left", "right"),
            "demo_mode": DEMO_MODES,
            "demo_selection": DEMO_SELECTIONS,
            "vectors_per_demo": (1, 2),
        }
        for name, allowed in checks.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"EpicConfig.{name} must be one of {allowed}, got {getattr(self, name)!r}")
