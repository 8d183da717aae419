"""Commands that use a model: ``epic encode``, ``epic demo`` and ``epic info``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_encode(args: argparse.Namespace) -> None:
    import numpy as np

    from ..data.tasks import pick_task, read_inputs
    from ..encoder.model import EpicEncoder
    from ..utils.io import write_bytes_atomic

    given = Path(args.output)
    out = given if given.suffix == ".npy" else given.with_name(given.name + ".npy")  # as np.save names it
    for path in {given, out}:
        if path.is_dir():
            example = path / "embeddings.npy"
            raise FileExistsError(f"--output {path} is a folder: name the file to write, e.g. {example}")
    if args.task and not args.task_file:
        raise ValueError("--task names a task of a --task-file: give the file too")
    if not args.documents and not args.task_file and not (args.instruction or "").strip():
        raise ValueError("queries need an instruction: give --task-file (and --task), or --instruction TEXT; "
                         "or pass --documents to encode documents, which take none")  # fmt: skip
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
    print(f"wrote {emb.shape[0]} embeddings of dimension {emb.shape[1]} to {out}", file=sys.stderr)


def cmd_demo(args: argparse.Namespace) -> None:
    """Encode a few sentences with and without demonstrations and print their similarities."""
    from ..data.examples import demo_task
    from ..encoder.model import EpicEncoder

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


def cmd_info(args: argparse.Namespace) -> None:
    from ..encoder.card import facts

    rows = facts(args.path)
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        print(f"{key:<{width}}  {value}")


def register(sub) -> None:
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

    p = sub.add_parser("info", help="what a saved model folder is: base, weights, pooling, training, demo cache")
    p.add_argument("path")
    p.set_defaults(func=cmd_info)
