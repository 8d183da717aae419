"""The ``epic`` command line: encode | demo | data | train | eval | serve | bench | quickstart | info | plan.

Every field of a config dataclass is a flag (``--max-steps 10``) that overrides the YAML file given
with ``--config`` (:mod:`epic.config_io`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .builddata import DEFAULT_MAX_PER_TASK
from .config_io import ConfigError, add_dataclass_flags, dataclass_from_args

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def cmd_encode(args: argparse.Namespace) -> None:
    import numpy as np

    from .data import pick_task, read_inputs
    from .io import write_bytes_atomic
    from .model import EpicEncoder

    out = Path(args.output)
    if out.suffix != ".npy":  # as np.save names it
        out = out.with_name(out.name + ".npy")
    if out.is_dir():
        raise FileExistsError(f"--output {out} is a folder")
    texts = read_inputs(args.input)
    task = pick_task(args.task_file, args.task)
    model = EpicEncoder.from_pretrained(args.model, device=args.device)
    kw = dict(task=task, batch_size=args.batch_size, show_progress=not args.quiet)
    if args.documents:
        emb = model.encode_documents(texts, **kw)
    else:
        emb = model.encode_queries(texts, instruction=args.instruction, n_demos=args.n_demos, demo_mode=args.demo_mode,
                                   demo_selection=args.demo_selection, **kw)  # fmt: skip
    write_bytes_atomic(out, lambda fh: np.save(fh, emb, allow_pickle=False))
    print(f"wrote {emb.shape[0]} embeddings of dimension {emb.shape[1]} to {args.output}", file=sys.stderr)


def cmd_demo(args: argparse.Namespace) -> None:
    """Encode a few sentences with and without demonstrations and print their similarities."""
    from .examples import demo_task
    from .model import EpicEncoder

    model = EpicEncoder.from_pretrained(args.model, device=args.device)
    task, queries, docs = demo_task()
    D = model.encode_documents(docs)
    print(f"model: {args.model or 'embedded default (SmolLM2-135M-Instruct)'}\ntask: {task.instruction}\n")
    for mode, k in (("none", 0), ("embedding", 3), ("text", 3)):
        Q = model.encode_queries(queries, task=task, demo_mode=mode, n_demos=k)
        S = Q @ D.T
        hits = sum(int(S[i].argmax() == i) for i in range(len(queries)))
        print(f"demo_mode={mode:9s} k={k}  top-1 {hits}/{len(queries)}  similarity to the right document:")
        for i, q in enumerate(queries):
            print(f"    {S[i, i]:+.3f}  (best other {max(S[i, j] for j in range(len(docs)) if j != i):+.3f})  {q}")


def cmd_data_build(args: argparse.Namespace) -> None:
    from .builddata import build

    manifest = build(args.output, args.max_per_task, args.seed, tuple(filter(None, args.extra_sources.split(","))))
    total = sum(t["examples"] for t in manifest["tasks"].values())
    for name, t in manifest["tasks"].items():
        print(f"{name:18s} {t['examples']:>7,d} examples  ({t['type']})")
    print(f"wrote {total:,d} examples in {len(manifest['tasks'])} tasks to {args.output}")


def cmd_train(args: argparse.Namespace) -> None:
    from .train import TrainConfig, Trainer

    config = dataclass_from_args(TrainConfig, args, args.config)
    if not config.data:
        raise FileNotFoundError("no training data: pass --data FILE_OR_DIR (build one with `epic data build`)")
    path = Trainer(config).train()
    print(f"saved the trained model to {path}", file=sys.stderr)


def cmd_eval(args: argparse.Namespace) -> None:
    from .evaluation.run import evaluate_specs, record_in_model_cards, specs_for

    modes = args.demo_mode or ["none", "embedding", "text"]
    specs = [s for m in (args.model or ["default"]) for s in specs_for(m, modes, args.n_demos, args.demo_selection)]
    tasks = [t for group in (args.tasks or []) for t in group.split(",") if t]
    scores = evaluate_specs(specs, args.output, args.suite, tasks or None, args.scale, args.examples_dir,
                            args.batch_size, mixed_precision=args.mixed_precision)  # fmt: skip
    if not tasks and args.scale == 1:  # the whole suite at its standard size: worth a line in the model card
        record_in_model_cards(specs, scores, args.suite)
    print((Path(args.output) / "summary.md").read_text())
    print(f"wrote mteb results and summary.md / summary.png to {args.output}")


def cmd_serve(args: argparse.Namespace) -> None:
    from .serve import ServeConfig, serve

    config = dataclass_from_args(ServeConfig, args, None)
    serve(args.model, args.tasks, args.host, args.port, config)


def _benchmark(name: str):
    """A script of ``benchmarks/`` (a source checkout's, not part of the installed library)."""
    import importlib

    folder = Path(__file__).resolve().parent.parent / "benchmarks"
    if not (folder / f"{name}.py").is_file():
        raise FileNotFoundError(f"epic bench runs benchmarks/{name}.py of a source checkout; {folder} has none")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(name)


def cmd_bench(args: argparse.Namespace) -> None:
    if args.what == "encode":
        bench = _benchmark("encode_speed")
        print(bench.encode_speed(args.model, args.queries, args.k, args.batch_size, args.threads, args.repeats))
    elif args.what == "train":
        from .builddata import default_train_data

        lengths = dict(
            lora_r=args.lora_r, lora_alpha=2 * args.lora_r, query_max_length=args.query_max_length,
            passage_max_length=args.passage_max_length, demo_max_length=args.demo_max_length,
        )  # fmt: skip
        data = str(default_train_data())
        bench = _benchmark("train_speed")
        print(bench.train_speed(args.model, args.batch_size, args.k, args.repeats, args.threads, data, **lengths))
    else:
        levels = [int(x) for x in args.levels.split(",")]
        print(_benchmark("serve_load").load_test(args.model, args.threads, levels, args.requests))


def cmd_info(args: argparse.Namespace) -> None:
    from .card import facts

    rows = facts(args.path)
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        print(f"{key:<{width}}  {value}")


def cmd_quickstart(args: argparse.Namespace) -> None:
    from .quickstart import QuickstartConfig, run_quickstart

    config = dataclass_from_args(QuickstartConfig, args, None)
    table = run_quickstart(config)
    print(table)
    out = config.output
    print(f"\nreport: {out}/report.md and report.png; models: {out}/model, {out}/baseline")


def _add_data(sub) -> None:
    p = sub.add_parser("data", help="build the default training set from the installed dictionaries")
    dsub = p.add_subparsers(dest="data_command", required=True)
    b = dsub.add_parser("build", help="write the WordNet/GCIDE/FOLDOC training tasks as JSONL")
    b.add_argument("--output", default="data/train", type=Path)
    b.add_argument("--extra-sources", default="foldoc", help="comma-separated: foldoc, jargon, devil (or '')")
    b.add_argument("--max-per-task", type=int, default=DEFAULT_MAX_PER_TASK)
    b.add_argument("--seed", type=int, default=0)
    b.set_defaults(func=cmd_data_build)


def _add_eval(sub) -> None:
    p = sub.add_parser("eval", help="evaluate models on the offline suite or mteb tasks")
    p.add_argument("--model", action="append", help="epic model, HF/ST folder, 'default', 'minilm', 'random'")
    p.add_argument("--suite", choices=["offline", "mteb"], default="offline")
    p.add_argument("--tasks", action="append", help="task names (comma-separated or repeated)")
    p.add_argument("--demo-mode", action="append", choices=["none", "embedding", "text"])
    p.add_argument("--n-demos", type=int, default=3)
    p.add_argument("--demo-selection", choices=["fixed", "nearest", "random"], default="fixed")
    p.add_argument("--examples-dir", help="folder of <TaskName>.jsonl demonstration files (for mteb tasks)")
    p.add_argument("--scale", type=int, default=1, help="multiply the offline suite's test sizes")
    p.add_argument("--mixed-precision", choices=["none", "bf16", "auto"], default="none", help="bf16 matmuls")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--output", default="runs/eval")
    p.set_defaults(func=cmd_eval)


def _add_serve(sub) -> None:
    from .serve import ServeConfig

    p = sub.add_parser("serve", help="serve embeddings over HTTP (OpenAI-compatible)")
    p.add_argument("--model", default=None, help="saved epic model (default: the embedded backbone)")
    p.add_argument("--tasks", help="YAML task file: instructions and demonstrations, registered at start-up")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    add_dataclass_flags(p, ServeConfig)
    p.set_defaults(func=cmd_serve)


def _add_bench(sub) -> None:
    p = sub.add_parser("bench", help="speed benchmarks: encode | train | serve (print a table)")
    p.add_argument("what", choices=["encode", "train", "serve"])
    p.add_argument("--model", default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--queries", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3, help="encode: timed repeats; train: timed steps")
    p.add_argument("--requests", type=int, default=64, help="serve: requests per concurrency level")
    p.add_argument("--levels", default="1,4,16,32", help="serve: concurrency levels")
    p.add_argument("--lora-r", type=int, default=16, help="train: LoRA rank")
    p.add_argument("--query-max-length", type=int, default=64, help="train")
    p.add_argument("--passage-max-length", type=int, default=128, help="train")
    p.add_argument("--demo-max-length", type=int, default=128, help="train: text-ICL demo tokens per side")
    p.set_defaults(func=cmd_bench)


def _add_quickstart(sub) -> None:
    from .quickstart import QuickstartConfig

    p = sub.add_parser("quickstart", help="the main job: data, train EPIC and baseline, evaluate, report")
    add_dataclass_flags(p, QuickstartConfig)
    p.set_defaults(func=cmd_quickstart)


def _add_info(sub) -> None:
    p = sub.add_parser("info", help="what a saved model folder is: base, weights, pooling, training, demo cache")
    p.add_argument("path")
    p.set_defaults(func=cmd_info)


def _add_train(sub) -> None:
    from .train_config import TrainConfig

    p = sub.add_parser("train", help="train an EPIC, text-ICL or contrastive model")
    p.add_argument("--config", help="YAML file of TrainConfig fields; flags override it")
    add_dataclass_flags(p, TrainConfig)
    p.set_defaults(func=cmd_train)


def cmd_plan(args: argparse.Namespace) -> None:
    from .config_io import load_yaml
    from .plan import plan_table
    from .train_config import TrainConfig

    config = load_yaml(TrainConfig, args.config) if args.config else TrainConfig()
    print(plan_table(args.model, config, args.gpus, args.gpu_memory))


def _add_plan(sub) -> None:
    p = sub.add_parser("plan", help="per-GPU memory of a training run, replicated vs FSDP, and whether it fits")
    p.add_argument("--model", required=True, help="a model folder or its config.json (only the shape is read)")
    p.add_argument("--gpus", type=int, default=8)
    p.add_argument("--gpu-memory", type=float, default=80, help="GB per GPU")
    p.add_argument("--config", help="the run's YAML (TrainConfig); default: the library's defaults")
    p.set_defaults(func=cmd_plan)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="epic", description=__doc__)
    parser.add_argument("--version", action="version", version=f"epic {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("encode", help="embed texts from a file into a .npy array")
    p.add_argument("--model", default=None, help="saved epic model or HF decoder folder (default: embedded)")
    p.add_argument("--input", required=True, help="a .txt (one text per line) or .jsonl ({'text': ...})")
    p.add_argument("--output", required=True, help="where to write the (N, d) float32 array (.npy)")
    p.add_argument("--task-file", help="YAML task file: instruction and demonstrations")
    p.add_argument("--task", help="task name within --task-file")
    p.add_argument("--instruction", help="instruction when no task file is given")
    p.add_argument("--documents", action="store_true", help="encode as documents (no instruction, no demos)")
    p.add_argument("--n-demos", type=int, default=None)
    p.add_argument("--demo-mode", choices=["embedding", "text", "none"], default=None)
    p.add_argument("--demo-selection", choices=["fixed", "nearest", "random"], default=None)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", default=None)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_encode)

    p = sub.add_parser("demo", help="encode a few sentences with and without demonstrations")
    p.add_argument("--model", default=None)
    p.add_argument("--device", default=None)
    p.set_defaults(func=cmd_demo)

    for add in (_add_data, _add_train, _add_eval, _add_serve, _add_bench, _add_quickstart, _add_info, _add_plan):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    from .data import DataError

    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (DataError, ConfigError, FileNotFoundError, FileExistsError, ValueError) as e:
        print(f"epic {args.command}: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print(f"epic {args.command}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
