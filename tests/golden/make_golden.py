"""Write the golden embeddings the redesign is held to (tests/test_golden.py).

Run from the repository root: ``python -m tests.golden.make_golden``. It saves two tiny epic models
(random 2-layer backbones with non-trivial projector and pooled statistics) into this folder and,
for them and for the untrained embedded default backbone, the embeddings of fixed texts in every
inference path as safetensors. Regenerate only when a change of numbers is intended.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from conftest import make_backbone_dir  # noqa: E402

from epic import EpicEncoder  # noqa: E402
from epic.data.examples import demo_task  # noqa: E402

# tiny models: (folder, EpicConfig overrides for the fresh backbone)
TINY = {
    "tiny-eol": dict(template="eol", pooled_stats="center", projection="linear", vectors_per_demo=2),
    "tiny-bge-pair": dict(template="bge", pooling="mean", pooled_stats="standardize", vectors_per_demo=1),
}


def cases(model: EpicEncoder) -> dict[str, torch.Tensor]:
    """Every inference path on the built-in example task."""
    task, queries, docs = demo_task()
    out = {
        "documents": model.encode_documents(docs),
        "zero_shot": model.encode_queries(queries, task=task, demo_mode="none"),
        "zero_shot_no_prefix": model.encode_queries(queries, task=task, demo_mode="none", prefix_cache=False),
        "fixed": model.encode_queries(queries, task=task, n_demos=3),
        "fixed_no_prefix": model.encode_queries(queries, task=task, n_demos=3, prefix_cache=False),
        "nearest": model.encode_queries(queries, task=task, n_demos=2, demo_selection="nearest"),
        "random": model.encode_queries(queries, task=task, n_demos=2, demo_selection="random", seed=1),
        "text": model.encode_queries(queries, task=task, n_demos=2, demo_mode="text"),
        "text_no_prefix": model.encode_queries(queries, task=task, n_demos=2, demo_mode="text", prefix_cache=False),
    }
    return {k: torch.from_numpy(v).contiguous() for k, v in out.items()}


def build_tiny(name: str, overrides: dict, scratch: Path) -> EpicEncoder:
    backbone = make_backbone_dir(scratch / f"{name}-backbone", seed=3)
    model = EpicEncoder.from_pretrained(backbone, device="cpu", **overrides)
    torch.manual_seed(5)
    with torch.no_grad():  # a projector and statistics away from their identity starting point
        for p in model.projector.parameters():
            p.add_(0.05 * torch.randn_like(p))
        task, queries, docs = demo_task()
        model.fit_pooled_stats(
            [model.prompts.query(q, task.instruction) for q in queries] + [model.prompts.document(d) for d in docs]
        )
    model.save_pretrained(HERE / name)
    return EpicEncoder.from_pretrained(HERE / name, device="cpu")


TRAIN_RUNS = {
    "epic": dict(mode="epic", lora_dropout=0.1),
    "epic-gradcache": dict(mode="epic", grad_cache_chunk=3),
    "text-icl": dict(mode="text-icl"),
    "contrastive-full": dict(mode="contrastive", lora=False, train_top_layers=1),
}


def train_run(name: str, scratch: Path) -> dict[str, torch.Tensor]:
    """Losses of 3 steps and the trained weights' final values (as a fixed random projection)."""
    from train_fixtures import write_train_set

    from epic.training.config import TrainConfig
    from epic.training.trainer import Trainer

    config = TrainConfig(
        model=str(HERE / "tiny-eol"), data=str(write_train_set(scratch / "data")), output=str(scratch / name),
        batch_size=4, max_steps=3, save_every=0, lr=1e-3, lora_r=4, lora_alpha=8, quiet=True, seed=0,
        max_demos=3, hard_negatives=2, **TRAIN_RUNS[name],
    )  # fmt: skip
    trainer = Trainer(config)
    losses: list[float] = []
    trainer.train(callback=lambda _t, record: losses.append(record["loss"]))
    out = {f"{name}/loss": torch.tensor(losses, dtype=torch.float64)}
    g = torch.Generator().manual_seed(0)
    for pname, p in sorted(trainer.model.named_parameters()):
        if p.requires_grad:  # a few numbers per tensor: small file, any change shows
            out[f"{name}/{pname}"] = p.detach().reshape(-1)[torch.randperm(p.numel(), generator=g)[:8]].clone()
    return out


def main() -> None:
    import tempfile

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as scratch:
        for name, overrides in TINY.items():
            save_file(cases(build_tiny(name, overrides, Path(scratch))), str(HERE / f"{name}.safetensors"))
        runs = {}
        for name in TRAIN_RUNS:
            runs.update(train_run(name, Path(scratch)))
        save_file(runs, str(HERE / "train.safetensors"))
    save_file(cases(EpicEncoder.from_pretrained(device="cpu")), str(HERE / "default-untrained.safetensors"))


if __name__ == "__main__":
    main()
