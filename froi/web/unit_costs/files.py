"""Reading an uploaded unit cost table (CSV or .xlsx) and checking it with the engine.

A CSV file is read as ``unit_costs/*.csv`` are (UTF-8, the header on line 1); a
workbook's sheet named UnitCosts, or else its first sheet, is read with python-calamine,
its header being the first row with anything in it.  Headers match the engine's column
names ignoring case, spaces and punctuation (``Confidence grade`` is
``confidence_grade``), as the input workbook reader matches them.

Every row is checked by the engine's own ``validate_rows``, the rule the command line
and a run apply to a table.  An unknown column is reported *and* the rows are still
checked on the known columns, so one upload shows every problem at once: each with the
file, sheet, row and field, and what would be accepted.
"""

from __future__ import annotations

import csv
import math
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook

from calculator import unit_costs as uc
from calculator.errors import InvalidInput, Problem
from calculator.prices import DeflatorTable
from calculator.provenance import read_csv_rows
from froi.workbook.grid import norm
from froi.workbook.limits import DEFAULT_LIMITS
from froi.workbook.package import open_package

from ..core import models
from ..core.reference import ROW_ATTRIBUTES

#: The sheet a workbook's unit costs are read from, if it has one (else the first sheet).
SHEET = "UnitCosts"
_BY_NORM = {norm(c): c for c in uc.COLUMNS}


@dataclass(frozen=True)
class FileProblem:
    """A problem with an uploaded table, located by file, sheet, row and field."""

    message: str
    file: str
    sheet: str | None = None
    row: int | None = None
    field: str | None = None

    def where(self) -> str:
        parts = [f"file '{self.file}'"]
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"


@dataclass(frozen=True)
class ReadTable:
    """An uploaded table as checked: its typed rows and hash, or its problems."""

    rows: pd.DataFrame
    sha256: str
    problems: list[FileProblem]
    sheet: str | None = None


def _header(cells: list[Any]) -> list[str]:
    """Each header cell as its engine column name if it matches one, else as written."""
    out = []
    for cell in cells:
        text = "" if cell is None else str(cell).strip()
        out.append(_BY_NORM.get(norm(text), text))
    return out


def _cell(value: Any) -> Any:
    """A calamine cell as the engine reads it: whole numbers as ints, dates as text."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _records(
    header: list[str], rows: list[tuple[int, list[Any]]]
) -> list[tuple[int, dict[str, Any]]]:
    records = []
    for number, cells in rows:
        if not any(str(c).strip() for c in cells if c is not None):
            continue
        records.append((number, {h: _cell(c) for h, c in zip(header, cells, strict=False) if h}))
    return records


def read_csv(
    data: bytes, file: str
) -> tuple[list[str], list[tuple[int, dict[str, Any]]], list[Problem]]:
    """A CSV upload read by the engine's own ``read_csv_rows`` (as ``unit_costs/*.csv``
    are: a row with more cells than the header is a problem), its headers then matched."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(data)
        try:
            written, rows, problems = read_csv_rows(path)
        except csv.Error as exc:  # a cell over the csv module's field limit, say
            raise InvalidInput([Problem(f"cannot be read as CSV: {exc}")], file) from None
    header = _header(list(written))
    names = dict(zip(written, header, strict=True))
    records = [(n, {names[k]: v for k, v in r.items() if names[k]}) for n, r in rows]
    return header, records, problems


def read_xlsx(
    data: bytes, file: str
) -> tuple[str, int, list[str], list[tuple[int, dict[str, Any]]]]:
    """The UnitCosts (else first) sheet: its title, header row, header and records."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.xlsx"
        path.write_bytes(data)
        open_package(path, DEFAULT_LIMITS, file)  # refuses damaged files and zip bombs
        try:
            book = CalamineWorkbook.from_path(str(path))
            names = book.sheet_names
            title = next((n for n in names if norm(n) == norm(SHEET)), names[0])
            grid = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except (CalamineError, IndexError, ValueError) as exc:
            raise InvalidInput([Problem(f"cannot be read as a workbook: {exc}")], file) from None
    start = next((i for i, r in enumerate(grid) if any(str(c).strip() for c in r)), None)
    if start is None:
        return title, 1, [], []
    header = _header(grid[start])
    rows = [(i + 1, list(grid[i])) for i in range(start + 1, len(grid))]
    return title, start + 1, header, _records(header, rows)


def check_table(data: bytes, file: str, deflators: DeflatorTable) -> ReadTable:
    """Read and check an uploaded table; every problem is returned, nothing raised."""
    sheet = None
    header_row = 1
    read: list[Problem] = []
    try:
        if file.lower().endswith((".xlsx", ".xlsm")):
            sheet, header_row, header, records = read_xlsx(data, file)
        else:
            header, records, read = read_csv(data, file)
    except InvalidInput as exc:
        return ReadTable(empty_rows(), "", [FileProblem(p.message, file) for p in exc.problems])
    if not header:
        return ReadTable(empty_rows(), "", [FileProblem("is empty: it has no header row", file)])
    _, found = uc.validate_rows(
        records, header, file=file, deflators=deflators, header_row=header_row
    )
    problems = [_located(p, file, sheet) for p in (*read, *found)]
    known = [h for h in header if h in uc.COLUMNS]
    header_fatal = any("unknown column" not in p.message for p in found)
    frame = empty_rows()
    if not header_fatal:
        frame, found = uc.validate_rows(
            [(n, {k: v for k, v in r.items() if k in known}) for n, r in records],
            known,
            file=file,
            deflators=deflators,
            row_label="row",
            header_row=header_row,
        )
        problems += [_located(p, file, sheet) for p in found]
    if not problems:
        problems += _too_long(frame, file, sheet)
    if not problems and frame.empty:
        problems.append(FileProblem("has a header but no rows of unit costs", file, sheet))
    digest = "" if problems else uc.table_hash(frame)
    return ReadTable(frame, digest, problems, sheet)


def _too_long(frame: pd.DataFrame, file: str, sheet: str | None) -> list[FileProblem]:
    """A problem per cell too long for its column (PostgreSQL would refuse to save it)."""
    problems = []
    for code, row in frame.reset_index().set_index("code", drop=False).iterrows():
        for field, value in row.items():
            why = long_cell(str(field), value)
            if why:
                problems.append(FileProblem(f"unit cost '{str(code)[:60]}': {why}", file, sheet))
    return problems


def long_cell(column: str, value: Any) -> str | None:
    """Why a unit cost cell is too long for its database column, or None."""
    limit = models.column_length(models.UnitCostRow, ROW_ATTRIBUTES[column])
    why = models.too_long(value, limit)
    return f"{column} {why}" if why else None


def _located(problem: Problem, file: str, sheet: str | None) -> FileProblem:
    return FileProblem(problem.message, file, sheet, problem.row, problem.field)


def empty_rows() -> pd.DataFrame:
    """A table with no rows, typed as ``validate_rows`` types one."""
    frame = pd.DataFrame(columns=list(uc.COLUMNS[1:]))
    frame.index.name = "code"
    return frame
