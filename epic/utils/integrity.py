"""Damaged files are named before anything deep reads them.

A half-copied download, a full disk elsewhere or a flipped bit in a header make the libraries that read
weights fail with their own words (``SafetensorError: Error while deserializing header``) and no file
name. :func:`check_folder` reads only what is cheap to read — every JSON file, and each safetensors
file's header against its size — and raises :class:`DamagedFileError` naming the file and what to do.
A flipped bit inside tensor data is not detectable this way (safetensors carries no checksum).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

_MAX_HEADER = 100_000_000  # safetensors' own limit on the header size


class DamagedFileError(ValueError):
    """A file epic needs is truncated or corrupt; the message names it and what to do."""

    def __init__(self, path: Path, reason: str, remedy: str) -> None:
        super().__init__(f"{path}: damaged file ({reason}); {remedy}")
        self.path, self.reason, self.remedy = path, reason, remedy


def safetensors_problem(path: Path) -> str | None:
    """Why ``path`` is not a whole safetensors file, or None: the header must parse and its tensors'
    byte ranges must end exactly where the file does."""
    size = path.stat().st_size
    if size < 8:
        return f"{size} bytes, shorter than the 8-byte header length"
    with path.open("rb") as fh:
        (length,) = struct.unpack("<Q", fh.read(8))
        if length > min(_MAX_HEADER, size - 8):
            return f"header of {length} bytes in a file of {size}"
        try:
            header = json.loads(fh.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            return f"unreadable header: {e}"
    if not isinstance(header, dict):
        return "header is not a JSON object"
    try:
        ends = [int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"]
    except (TypeError, KeyError, IndexError, ValueError):
        return "header without tensor offsets"
    expected = 8 + length + max(ends, default=0)
    if expected != size:
        return f"{size} bytes where its header describes {expected} (truncated or padded)"
    return None


def json_problem(path: Path) -> str | None:
    """Why ``path`` is not valid UTF-8 JSON, or None."""
    try:
        json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return f"not valid JSON: {e}"
    return None


def check_file(path: Path, remedy: str) -> None:
    """Raise :class:`DamagedFileError` if ``path`` (a ``.safetensors`` or ``.json`` file) is damaged."""
    check = {".safetensors": safetensors_problem, ".json": json_problem}.get(path.suffix)
    problem = check(path) if check else None
    if problem:
        raise DamagedFileError(path, problem, remedy)


def check_folder(root: Path, remedy: str) -> None:
    """:func:`check_file` for every safetensors and JSON file under ``root``."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            check_file(path, remedy)
