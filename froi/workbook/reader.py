"""Reading an input workbook (.xlsx, .xlsm) into the engine's :class:`RawTables`.

The file is checked before anything in it is parsed (:mod:`froi.workbook.package`,
:mod:`froi.workbook.sheetscan`): refused with one clear sentence if it is not a
workbook, is encrypted or damaged, is a zip bomb, or is over the limits.  Values are
read with python-calamine, the fastest well-kept reader; each sheet becomes a pandas
frame and everything after that is done on whole columns.  The engine then checks the
tables exactly as it checks JSON (:func:`calculator.inputs.read_tables`), and every
problem is reported with its cell (:mod:`froi.workbook.cells`).

How a workbook is read (also in the README, "Excel in, Excel out"); nothing in it is
passed over in silence, and a slip that would change the figures (a renamed sheet, a
misspelt header) is an error, so nothing is computed:

- Sheets are found by name ignoring case, spaces and punctuation (``comparison usage``
  is ComparisonUsage; :mod:`froi.workbook.sheets`).  A missing Projects sheet is an
  error, and so is a missing list sheet the projects need by their ``mode``: Costs and
  Outcomes for appraisal, Costs and ComparisonUsage for comparison, Cases and
  CaseOutcomes for case_level (Settings, UnitCosts, Teams and the lists of other modes
  may be left out).  A sheet that looks like an input sheet, by its name (``Outcome``,
  ``Outcomes 2024``, ``costs1``) or its headers (three or more of that sheet's field
  names, at least half of its first row), is an error naming both when the input sheet
  is missing, and a warning when it is there (that one is read).  Instructions and Lists
  are not read; the results sheets of a re-uploaded results workbook are named in one
  warning; any other sheet is named in a warning as not read.
- The header is the first row with anything in it.  Headers match the JSON field names
  ignoring case, spaces and punctuation (``Unit cost code`` is ``unit_cost_code``), in
  any order, through one function (:func:`froi.workbook.names.header_key`) so that
  plain-English labels can be added as aliases.  A header that is not a field of its
  sheet (:mod:`froi.workbook.headers`) is an error at its cell when it is close to a
  field the sheet lacks (``deadwieght``: "did you mean deadweight?") or is a field of
  another sheet (``cohort`` on Costs), and otherwise a warning naming the column (a
  notes column stays, not read).  A required column that is missing is one error at the
  header row.
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

from calculator.checks import in_order
from calculator.engine import Results, compute_run
from calculator.errors import InvalidInput, Problem
from calculator.fields import Field
from calculator.inputs import RawTables, RunInput, read_tables
from calculator.reference import ReferenceData

from .blanks import is_filled
from .cells import CellMap, Sink, WorkbookInvalid, locate_problems, quote_sheet, reference
from .grid import Grid, read_grid
from .layout import SHEETS, Sheet
from .limits import (
    DEFAULT_LIMITS,
    FormulaWithoutValue,
    TooManyColumns,
    TooManyRows,
    WorkbookLimits,
)
from .package import Package, SheetPart, open_package
from .sheets import check_needed, match_sheets
from .sheetscan import SheetFacts, SheetScanner
from .tables import build_tables
from .writer import sheet_fields

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
        read = [p for p in book.raw.problems if p.severity == "warning"]
        raise WorkbookInvalid(
            locate_problems(exc.problems, book.cells),
            book.file,
            warnings=locate_problems(read, book.cells),
        ) from None
    # in reading order, but a headline warning (no outcomes, no costs) first
    warnings: list[Problem] = in_order(list(locate_problems(run.warnings, book.cells)))
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
    """Compute a workbook's projects; its provenance names the file's SHA-256, and its
    warnings (the workbook's and the results') are located and in reading order."""
    run, book = check_workbook(path, reference_data, limits=limits, settings=settings, file=file)
    results = compute_run(run, reference_data, input_sha256=book.sha256, computed_at=computed_at)
    warnings: list[Problem] = in_order(list(locate_problems(results.warnings, book.cells)))
    return dataclasses.replace(results, warnings=warnings)


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
        self.sink = Sink(package.file)
        self.formulas: list[str] = []
        self.error_cells: set[str] = set()
        self.parts: dict[str, SheetPart] = {}

    def read(self, sha256: str) -> WorkbookInput:
        try:
            book = CalamineWorkbook.from_path(str(self.package.path))
        except CalamineError as exc:
            raise self.package.corrupt(str(exc)) from None
        grids: dict[str, Grid] = {}
        with book:
            plan = match_sheets(
                self.package.sheets, lambda part: self._first_row(book, part), self.sink
            )
            self.parts = plan.found
            for sheet in SHEETS:
                part = self.parts.get(sheet.name)
                if part is not None:
                    grids[sheet.name] = self._grid(book, sheet, part)
        if self.formulas:
            raise FormulaWithoutValue(self.package.file, self.formulas)
        check_needed(plan, grids.get("Projects"), self.sink)
        cells = CellMap(file=self.package.file, error_cells=self.error_cells)
        raw = build_tables(grids, self.sink, cells, self._percent_cells)
        raw.problems = self.sink.problems
        return WorkbookInput(raw=raw, cells=cells, file=self.package.file, sha256=sha256)

    def _percent_cells(self, sheet: str, cells: set[tuple[int, int]]) -> set[tuple[int, int]]:
        styles = self.scanner.cell_styles(self.package, self.parts[sheet], cells)
        shown = self.package.percent_styles
        return {cell for cell, style in styles.items() if style in shown}

    def _first_row(self, book: CalamineWorkbook, part: SheetPart) -> list[Any]:
        """The first row with anything in it of a sheet outside the layout, to see whose
        headers it has.  Its extent is checked first, as for any sheet calamine reads; a
        sheet beyond the limits is not read (it refuses nothing: it is no input) and is
        judged by its name alone."""
        try:
            self.scanner.check_extent(self.package, part)
        except (TooManyRows, TooManyColumns):
            return []
        try:
            rows = book.get_sheet_by_name(part.name).iter_rows()
            return next((row for row in rows if any(is_filled(v) for v in row)), [])
        except CalamineError as exc:
            raise self.package.corrupt(f"sheet {part.name} cannot be read: {exc}") from None

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
        _put_booleans(values, origin, facts)
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


def _put_booleans(values: list[list[Any]], origin: tuple[int, int], facts: SheetFacts) -> None:
    """``=TRUE()`` and ``=FALSE()`` cells without a saved value (LibreOffice writes a
    boolean so; a program that does not calculate keeps no value) read as the boolean
    they are; one outside calamine's grid is refused like any formula without a value."""
    for row, col, value in facts.boolean_formulas:
        r, c = row - 1 - origin[0], col - 1 - origin[1]
        if r < 0 or c < 0:
            facts.formulas_without_value.append((row, col))
            continue
        while len(values) <= r:
            values.append([""] * (len(values[0]) if values else 0))
        line = values[r]
        if len(line) <= c:
            line.extend([""] * (c + 1 - len(line)))
        line[c] = value


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
