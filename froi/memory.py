"""Giving memory back after a large job, and reading how much a process holds.

CPython frees a large job's objects when they go, but glibc's allocator keeps the freed
pages mapped for reuse, so a worker that computed a 200,000-row workbook would hold the
job's peak for the rest of its life.  :func:`release_memory` asks glibc to return free
pages to the system (``malloc_trim``) after a garbage collection; elsewhere (macOS, musl)
it only collects.  :func:`resident_mb` reads the process's resident memory from
``/proc`` (``VmHWM`` is the peak, which a new program starts afresh).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache
from pathlib import Path
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_memory() -> bool:
    """Collect garbage and give free memory back to the system; whether glibc trimmed."""
    gc.collect()
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def resident_mb(field: str = "VmRSS") -> int:
    """The process's resident memory (``VmRSS``) or its peak (``VmHWM``), in MB (0 where
    /proc is not there)."""
    status = Path("/proc/self/status")
    if not status.exists():
        return 0
    for line in status.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) // 1024
    return 0
