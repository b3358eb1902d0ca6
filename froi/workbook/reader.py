"""Reading an input workbook (.xlsx, .xlsm) into the engine's :class:`RawTables`.

The file is checked before anything in it is parsed (:mod:`froi.workbook.package`,
:mod:`froi.workbook.sheetscan`): refused with one clear sentence if it is not a
workbook, is encrypted or damaged, is a zip bomb, or is over the limits.  Values are
read with python-calamine, the fastest well-kept reader; each sheet becomes a pandas
frame and everything after that is done on whole columns.  The engine then checks the
tables exactly as it checks JSON (:func:`calculator.inputs.read_tables`), and every
problem is reported with its cell (:mod:`froi.workbook.cells`).

How a workbook is read (also in the README, "Excel input"):

- Sheets are found by name ignoring case, spaces and punctuation (``comparison usage``
  is ComparisonUsage).  Instructions and the template's Lists sheet are not read; any
  other sheet is reported in a warning as not read.  A missing list sheet is an empty
  list; a missing Projects sheet is an error.
- The header is the first row with anything in it.  Headers match the JSON field names
  ignoring case, spaces and punctuation (``Unit cost code`` is ``unit_cost_code``), in
  any order.  A column whose header is not a field is reported in a warning and
  ignored; a required column that is missing is one error at the header row.
- A row is read if any of its recognised cells holds something; blank rows are skipped
  anywhere, and every row keeps its Excel row number for messages.
- Rates: a cell showing 45% holds 0.45 and means 0.45; ``0.45`` and the text ``45%``
  mean the same; a bare 45 is an error that suggests 45% (a cell formatted as a
  percentage that holds 45, shown 4500%, is an error without the suggestion).
- Price years as METHOD 1.1: ``2013-14``, ``2013/14``, ``2013-2014`` or 2013.
- Hidden rows and columns are read like any other (the file's content is the input, and
  a result must not depend on what a spreadsheet happened to show), and a warning
  lists them so nobody is surprised by a figure they cannot see.  A hidden input sheet
  is read the same way, with a warning.
- Merged cells: calamine gives a merged range's value in its first cell only.  A range
  within one column (a project_id merged down over its rows) gives its value to every
  row it covers, as a person sees it, with a warning.  A range across two or more input
  columns is an error at the range: a value belongs to one field.
- Formulas are read as their saved values.  A formula without a saved value (files
  written by programs that do not calculate) refuses the file; a cell showing an error
  (``#DIV/0!``) is an error at that cell.  calamine returns both as blanks, which would
  otherwise quietly become defaults.
- Rows of a list sheet name their project in ``project_id``; a row whose project_id is
  not on the Projects sheet is an error at that cell.  ComparisonUsage rows go to the
  intervention or comparison list by their ``group``.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from calculator.engine import Results, compute_run
from calculator.errors import InvalidInput, Problem
from calculator.fields import Field
from calculator.inputs import RawTables, RunInput, read_tables
from calculator.reference import ReferenceData

from .cells import CellMap, CellProblem, WorkbookInvalid, locate_problems, quote_sheet, reference
from .grid import Grid, Sink, norm, read_grid
from .layout import SHEETS, Sheet
from .limits import DEFAULT_LIMITS, FormulaWithoutValue, WorkbookLimits
from .package import Package, SheetPart, open_package
from .sheetscan import SheetFacts, SheetScanner
from .tables import build_tables
from .writer import sheet_fields

#: Sheets of the template that hold no input.
NOT_INPUT = ("Instructions", "Lists")
#: A sheet part above this size has its facts read in a thread while calamine parses.
THREAD_ABOVE = 1024 * 1024


@dataclass
class WorkbookInput:
    """A workbook as read: the engine's raw tables and where every value came from."""

    raw: RawTables
    cells: CellMap
    file: str
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_workbook(
    path: Path | str, *, limits: WorkbookLimits = DEFAULT_LIMITS, file: str | None = None
) -> WorkbookInput:
    """Read a workbook into :class:`RawTables` with its :class:`CellMap`.

    ``file`` is the name to show in messages (default: the file's name).  Refusals of
    the whole file raise :class:`~froi.workbook.limits.WorkbookRefused`; problems with
    cells travel on ``raw.problems`` for :func:`calculator.inputs.read_tables` to
    report with everything else.  Reading needs no reference data.
    """
    path = Path(path)
    package = open_package(path, limits, file)
    # calamine hands back every cell as a Python object (4 million for 200,000 rows), and
    # each allocation burst makes the cycle collector walk all of them again; none of
    # them forms a cycle, so collection waits until the read is done (0.2 s of 2 s).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Reader(package, SheetScanner(limits)).read(file_sha256(path))
    finally:
        if collecting:
            gc.enable()


def check_workbook(
    path: Path | str,
    reference_data: ReferenceData,
    *,
    limits: WorkbookLimits = DEFAULT_LIMITS,
    settings: Mapping[str, Any] | None = None,
    file: str | None = None,
) -> tuple[RunInput, WorkbookInput]:
    """Read and check a workbook: the checked run, or :class:`WorkbookInvalid` listing
    every problem at its cell.  ``settings`` override the Settings sheet (the command
    line's ``--simulations`` and ``--seed``); warnings come back located too."""
    book = read_workbook(path, limits=limits, file=file)
    if settings:
        book.raw.settings.update(settings)
    try:
        run = read_tables(book.raw, reference_data)
    except InvalidInput as exc:
        raise WorkbookInvalid(locate_problems(exc.problems, book.cells), book.file) from None
    warnings: list[Problem] = list(locate_problems(run.warnings, book.cells))
    return dataclasses.replace(run, warnings=warnings), book


def compute_workbook(
    path: Path | str,
    reference_data: ReferenceData,
    *,
    limits: WorkbookLimits = DEFAULT_LIMITS,
    settings: Mapping[str, Any] | None = None,
    file: str | None = None,
    computed_at: datetime | None = None,
) -> Results:
    """Compute a workbook's projects; its provenance names the file's SHA-256."""
    run, book = check_workbook(path, reference_data, limits=limits, settings=settings, file=file)
    return compute_run(run, reference_data, input_sha256=book.sha256, computed_at=computed_at)


def is_workbook_path(path: str) -> bool:
    """Whether the command line should read ``path`` as a workbook (by its extension)."""
    return Path(path).suffix.lower() in (".xlsx", ".xlsm")


def header_fields(sheet: Sheet) -> tuple[Field, ...] | tuple[str, ...]:
    """The columns a sheet's header is matched against: the writer's declared columns
    (:func:`froi.workbook.writer.sheet_fields`), as bare names for Settings and
    UnitCosts, whose values the engine checks itself (a setting by its name, a unit cost
    row as a table row), so the grid neither converts nor requires them."""
    fields = sheet_fields(sheet)
    if sheet.name in ("Settings", "UnitCosts"):
        return tuple(f.name for f in fields)
    return fields


class _Reader:
    def __init__(self, package: Package, scanner: SheetScanner) -> None:
        self.package = package
        self.scanner = scanner
        self.sink = Sink()
        self.formulas: list[str] = []
        self.error_cells: set[str] = set()
        self.parts: dict[str, SheetPart] = {}

    def read(self, sha256: str) -> WorkbookInput:
        self.parts = self._match_sheets()
        try:
            book = CalamineWorkbook.from_path(str(self.package.path))
        except CalamineError as exc:
            raise self.package.corrupt(str(exc)) from None
        grids: dict[str, Grid] = {}
        with book:
            for sheet in SHEETS:
                part = self.parts.get(sheet.name)
                if part is not None:
                    grids[sheet.name] = self._grid(book, sheet, part)
        if self.formulas:
            raise FormulaWithoutValue(self.package.file, self.formulas)
        cells = CellMap(file=self.package.file, error_cells=self.error_cells)
        raw = build_tables(grids, self.sink, cells, self._percent_cells)
        raw.problems = self.sink.problems
        return WorkbookInput(raw=raw, cells=cells, file=self.package.file, sha256=sha256)

    def _percent_cells(self, sheet: str, cells: set[tuple[int, int]]) -> set[tuple[int, int]]:
        styles = self.scanner.cell_styles(self.package, self.parts[sheet], cells)
        shown = self.package.percent_styles
        return {cell for cell, style in styles.items() if style in shown}

    def _match_sheets(self) -> dict[str, SheetPart]:
        wanted = {norm(s.name): s for s in SHEETS}
        ignored = {norm(n) for n in NOT_INPUT}
        found: dict[str, SheetPart] = {}
        others: list[str] = []
        for part in self.package.sheets:
            sheet = wanted.get(norm(part.name))
            if sheet is None:
                if norm(part.name) not in ignored:
                    others.append(part.name)
                continue
            if sheet.name in found:
                self.sink.add(
                    f"sheets '{found[sheet.name].name}' and '{part.name}' both hold "
                    f"{sheet.name}; keep one",
                    sheet.name,
                    part.name,
                )
                continue
            found[sheet.name] = part
        if others:
            many = len(others) > 1
            self.sink.problems.append(
                CellProblem(
                    f"sheet{'s' if many else ''} {', '.join(repr(n) for n in others)} "
                    f"{'are' if many else 'is'} not part of the input and "
                    f"{'were' if many else 'was'} not read; the input sheets are "
                    + ", ".join(s.name for s in SHEETS),
                    file=self.package.file,
                    severity="warning",
                )
            )
        if "Projects" not in found:
            names = ", ".join(repr(p.name) for p in self.package.sheets) or "none"
            self.sink.problems.append(
                CellProblem(
                    f"the workbook has no Projects sheet (its sheets: {names}), so it holds "
                    "no projects; start from the template (froi template -o input.xlsx)",
                    file=self.package.file,
                )
            )
        return found

    def _grid(self, book: CalamineWorkbook, sheet: Sheet, part: SheetPart) -> Grid:
        """A sheet's values, merged ranges and hidden facts; its extent checked first."""
        self.scanner.check_extent(self.package, part)
        try:
            if self.package.infos[part.part].file_size > THREAD_ABOVE:
                with ThreadPoolExecutor(max_workers=1) as pool:
                    pending = pool.submit(self.scanner.facts, self.package, part)
                    values, origin, merged = _values(book, part)
                    facts = pending.result()
            else:
                values, origin, merged = _values(book, part)
                facts = self.scanner.facts(self.package, part)
        except CalamineError as exc:
            raise self.package.corrupt(f"sheet {part.name} cannot be read: {exc}") from None
        grid = read_grid(sheet, part, values, origin, merged, header_fields(sheet), self.sink)
        self._note_facts(sheet, part, grid, facts)
        return grid

    def _note_facts(self, sheet: Sheet, part: SheetPart, grid: Grid, facts: SheetFacts) -> None:
        """What the XML says (formulas, errors, hidden rows and columns) as problems."""
        title = part.name
        fields = {c: f for f, c in grid.columns.items()}
        for row, col in facts.formulas_without_value:
            if col in fields and row > grid.header_row > 0:
                self.formulas.append(reference(title, col, row))
        for row, col, text in facts.error_cells:
            if col in fields and row > grid.header_row > 0:
                self.error_cells.add(reference(title, col, row))
                self.sink.add(
                    f"the cell shows the error {text} instead of a value; correct the "
                    "formula or type the value",
                    sheet.name,
                    title,
                    row,
                    col,
                    list_name=sheet.list_name,
                    field_name=fields[col],
                )
        if not grid.data_rows:
            return
        if part.state != "visible":
            self.sink.add(
                f"the sheet is hidden; its {_rows(grid.data_rows)} read all the same "
                "(unhide it to check them)",
                sheet.name,
                title,
                severity="warning",
            )
        hidden = sorted(set(facts.hidden_rows) & set(grid.row_numbers.tolist()))
        if facts.rows_hidden_by_default:
            hidden = grid.row_numbers.tolist()
        if hidden:
            one = len(hidden) == 1
            self.sink.add(
                f"{_spans(hidden, 'row')} hidden; {'its' if one else 'their'} values are read "
                f"all the same (unhide {'it' if one else 'them'} to check)",
                sheet.name,
                title,
                cell=quote_sheet(title),
                severity="warning",
            )
        columns = sorted(
            {c for low, high in facts.hidden_columns for c in range(low, high + 1) if c in fields}
        )
        if columns:
            many = len(columns) > 1
            self.sink.add(
                f"column{'s' if many else ''} {', '.join(fields[c] for c in columns)} "
                f"{'are' if many else 'is'} hidden; the values in "
                f"{'them' if many else 'it'} are read all the same",
                sheet.name,
                title,
                grid.header_row,
                columns[0],
                severity="warning",
            )


def _values(
    book: CalamineWorkbook, part: SheetPart
) -> tuple[list[list[Any]], tuple[int, int], list[Any]]:
    """calamine's rows, where they start (0-based row, column) and the merged ranges.

    ``to_python()`` skips empty rows and columns before the data, which is measurably
    faster than padding from A1 (0.26 s against 0.39 s on 200,000 rows), so positions
    are taken relative to ``start``.
    """
    data = book.get_sheet_by_name(part.name)
    start = data.start or (0, 0)
    return data.to_python(), (int(start[0]), int(start[1])), list(data.merged_cell_ranges or [])


def _rows(count: int) -> str:
    return f"{count:,} row{'s are' if count != 1 else ' is'}"


def _spans(numbers: list[int], noun: str) -> str:
    """``rows 5-7, 12 are`` from sorted numbers."""
    runs: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        runs.append(f"{start}" if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    many = len(numbers) > 1
    shown = ", ".join(runs[:20]) + (f" and {len(runs) - 20} more" if len(runs) > 20 else "")
    return f"{noun}{'s' if many else ''} {shown} {'are' if many else 'is'}"
