"""The standard results workbook: every figure of a run, traceable in Excel.

:func:`write_results_workbook` (:mod:`.workbook`, where the design is described) writes
the Summary and Agencies sheets (:mod:`.summary`), the long detail tables
(:mod:`.detail`, :mod:`.observed`), the charts (:mod:`.charts`), the run's inputs as
input sheets (:mod:`.inputs`) and the provenance record (:mod:`.provenance`), over the
cells and tables of :mod:`.cells` and the per-run keys of :mod:`.context`.
"""

from .workbook import ALWAYS_WRITTEN, RESULT_SHEETS, write_results_workbook

__all__ = ["ALWAYS_WRITTEN", "RESULT_SHEETS", "write_results_workbook"]
