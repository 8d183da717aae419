"""The ``epic`` command line: encode | demo | info | data | train | plan | eval | serve | bench | quickstart.

One module a group of commands, each with a ``register(subparsers)`` that adds its parsers. Every field
of a config dataclass is a flag (``--max-steps 10``) that overrides the YAML file given with
``--config`` (:mod:`epic.utils.config_io`). This is the top layer: it may import every other part of
the package, and nothing imports it.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..utils.allocator import fix_mmap_threshold
from ..utils.config_io import ConfigError
from . import bench, data, encode, evaluate, quickstart, serve, train

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

COMMAND_GROUPS = (encode, data, train, evaluate, serve, bench, quickstart)


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(prog="epic", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"epic {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Run one ``epic`` command; bad input ends with its message and exit status 2, not a traceback."""
    from ..data.tasks import DataError
    from ..training.stopping import TrainingInterrupted

    args = build_parser().parse_args(argv)
    fix_mmap_threshold()  # freed activation buffers go back to the system (epic.utils.allocator)
    try:
        args.func(args)
    except (DataError, ConfigError, FileNotFoundError, FileExistsError, ValueError) as e:
        print(f"epic {args.command}: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except TrainingInterrupted as e:
        print(f"epic {args.command}: {e}", file=sys.stderr)
        raise SystemExit(e.exit_code) from None
    except OSError as e:  # a full disk, a read-only or vanished folder: the system's words and the path
        where = f": {e.filename}" if e.filename else ""
        print(f"epic {args.command}: error: {e.strerror or e}{where}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        print(f"epic {args.command}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
