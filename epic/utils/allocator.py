"""Keep glibc from holding freed activation buffers: a fixed mmap threshold for the ``epic`` command.

glibc serves a request at or above its mmap threshold with a fresh mapping and unmaps it on free; below
it, freed memory stays in the heap for reuse. The threshold slides up to the largest buffer freed so far
(up to 32 MiB), so after the first training step nearly every activation buffer comes from the heap, and
the heap keeps about 2 GiB of freed buffers at the quickstart's peak. A fixed 4 MiB threshold took the
whole quickstart from 8.27 to 7.45 GiB in the same time (docs/results.md, session 20); 1 MiB and below
cost about a third more time (12 EPIC steps, session 19). Only the command line sets it: a library must
not change its host's allocator on import.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
ENV_VAR = "MALLOC_MMAP_THRESHOLD_"  # glibc's own variable, read at start-up: a user's value wins


def glibc() -> ctypes.CDLL | None:
    """The process's C library if it is glibc, else None (musl, macOS, Windows)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "mallopt") else None


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Set glibc's mmap threshold to ``threshold`` bytes unless ``MALLOC_MMAP_THRESHOLD_`` already chose
    one (or this is not glibc). Returns whether it was set here."""
    if ENV_VAR in os.environ:
        return False
    libc = glibc()
    if libc is None:
        return False
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(libc.mallopt(M_MMAP_THRESHOLD, threshold))
