"""The ``epic`` command fixes glibc's mmap threshold, so freed activation buffers leave the process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from epic.utils.allocator import glibc

# Frees a 16 MiB block (glibc's sliding threshold follows it up to 16 MiB), then asks for 8 MiB and prints
# whether that came as a fresh mapping (1: the threshold is below 8 MiB) or from the heap (0).
PROBE = r"""
import ctypes, sys
from epic.utils.allocator import fix_mmap_threshold, glibc
libc = glibc()
class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc.mallinfo2.restype = Mallinfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(16 << 20))
if sys.argv[1] == "function":
    print("set", fix_mmap_threshold(), file=sys.stderr)
elif sys.argv[1] == "cli":
    from epic.cli import main
    try:
        main(["info", "/nonexistent/model"])
    except SystemExit:
        pass
before = libc.mallinfo2().hblks
block = libc.malloc(8 << 20)
print(libc.mallinfo2().hblks - before)
"""


def fresh_mapping(how: str, **env: str) -> int:
    environ = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"} | env
    out = subprocess.run([sys.executable, "-c", PROBE, how], capture_output=True, text=True, env=environ)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(glibc() is None or not hasattr(glibc(), "mallinfo2"), reason="glibc >= 2.33 only")
def test_the_command_line_maps_large_buffers_afresh_and_a_users_threshold_wins():
    assert fresh_mapping("none") == 0  # glibc's default: the threshold slid up, 8 MiB reuses the heap
    assert fresh_mapping("function") == 1
    assert fresh_mapping("cli") == 1  # every epic command sets it before it runs
    assert fresh_mapping("cli", MALLOC_MMAP_THRESHOLD_=str(32 << 20)) == 0  # the user's own value is kept
