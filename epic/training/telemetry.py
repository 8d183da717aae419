"""Where a run's learning curve goes: ``train_log.jsonl`` and, optionally, TensorBoard scalars.

Step lines carry the loss and the per-step health signals (gradient norm before clipping, logit scale,
positive / hardest-negative / pairwise cosine, top-3 share of the pooled vectors); validation lines
carry ``eval_loss`` (mean over tasks) and ``eval_loss/<task>``. Both have ``step``, so a resumed run
drops the lines of steps after its checkpoint and the curve continues where it was.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from ..utils.io import write_text_atomic


class RunLog:
    """Appends records to ``folder/train_log.jsonl`` (and TensorBoard when ``report_to`` asks)."""

    def __init__(self, folder: Path, report_to: str = "none", enabled: bool = True):
        self.path = folder / "train_log.jsonl"
        self.enabled = enabled
        self.writer = None
        if enabled and report_to == "tensorboard":
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as e:  # pragma: no cover - depends on the environment
                raise RuntimeError("--report-to tensorboard needs the package: pip install tensorboard") from e
            self.writer = SummaryWriter(str(folder / "tensorboard"))

    def write(self, record: dict) -> None:
        if not self.enabled:
            return
        with self.path.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        if self.writer is not None:
            prefix = "eval" if "eval_loss" in record else "train"
            for key, value in record.items():
                if key != "step" and isinstance(value, (int, float)) and math.isfinite(value):
                    name = key if "/" in key or key.startswith("eval") else f"{prefix}/{key}"
                    self.writer.add_scalar(name, value, record["step"])
            self.writer.flush()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def read_log(path: Path) -> tuple[list[dict], list[dict]]:
    """(step records, validation records) of a ``train_log.jsonl``."""
    steps, evals = [], []
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                (evals if "eval_loss" in rec else steps).append(rec)
    return steps, evals


def curve_summary(evals: list[dict]) -> str:
    """``eval_loss a -> b (x r, max x m)``: the end and the worst point against step 0."""
    if not evals:
        return "no validation curve"
    first, last = evals[0]["eval_loss"], evals[-1]["eval_loss"]
    worst = max(r["eval_loss"] for r in evals)
    return f"validation loss {first:.3f} -> {last:.3f} (x{last / first:.2f} of step 0; highest x{worst / first:.2f})"


def plot_learning_curves(runs: dict[str, Path], path: Path, title: str = "learning curves") -> None:
    """Validation loss and the per-step health signals of each run folder, one panel each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("eval_loss", "validation loss (zero-shot)"),
        ("loss", "training loss"),
        ("grad_norm", "grad norm"),
        ("pairwise_cos", "pairwise cosine"),
        ("pos_cos", "positive cosine"),
        ("top3_share", "top-3 share"),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5))
    for (key, label), ax in zip(panels, axes.flat):
        for name, folder in runs.items():
            steps, evals = read_log(folder / "train_log.jsonl")
            rows = evals if key == "eval_loss" else steps
            pts = [(r["step"], r[key]) for r in rows if key in r]
            if pts:
                ax.plot(*zip(*pts), marker="o" if key == "eval_loss" else None, ms=3, label=name)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("step", fontsize=8)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def truncate_log(path: Path, step: int) -> None:
    """Keep the lines of steps up to ``step`` (a resumed run redoes the rest). A line the killed run left
    half-written is dropped with a warning that names the file, never an abort."""
    keep = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            print(f"epic train: {path}:{lineno}: dropping an unreadable (half-written) log line", file=sys.stderr)
            continue
        if isinstance(rec, dict) and rec.get("step", step + 1) <= step:
            keep.append(line)
    write_text_atomic(path, "".join(ln + "\n" for ln in keep))
