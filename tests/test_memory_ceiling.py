"""Bounded memory (issue 14): a workbook at the row limit is read, checked and computed in
well under 1 GB, and the memory is given back afterwards.

The work runs in a subprocess of its own, so its peak resident memory (``VmHWM``, which a
new program starts afresh) is the work's and nothing else's: the test process has
pytest, its fixtures and the generated workbook in memory.  The workbook has 200,000
rows on its Outcomes sheet (``DEFAULT_LIMITS.max_rows``: 2,000 projects of 100 outcomes
each), as large as the reader accepts.  After the work the subprocess drops the results
and asks the allocator to give freed memory back (:func:`froi.memory.release_memory`,
which the service calls after each job), and its resident memory must fall back near
where it started.  About 40 seconds here (the workbook is made once, then read).

Writing that workbook's results workbook (150 MB, about 13 million cells) is held under
the same ceiling: the long tables are written as blocks of XML that wait in temporary
files (:mod:`froi.workbook.xmlrows`), and every such file is closed afterwards.  About
30 seconds more.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from bench.common import portfolio
from calculator.reference import load_reference
from froi.workbook.limits import DEFAULT_LIMITS
from froi.workbook.reader import compute_workbook
from froi.workbook.template import write_input_workbook

ROOT = Path(__file__).resolve().parents[1]
CEILING_MB = 1024
PROJECTS, OUTCOMES = 2_000, 100

WORK = """
import gc, json, sys, time
sys.path.insert(0, {root!r})
from froi.memory import release_memory, resident_mb
from calculator.reference import load_reference
from froi.workbook.reader import compute_workbook

reference = load_reference()
start = resident_mb()
began = time.perf_counter()
results = compute_workbook({path!r}, reference)
seconds = time.perf_counter() - began
projects = len(results.summary)
peak = resident_mb("VmHWM")
del results
gc.collect()
release_memory()
print(json.dumps({{"start": start, "peak": peak, "after": resident_mb(),
                  "projects": projects, "seconds": seconds}}))
"""


WRITE = """
import gc, json, os, sys, time
sys.path.insert(0, {root!r})
from froi.memory import release_memory, resident_mb
from calculator.reference import load_reference
from froi.workbook.reader import compute_workbook
from froi.workbook.results import write_results_workbook

reference = load_reference()
start = resident_mb()
files = len(os.listdir("/proc/self/fd"))
began = time.perf_counter()
results = compute_workbook({path!r}, reference)
write_results_workbook(results, {out!r}, reference=reference, input_sha256="0" * 64)
seconds = time.perf_counter() - began
peak = resident_mb("VmHWM")
del results
gc.collect()
release_memory()
print(json.dumps({{"start": start, "peak": peak, "after": resident_mb(), "seconds": seconds,
                  "files_left_open": len(os.listdir("/proc/self/fd")) - files}}))
"""


@pytest.fixture(scope="module")
def workbook_at_the_row_limit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reference = load_reference()
    path = tmp_path_factory.mktemp("memory") / "row-limit.xlsx"
    doc = portfolio(reference, PROJECTS, OUTCOMES, 5, costs=1)
    assert sum(len(p["outcomes"]) for p in doc["projects"]) == DEFAULT_LIMITS.max_rows
    write_input_workbook(doc, path, reference)
    return path


def test_a_workbook_at_the_row_limit_is_computed_within_the_ceiling(
    workbook_at_the_row_limit: Path,
) -> None:
    code = WORK.format(root=str(ROOT), path=str(workbook_at_the_row_limit))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(figures)
    assert figures["projects"] == PROJECTS
    assert figures["peak"] < CEILING_MB, figures
    # memory is given back: within 100 MB of where the work started
    assert figures["after"] < figures["start"] + 100, figures


def test_its_results_workbook_is_written_within_the_ceiling(
    workbook_at_the_row_limit: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results.xlsx"
    code = WRITE.format(root=str(ROOT), path=str(workbook_at_the_row_limit), out=str(out))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(figures)
    assert figures["peak"] < CEILING_MB, figures
    assert figures["after"] < figures["start"] + 100, figures
    assert figures["files_left_open"] == 0, figures
    # the file is whole: its long sheets read back with every row, and the Summary's
    # cached FROI of every project is the engine's
    book = CalamineWorkbook.from_path(str(out))
    assert len(book.get_sheet_by_name("Outcome values").to_python()) == OUTCOMES * PROJECTS + 1
    assert len(book.get_sheet_by_name("Outcomes").to_python()) == OUTCOMES * PROJECTS + 1
    summary = book.get_sheet_by_name("Summary").to_python()
    top = next(i for i, row in enumerate(summary) if row[0] == "Project #")
    column = next(j for j, h in enumerate(summary[top]) if str(h).startswith("FROI"))
    froi = [row[column] for row in summary[top + 1 :] if row[0] != ""]
    expected = compute_workbook(workbook_at_the_row_limit, load_reference()).summary["froi"]
    assert froi == pytest.approx(expected.tolist(), rel=1e-12)
