"""Results workbook benchmark: a 1,000-project portfolio from input to exported workbook.

    python bench/export.py [--projects 1000] [--outcomes 20] [--years 5] [--runs 3]

Times, on the synthetic portfolio of bench/common.py (three cost rows a project, codes
from the default unit cost table):
- from the JSON document: checking and computing it (``compute``), then writing the
  standard results workbook (``write_results_workbook``);
- from an .xlsx input holding the same portfolio, when the workbook reader exists
  (``froi.workbook.reader``): reading, checking and computing the workbook, then writing
  the results workbook.  The input workbook is the template's (``froi.workbook.template``)
  when that exists, otherwise the input sheets the results workbook itself carries;
and prints the seconds (best of ``--runs``), the workbook's size and its cell count.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script or a module

import pandas as pd
import xlsxwriter

from bench.common import best_of, portfolio
from calculator.engine import Results, compute
from calculator.reference import ReferenceData, load_reference
from froi.workbook.results import WORKBOOK_OPTIONS, write_results_workbook
from froi.workbook.results_cells import Book
from froi.workbook.results_inputs import write_input_sheets


def optional(module: str, name: str) -> Any:
    """``module.name`` when both exist (other parts of issue 3 land separately)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def cells(path: Path) -> int:
    """Cells in the workbook's sheets (counted from the XML, ``<c `` elements)."""
    with zipfile.ZipFile(path) as z:
        return sum(
            z.read(n).count(b"<c ") for n in z.namelist() if n.startswith("xl/worksheets/sheet")
        )


def input_workbook(doc: dict[str, Any], results: Results, path: Path) -> str:
    """Write the portfolio as an input workbook; say whose writer made it."""
    template = optional("froi.workbook.template", "write_input_workbook")
    if template is not None:
        template(doc, path)
        return "the input template (froi.workbook.template)"
    assert results.run is not None
    book = Book(xlsxwriter.Workbook(path, WORKBOOK_OPTIONS))
    write_input_sheets(book, results.run)
    book.workbook.close()
    return "the results workbook's input sheets"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--outcomes", type=int, default=20)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()

    reference: ReferenceData = load_reference()
    doc = portfolio(reference, args.projects, args.outcomes, args.years)
    print(
        f"portfolio: {args.projects:,} projects x {args.outcomes} outcomes x {args.years} "
        f"years = {args.projects * args.outcomes:,} outcome rows, {args.projects * 3:,} cost rows"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.xlsx"
        t_compute, results = best_of(args.runs, lambda: compute(doc, reference))
        t_export, _ = best_of(
            args.runs, lambda: write_results_workbook(results, out, reference=reference)
        )
        size = out.stat().st_size
        print(f"JSON input, check and compute (compute):        {t_compute:8.2f} s")
        print(f"results workbook (write_results_workbook):      {t_export:8.2f} s")
        print(f"JSON input to results workbook:                 {t_compute + t_export:8.2f} s")
        print(f"results workbook: {size / 1e6:.1f} MB, {cells(out):,} cells")

        compute_workbook = optional("froi.workbook.reader", "compute_workbook")
        if compute_workbook is None:
            print("xlsx input: skipped (froi.workbook.reader is not there yet)")
            return 0
        source = Path(tmp) / "input.xlsx"
        made_by = input_workbook(doc, results, source)
        t_read, again = best_of(args.runs, lambda: compute_workbook(source, reference))
        # the workbook holds the same portfolio, so it computes the same figures
        pd.testing.assert_frame_equal(again.summary, results.summary, check_exact=False, rtol=1e-12)
        t_again, _ = best_of(
            args.runs, lambda: write_results_workbook(again, out, reference=reference)
        )
        print(f"xlsx input ({made_by}, {source.stat().st_size / 1e6:.1f} MB):")
        print(f"  read, check and compute (compute_workbook):   {t_read:8.2f} s")
        print(f"  results workbook:                             {t_again:8.2f} s")
        print(f"  xlsx input to results workbook:               {t_read + t_again:8.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
