"""``epic train`` and ``epic plan`` (the memory a training run needs)."""

from __future__ import annotations

import argparse
import sys

from ..utils.config_io import add_dataclass_flags, dataclass_from_args


def cmd_train(args: argparse.Namespace) -> None:
    from ..training.config import TrainConfig
    from ..training.trainer import Trainer

    config = dataclass_from_args(TrainConfig, args, args.config)
    if not config.data:
        raise FileNotFoundError("no training data: pass --data FILE_OR_DIR (build one with `epic data build`)")
    path = Trainer(config).train()
    print(f"saved the trained model to {path}", file=sys.stderr)


def cmd_plan(args: argparse.Namespace) -> None:
    from ..training.config import TrainConfig
    from ..training.plan import plan_table
    from ..utils.config_io import load_yaml

    config = load_yaml(TrainConfig, args.config) if args.config else TrainConfig()
    print(plan_table(args.model, config, args.gpus, args.gpu_memory))


def register(sub) -> None:
    from ..training.config import TrainConfig

    p = sub.add_parser("train", help="train an EPIC, text-ICL or contrastive model")
    p.add_argument("--config", help="YAML file of TrainConfig fields; flags override it")
    add_dataclass_flags(p, TrainConfig)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("plan", help="per-GPU memory of a training run, replicated vs FSDP, and whether it fits")
    p.add_argument("--model", required=True, help="a model folder or its config.json (only the shape is read)")
    p.add_argument("--gpus", type=int, default=8)
    p.add_argument("--gpu-memory", type=float, default=80, help="GB per GPU")
    p.add_argument("--config", help="the run's YAML (TrainConfig); default: the library's defaults")
    p.set_defaults(func=cmd_plan)
