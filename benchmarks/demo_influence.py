"""What in-batch demonstrations do to a query's embedding: on the training validation batches (fixed
in-batch demonstrations, as the learning curve scores them), the change of the query's cosine, from
zero-shot to with demonstrations, towards its own positive, towards its demonstrations' positives
(which are candidates, and always negatives for it) and towards the other candidates (docs/study.md
§8h). A model that reads its demonstrations' content moves towards them; one that exploits them as
known negatives moves away; one that ignores them moves towards nothing.

    python benchmarks/demo_influence.py --model runs/fol/epic-fol-s43/model
    python benchmarks/demo_influence.py   # the untrained start (eol, centred), as training begins
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from epic.data.build import default_train_data
from epic.recipes.quickstart import CPU_RECIPE
from epic.training.config import TrainConfig
from epic.training.trainer import Trainer
from epic.utils.config_io import from_dict


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help="a saved EPIC model; none = the default backbone, untrained")
    p.add_argument("--out", default="runs/demo-influence")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    cfg = from_dict(TrainConfig, {
        **CPU_RECIPE, "data": str(default_train_data()), "batch_size": 16, "output": a.out, "quiet": True,
        "mode": "epic", "model": a.model,
    })  # fmt: skip
    trainer = Trainer(cfg)  # the validation batches and the fitted statistics, as a run would start
    trainer.model.eval()
    print("| task | own positive | demonstrations' positives | other candidates |\n|---|---|---|---|")
    every: list[torch.Tensor] = []
    with torch.no_grad():
        for task, batches in sorted(trainer.validation.items()):
            rows = []
            for batch in batches:
                inp = trainer.objective.prepare(batch)
                E, QI = trainer.objective.forward(inp)
                q0, pos, _ = trainer.objective.split_base(E, inp)
                q0, pos, QI = (F.normalize(x, dim=-1) for x in (q0, pos, QI))
                for r, i in enumerate(inp.icl_rows):
                    delta = QI[r] @ pos.T - q0[i] @ pos.T
                    demos = batch.demos[i]
                    others = [m for m in range(len(pos)) if m != i and m not in demos]
                    rows.append(torch.stack([delta[i], delta[demos].mean(), delta[others].mean()]))
            m = torch.stack(rows).mean(0)
            every += rows
            print(f"| {task} | {m[0]:+.3f} | {m[1]:+.3f} | {m[2]:+.3f} |")
    m = torch.stack(every).mean(0)
    print(f"| **all** | **{m[0]:+.3f}** | **{m[1]:+.3f}** | **{m[2]:+.3f}** |")


if __name__ == "__main__":
    main()
