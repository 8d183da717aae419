"""Damaged files are named before anything deep reads them.

A half-copied download, a full disk elsewhere or a flipped bit in a header make the libraries that read
weights fail with their own words (``SafetensorError: Error while deserializing header``) and no file
name. :func:`check_folder` reads every JSON file and each safetensors file's header against its size,
and raises :class:`DamagedFileError` naming the file and what to do.

A flipped bit inside tensor data passes those checks (safetensors carries no checksum), so what epic
saves carries its own: a folder gets ``checksums.sha256`` (:func:`write_checksums`; the format of
``sha256sum``, so ``sha256sum -c checksums.sha256`` checks it too) and a single file such as the
demonstration cache carries the SHA-256 of its tensor data in its header (:func:`sealed_safetensors`).
Hashing reads each file once more at load, about 1 s per GB here.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from pathlib import Path

from .io import write_text_atomic

CHECKSUMS = "checksums.sha256"
UNCHECKED = {"README.md", "eval_results.json", CHECKSUMS}  # the card and results change after the save
_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")
_DATA_SHA256 = "epic.data_sha256"  # safetensors metadata key: SHA-256 of the bytes after the header

_MAX_HEADER = 100_000_000  # safetensors' own limit on the header size


class DamagedFileError(ValueError):
    """A file epic needs is truncated or corrupt; the message names it and what to do."""

    def __init__(self, path: Path, reason: str, remedy: str) -> None:
        super().__init__(f"{path}: damaged file ({reason}); {remedy}")
        self.path, self.reason, self.remedy = path, reason, remedy


def safetensors_problem(path: Path) -> str | None:
    """Why ``path`` is not a whole safetensors file, or None: the header must parse, its tensors' byte
    ranges must end exactly where the file does, and a sealed file's data must match its SHA-256."""
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
    sealed = (header.get("__metadata__") or {}).get(_DATA_SHA256)
    if sealed is not None and sealed != file_sha256(path, skip=8 + length):
        return "tensor data differ from the SHA-256 in its header"
    return None


def file_sha256(path: Path, skip: int = 0) -> str:
    """The SHA-256 (hex) of ``path``'s bytes from offset ``skip`` on."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        fh.seek(skip)
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def sealed_safetensors(tensors: dict, metadata: dict[str, str]) -> bytes:
    """``tensors`` as safetensors bytes whose header carries the SHA-256 of the tensor data (the data's
    layout does not depend on the header, so it is hashed from a first serialisation)."""
    from safetensors.torch import save

    plain = save(tensors, metadata=metadata)
    (length,) = struct.unpack("<Q", plain[:8])
    return save(tensors, metadata={**metadata, _DATA_SHA256: hashlib.sha256(plain[8 + length :]).hexdigest()})


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


def _listed_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".") and p.name not in UNCHECKED)


def write_checksums(root: Path) -> None:
    """Write ``root/checksums.sha256``: the SHA-256 of every file under ``root`` but the model card, in
    ``sha256sum``'s format. Written atomically, so a folder has the whole list or none."""
    lines = [f"{file_sha256(p)}  {p.relative_to(root).as_posix()}\n" for p in _listed_files(root)]
    write_text_atomic(root / CHECKSUMS, "".join(lines))


def check_checksums(root: Path, remedy: str, only: set[str] | None = None) -> None:
    """Raise :class:`DamagedFileError` for the first file listed in ``root/checksums.sha256`` (of ``only``
    if given) that is missing or whose contents changed since it was written. No list: nothing to check."""
    listing = root / CHECKSUMS
    if not listing.is_file():
        return
    listed = []
    for number, line in enumerate(listing.read_text(errors="replace").splitlines(), 1):
        entry = _LINE.fullmatch(line)  # sha256sum's text (two spaces) and binary (" *") forms
        if entry is None:
            raise DamagedFileError(listing, f"line {number} is not '<sha256>  <file>'", remedy)
        digest, name = entry.group(1).lower(), entry.group(2)
        if only is None or name in only:
            listed.append((root / name, digest))
    missing = [path for path, _ in listed if not path.is_file()]
    if missing:
        more = len(missing) - 1
        others = f", as are {more} more of the files it lists (an incomplete copy?)" if more else ""
        raise DamagedFileError(missing[0], f"missing{others}; {CHECKSUMS} lists it", remedy)
    for path, digest in listed:
        if file_sha256(path) != digest:
            raise DamagedFileError(
                path,
                f"contents differ from the SHA-256 in {CHECKSUMS} written when it was saved",
                f"{remedy} (if you edited the file on purpose, delete its line from {listing})",
            )


def check_folder(root: Path, remedy: str) -> None:
    """:func:`check_file` for every safetensors and JSON file under ``root``, then its checksums."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            check_file(path, remedy)
    check_checksums(root, remedy)
