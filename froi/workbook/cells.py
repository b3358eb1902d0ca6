"""Where a problem is in a workbook: from ``Problem(project, list, row, field)`` to a cell.

The engine locates a problem by project, list, row and field, the way the canonical JSON
is shaped; a person with a workbook needs ``Outcomes!F12``.  The reader records, while
it reads, where everything came from (:class:`CellMap`): each sheet's name as the file
spells it, its header row and the column of each field, the Projects row of each
project and the Settings row of each setting.  List rows need no map: the reader gives
each row its Excel row number as ``_row``, which the engine carries into its problems.

:func:`cell_reference` turns a problem into a reference, :func:`locate_problems` turns
the engine's problems into :class:`CellProblem` records that print with their cell (so
every caller shows ``Outcomes!F12: success must be between 0 and 1; got 45 - did you
mean 45%?`` without knowing about workbooks), sorted in reading order, and
:func:`format_problems` caps a long list (50 shown by default) with a count of the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from calculator.errors import InvalidInput, Problem
from calculator.fields import SETTINGS

from .layout import SHEET_OF_LIST, SHEETS
from .package import column_letter

SETTING_NAMES = frozenset(f.name for f in SETTINGS)
SHEET_ORDER = {sheet.name: i for i, sheet in enumerate(SHEETS)}
DEFAULT_SHOWN = 50


@dataclass
class SheetMap:
    """Where a layout sheet's fields are: its name in the file, header row, columns."""

    title: str
    header_row: int
    columns: dict[str, int] = field(default_factory=dict)  # field -> 1-based column


@dataclass
class CellMap:
    """Everything needed to turn an engine problem into a cell reference."""

    file: str
    sheets: dict[str, SheetMap] = field(default_factory=dict)  # layout sheet -> map
    project_rows: dict[str, int] = field(default_factory=dict)  # project label -> row
    setting_rows: dict[str, int] = field(default_factory=dict)  # setting -> Settings row
    #: (list, field) pairs whose column is reported at the header row: a required column
    #: that is missing, or a field a misspelt header was taken for.  The reader reports
    #: the column once, so what the engine says about it row by row ("is required",
    #: "give an amount...") is left out
    reported_columns: set[tuple[str, str]] = field(default_factory=set)
    #: cells showing an error (#DIV/0!): reported as such, so what the engine then says
    #: about their (blank) value is left out
    error_cells: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class CellProblem(Problem):
    """A problem located in a workbook: it prints as ``Outcomes!F12: message``."""

    cell: str = ""
    sheet_order: int = -1
    column: int = 0

    def where(self) -> str:
        return self.cell or super().where()

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "cell": self.cell or None}

    def sort_key(self) -> tuple[int, int, int]:
        return (self.sheet_order, self.row or 0, self.column)


class WorkbookInvalid(InvalidInput):
    """A workbook whose cells have problems; each problem is a :class:`CellProblem`.

    ``warnings`` are what else the check found, located too, so a page can show them
    with the errors (nothing is computed, but the person fixing the file should see all).
    """

    def __init__(
        self, problems: list[CellProblem], file: str, warnings: list[CellProblem] | None = None
    ) -> None:
        self.file = file
        self.warnings = list(warnings or [])
        super().__init__(list(problems), context=file)


class Sink:
    """Collects problems located at cells (or at sheets, or the file) while a workbook is
    read."""

    def __init__(self, file: str | None = None) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(
        self,
        message: str,
        sheet: str,
        title: str,
        row: int | None = None,
        column: int | None = None,
        *,
        list_name: str | None = None,
        field_name: str | None = None,
        severity: str = "error",
        cell: str | None = None,
    ) -> None:
        """A problem on sheet ``title`` (the file's name of layout sheet ``sheet``, which
        orders the problems; "" for a sheet outside the layout), at its row and column
        or at the whole sheet."""
        self.problems.append(
            CellProblem(
                message,
                list=list_name,
                row=row,
                field=field_name,
                severity=severity,
                cell=cell if cell is not None else reference(title, column, row),
                sheet_order=SHEET_ORDER.get(sheet, -1),
                column=column or 0,
            )
        )

    def add_file(self, message: str, *, severity: str = "error") -> None:
        """A problem with the workbook as a whole: it prints as ``file 'in.xlsx': ...``."""
        self.problems.append(CellProblem(message, file=self.file, severity=severity))


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_LOOKS_LIKE_CELL = re.compile(r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*")


def quote_sheet(title: str) -> str:
    """A sheet name as Excel writes it in a reference (quoted when it must be)."""
    if _PLAIN_NAME.fullmatch(title) and not _LOOKS_LIKE_CELL.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def reference(title: str, column: int | None, row: int | None) -> str:
    """``Sheet!F12``; ``Sheet!12:12`` for a whole row; ``Sheet`` alone with neither."""
    sheet = quote_sheet(title)
    if row and column:
        return f"{sheet}!{column_letter(column)}{row}"
    if row:
        return f"{sheet}!{row}:{row}"
    return sheet


def _locate(problem: Problem, cells: CellMap) -> tuple[str, str, int, int]:
    """(layout sheet, reference, row, column) of a problem; blanks when unplaceable."""
    name = problem.list
    if name == "settings":
        sheet = cells.sheets.get("Settings")
        row = cells.setting_rows.get(problem.field or "")
        if sheet is None or row is None:
            return "Settings", quote_sheet(sheet.title if sheet else "Settings"), 0, 0
        column = sheet.columns.get("value" if problem.field in SETTING_NAMES else "name", 0)
        return "Settings", reference(sheet.title, column, row), row, column
    if name in SHEET_OF_LIST and name != "projects" and problem.row is not None:
        layout = SHEET_OF_LIST[name].name
        sheet = cells.sheets.get(layout)
        if sheet is not None:
            column = sheet.columns.get(problem.field or "", 0)
            return layout, reference(sheet.title, column, problem.row), problem.row, column
    if problem.project is not None and problem.project in cells.project_rows:
        sheet = cells.sheets.get("Projects")
        row = cells.project_rows[problem.project]
        if sheet is not None:
            column = sheet.columns.get(problem.field or "") or sheet.columns.get("project_id", 0)
            return "Projects", reference(sheet.title, column, row), row, column
    if name in SHEET_OF_LIST:
        layout = SHEET_OF_LIST[name].name
        sheet = cells.sheets.get(layout)
        if sheet is not None:
            column = sheet.columns.get(problem.field or "", 0)
            row = sheet.header_row if column else 0
            return layout, reference(sheet.title, column or None, row or None), row, column
        return layout, quote_sheet(layout), 0, 0
    return "", "", 0, 0


def cell_reference(problem: Problem, cells: CellMap) -> str:
    """The cell (or row, or sheet) a problem is about, e.g. ``Outcomes!F12``."""
    if isinstance(problem, CellProblem) and problem.cell:
        return problem.cell
    return _locate(problem, cells)[1]


def locate(problem: Problem, cells: CellMap) -> CellProblem:
    """The problem as a :class:`CellProblem` printing with its cell reference."""
    if isinstance(problem, CellProblem):
        return problem
    layout, ref, row, column = _locate(problem, cells)
    return CellProblem(
        problem.message,
        project=problem.project,
        list=problem.list,
        row=row or problem.row,
        field=problem.field,
        file=problem.file if ref else problem.file or cells.file,
        severity=problem.severity,
        path=problem.path,
        code=problem.code,
        cell=ref,
        sheet_order=SHEET_ORDER.get(layout, -1),
        column=column,
    )


def locate_problems(problems: list[Problem], cells: CellMap) -> list[CellProblem]:
    """Every problem located, in reading order (sheet by sheet, row by row, left to
    right), leaving out echoes: what the engine says row by row about a column reported
    at the header (missing, or misspelt), and about the blank of a cell showing an
    error."""
    kept = [
        p
        for p in problems
        if isinstance(p, CellProblem)  # the reader's own, never an echo
        or not (p.row is not None and (p.list or "", p.field or "") in cells.reported_columns)
    ]
    located = [locate(p, cells) for p in kept]
    if cells.error_cells:
        located = [
            p
            for p in located
            if p.cell not in cells.error_cells or p.message.startswith("the cell shows the error")
        ]
    return sorted(located, key=CellProblem.sort_key)


def format_problems(
    problems: list[Problem], cells: CellMap, limit: int = DEFAULT_SHOWN
) -> list[str]:
    """One line per problem, ``Outcomes!F12: message``, at most ``limit`` of them and
    then a line counting the rest."""
    return cap([str(p) for p in locate_problems(problems, cells)], limit)


def cap(lines: list[str], limit: int = DEFAULT_SHOWN) -> list[str]:
    """The first ``limit`` lines and, if there were more, how many were left out."""
    if len(lines) <= limit:
        return lines
    rest = len(lines) - limit
    return [*lines[:limit], f"... and {rest:,} more problem{'s' if rest != 1 else ''} not shown"]


def problem_lines(exc: InvalidInput, limit: int = DEFAULT_SHOWN) -> list[str]:
    """The lines to show for any input error: located and capped for a workbook."""
    return cap([str(p) for p in exc.problems], limit)
