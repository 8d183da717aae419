"""The ``epic`` command line: train | encode | eval | serve | bench | quickstart | data | demo."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _read_inputs(path: Path) -> list[str]:
    """One text per line (.txt) or ``{"text": ...}`` per line (.jsonl)."""
    from .data import DataError, iter_jsonl, read_lines

    if path.suffix == ".jsonl":
        out = []
        for lineno, obj in iter_jsonl(path):
            if not isinstance(obj.get("text"), str):
                raise DataError(f"{path}:{lineno}: field 'text' is missing or not a string")
            out.append(obj["text"])
        return out
    return [line.rstrip("\r\n") for _, line in read_lines(path) if line.strip()]


def _pick_task(task_file: str | None, name: str | None):
    from .data import DataError, load_tasks

    if not task_file:
        return None
    tasks = load_tasks(task_file)
    if name is None:
        if len(tasks) > 1:
            raise DataError(f"{task_file}: holds {len(tasks)} tasks; choose one with --task {sorted(tasks)}")
        return next(iter(tasks.values()))
    if name not in tasks:
        raise DataError(f"{task_file}: no task named {name!r}; tasks: {sorted(tasks)}")
    return tasks[name]


def cmd_encode(args: argparse.Namespace) -> None:
    import numpy as np

    from .model import EpicEncoder

    out = Path(args.output)
    if out.suffix != ".npy":  # as np.save names it
        out = out.with_name(out.name + ".npy")
    if out.is_dir():
        raise FileExistsError(f"--output {out} is a folder")
    texts = _read_inputs(Path(args.input))
    task = _pick_task(args.task_file, args.task)
    model = EpicEncoder.from_pretrained(args.model, device=args.device)
    if args.documents:
        emb = model.encode_documents(texts, task=task, batch_size=args.batch_size, show_progress=not args.quiet)
    else:
        emb = model.encode_queries(
            texts,
            task=task,
            instruction=args.instruction,
            n_demos=args.n_demos,
            demo_mode=args.demo_mode,
            demo_selection=args.demo_selection,
            batch_size=args.batch_size,
            show_progress=not args.quiet,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.tmp-", suffix=".npy", delete=False) as fh:
        np.save(fh, emb, allow_pickle=False)
    os.replace(fh.name, out)  # atomic: a crash never leaves half an array under the output name
    print(f"wrote {emb.shape[0]} embeddings of dimension {emb.shape[1]} to {args.output}", file=sys.stderr)


def cmd_demo(args: argparse.Namespace) -> None:
    """Encode a few sentences with and without demonstrations and print their similarities."""
    from .model import EpicEncoder
    from .quick import demo_task

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

    for register in _extensions():
        register(sub)
    return parser


def _extensions():
    """Sub-commands that live next to the code they drive."""
    from . import commands

    return commands.REGISTER


def main(argv: list[str] | None = None) -> None:
    from .config_io import ConfigError
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
