"""Why an untrained backbone ranks positives below negatives: pooling x centring x temperature.

Encodes held-out examples of each training task (queries instructed, positives and one hard negative
as documents) with a model, pools the last hidden states three ways (last token, mean, position-weighted
mean), optionally centres or standardises the pooled vectors with statistics fitted on *training*
documents (never on the examples scored), and prints per task: InfoNCE at two temperatures over
batches of 16 (chance ln 32), top-1 accuracy, mean pairwise cosine of the documents, the share of the
squared norm in the 3 largest dimensions, and how often the hard negative outscores the positive.

    python benchmarks/diagnose.py [--model PATH] [--template bge|eol] [--per-task 48] [--threads 2]

Statistics are fitted as the library fits them (``pooled_stats``): on training queries (instructed) and
their positives, a sample disjoint from the scored examples.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F

from epic import EpicEncoder
from epic.data.build import default_train_data
from epic.data.train_data import load_train_data
from epic.encoder.prompt import pad_batch


def hidden_states(model: EpicEncoder, prompts, batch_size: int = 16):
    """Per prompt: (T, d) last hidden states of its real tokens."""
    out = []
    with torch.no_grad():
        for s in range(0, len(prompts), batch_size):
            batch = pad_batch(prompts[s : s + batch_size], model.prompts.pad_id, "right")
            h = model.backbone(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], position_ids=batch["position_ids"]
            ).last_hidden_state.float()
            for row, n in enumerate(batch["attention_mask"].sum(1).tolist()):
                out.append(h[row, :n])
    return out


def pool(states, how: str) -> torch.Tensor:
    rows = []
    for h in states:
        if how == "last":
            rows.append(h[-1])
        elif how == "mean":
            rows.append(h[1:].mean(0))  # without the BOS attention sink
        else:  # position-weighted mean (SGPT): later tokens have seen more of the text
            w = torch.arange(1, h.shape[0], dtype=h.dtype)
            rows.append((h[1:] * w[:, None]).sum(0) / w.sum())
    return torch.stack(rows)


def transform(x: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor] | None, how: str) -> torch.Tensor:
    if how == "raw":
        return x
    mean, std = stats
    return (x - mean) if how == "centre" else (x - mean) / std


def scores(q, p, n, temperature: float, batch: int = 16) -> tuple[float, float, float]:
    """Mean InfoNCE, top-1 accuracy, share of queries whose hard negative beats the positive."""
    losses, hits, flips = [], [], []
    for s in range(0, len(q) - batch + 1, batch):
        qs, ps, ns = (F.normalize(t[s : s + batch], dim=-1) for t in (q, p, n))
        logits = qs @ torch.cat([ps, ns]).T / temperature
        labels = torch.arange(batch)
        losses.append(F.cross_entropy(logits, labels).item())
        hits.append((logits.argmax(1) == labels).float().mean().item())
        flips.append(((qs * ns).sum(-1) > (qs * ps).sum(-1)).float().mean().item())
    return float(np.mean(losses)), float(np.mean(hits)), float(np.mean(flips))


def geometry(d: torch.Tensor) -> tuple[float, float]:
    u = F.normalize(d, dim=-1)
    cos = u @ u.T
    n = len(u)
    pairwise = ((cos.sum() - n) / (n * (n - 1))).item()
    sq = d.pow(2)
    top3 = (sq.topk(3, dim=-1).values.sum(-1) / sq.sum(-1)).mean().item()
    return pairwise, top3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--template", default="bge", choices=["bge", "eol"])
    ap.add_argument("--per-task", type=int, default=48)
    ap.add_argument("--fit-texts", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = EpicEncoder.from_pretrained(args.model, device="cpu", template=args.template)
    data = load_train_data(default_train_data())
    rng = np.random.default_rng(0)
    by_task: dict[str, list] = {}
    for ex in data.examples:
        by_task.setdefault(ex.task, []).append(ex)
    fit = rng.choice(data.examples, args.fit_texts, replace=False)
    fit_prompts = [model.prompts.query(ex.query, data.tasks[ex.task].instruction, limit=48) for ex in fit]
    fit_prompts += [model.prompts.document(ex.pos[0], limit=64) for ex in fit]
    fit_states = hidden_states(model, fit_prompts)
    print("| task | pooling | vector | loss τ.02 | loss τ.05 | top-1 | neg>pos | doc pairwise cos | top-3 share |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, examples in sorted(by_task.items()):
        task = data.tasks[name].as_task()
        picked = [examples[i] for i in rng.choice(len(examples), args.per_task, replace=False)]
        qs = hidden_states(model, [model.prompts.query(ex.query, task.instruction, limit=48) for ex in picked])
        ps = hidden_states(model, [model.document_prompt(ex.pos[0], task, 64) for ex in picked])
        negs = [ex.neg[0] if ex.neg else examples[(i * 7919) % len(examples)].pos[0] for i, ex in enumerate(picked)]
        ns = hidden_states(model, [model.document_prompt(t, task, 64) for t in negs])
        for how in ("last", "mean", "wmean"):
            fit = pool(fit_states, how)
            stats = (fit.mean(0), fit.std(0) + 1e-6)
            for vec in ("raw", "centre", "standard"):
                q, p, n = (transform(pool(s, how), stats, vec) for s in (qs, ps, ns))
                l02, top1, flips = scores(q, p, n, 0.02)
                l05, _, _ = scores(q, p, n, 0.05)
                pw, top3 = geometry(torch.cat([p, n]))
                cells = [name, how, vec] + [f"{x:.2f}" for x in (l02, l05, top1, flips, pw, top3)]
                print("| " + " | ".join(cells) + " |")
    print(f"\nchance: ln 32 = {math.log(32):.2f}")


if __name__ == "__main__":
    main()
