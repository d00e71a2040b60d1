"""The C allocator told to keep freed memory for reuse, for the length of a simulated day.

Every slice allocates the same large numpy arrays again (the batch kernel's per-basket slots alone
are ~10 MB a call). glibc gives blocks that large back to the kernel when they are freed (munmap,
or trimming the top of the heap), so each slice faulted them in again: ~1 minor fault per basket,
~10 % of the day's CPU as system time. With a fixed mmap threshold and a high trim threshold the
freed blocks stay in the heap and the next slice reuses them (the day's peak memory is unchanged:
the same arrays, kept instead of returned).
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest on 64-bit; only larger blocks get their own mapping
TRIM_THRESHOLD = 512 << 20  # free memory kept at the heap's top before it is given back


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to keep freed blocks for reuse; False where there is no glibc (the
    allocator then stays as it was: a little more system time, the same results)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
