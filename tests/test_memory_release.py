""":func:`froi.memory.release_memory` gives a job's freed memory back to the system.

CPython frees a job's objects, but glibc keeps the freed heap pages mapped for reuse when
anything allocated after them is still alive, so a worker would hold a large job's peak
for the rest of its life.  Each case runs in a subprocess of its own, so its resident
memory (``VmRSS``) is the case's and nothing else's: 240 MB of 4 kB buffers (malloc'd on
the heap, not in Python's own small-object arenas) are made, one more buffer is kept
(pinning the heap's top, as a live object after a job does), and the rest are freed.
Without ``release_memory`` the process still holds them (the control, which shows the
measure can tell); with it, it is back near where it started.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CASE = """
import gc, json, sys
sys.path.insert(0, {root!r})
from froi.memory import release_memory, resident_mb

start = resident_mb()
blocks = [bytearray(4000) for _ in range(60_000)]
kept = bytearray(4000)  # allocated last and still alive: the heap cannot shrink from the top
peak = resident_mb()
del blocks
gc.collect()
held = resident_mb()
released = release_memory() if {release!r} else None
print(json.dumps({{"start": start, "peak": peak, "held": held, "after": resident_mb(),
                  "released": released}}))
"""


def run(release: bool) -> dict[str, int]:
    code = CASE.format(root=str(ROOT), release=release)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc only")
def test_release_memory_gives_freed_memory_back() -> None:
    control = run(release=False)
    print("without release_memory:", control)
    # the premise: freed, but still held by the allocator
    assert control["peak"] - control["start"] > 200, control
    assert control["after"] > control["start"] + 200, control
    released = run(release=True)
    print("with release_memory:", released)
    assert released["released"] is True  # glibc's malloc_trim was called
    assert released["held"] > released["start"] + 200, released  # the same premise
    assert released["after"] < released["start"] + 30, released  # given back
