"""Atomic files and folders: a crash or a kill at any instant never leaves half a model or checkpoint.

A folder is written under a temporary sibling name (``.NAME.tmp-XXXX``) and swapped into place with
renames; the previous version is kept as ``.NAME.old-XXXX`` until the swap is done. A kill between the
two renames leaves no ``NAME`` but both siblings: :func:`recover_dir` puts the complete one back
(``complete_marker`` is the file written last, so its presence means the folder is whole).

:func:`cache_dir` is where epic keeps what it builds once and reuses (converted backbones, training sets).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back, under a lock)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def plain_mode(path: Path | str, folder: bool = False, umask: int | None = None) -> None:
    """Give a temporary file (0600) or folder (0700) the mode a plain write would have under the umask, so
    another user or a serving container of another uid can read what epic saved."""
    umask = current_umask() if umask is None else umask
    os.chmod(path, (0o777 if folder else 0o666) & ~umask)


def plain_tree(root: Path) -> None:
    """:func:`plain_mode` for a folder and everything in it (safetensors and some writers create 0600 files).

    Symbolic links are left alone: chmod would follow them, failing on a dangling one and changing the
    mode of a file outside the tree (unpacked Debian packages link into ``/usr/share/javascript``)."""
    umask = current_umask()  # read once for the tree, not twice a file
    plain_mode(root, folder=True, umask=umask)
    for folder, dirs, files in os.walk(root):
        for name, is_folder in [(d, True) for d in dirs] + [(f, False) for f in files]:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                plain_mode(path, folder=is_folder, umask=umask)


def cache_dir() -> Path:
    """Where epic keeps what it builds once (converted backbones, training sets): ``$EPIC_CACHE`` or
    ``~/.cache/epic``."""
    return Path(os.environ.get("EPIC_CACHE") or Path.home() / ".cache" / "epic")


@contextlib.contextmanager
def disk_errors(where: Path):
    """Let a full disk surface as an ``OSError`` naming ``where``: safetensors reports one as
    ``SafetensorError('Error while serializing: I/O error: No space left on device (os error 28)')``."""
    try:
        yield
    except OSError:
        raise
    except Exception as e:
        found = re.search(r"I/O error: (.*) \(os error (\d+)\)", str(e))
        if found is None:
            raise
        raise OSError(int(found.group(2)), found.group(1), str(where)) from e


def atomic_dir(target: Path) -> Path:
    """A new temporary sibling folder of ``target``, to fill and then :func:`replace_dir` into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))


def replace_dir(tmp: Path, target: Path) -> None:
    """Swap the fully written ``tmp`` into ``target``; the old version is removed once it is out of the way."""
    plain_tree(tmp)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _siblings(target: Path, kind: str) -> list[Path]:
    found = target.parent.glob(f".{target.name}.{kind}-*") if target.parent.is_dir() else []
    return sorted((p for p in found if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)


def recover_dir(target: Path, complete_marker: str) -> bool:
    """Make ``target`` whole after a kill mid-swap; remove stale temporary siblings. Returns whether
    ``target`` is complete afterwards.

    If ``target`` lacks ``complete_marker``, the newest complete ``.tmp-`` (the version being saved) or
    else ``.old-`` sibling (the previous one) takes its place. Incomplete leftovers are deleted.
    """
    if not (target / complete_marker).is_file():
        for candidate in _siblings(target, "tmp") + _siblings(target, "old"):
            if (candidate / complete_marker).is_file():
                if target.exists():
                    shutil.rmtree(target)
                os.replace(candidate, target)
                break
    for stale in _siblings(target, "tmp") + _siblings(target, "old"):
        shutil.rmtree(stale, ignore_errors=True)
    return (target / complete_marker).is_file()


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary sibling and a rename: never half a file."""
    write_bytes_atomic(path, lambda fh: fh.write(text.encode()))


def write_bytes_atomic(path: Path, write) -> None:
    """``write(file)`` into a temporary sibling, then rename it to ``path``: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        plain_mode(tmp)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
