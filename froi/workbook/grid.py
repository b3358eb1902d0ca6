"""One sheet's values as a frame of fields: header, blank rows, merged cells, types.

calamine returns a sheet as a list of rows (``skip_empty_area=False``, so list position
``i`` is Excel row ``i + 1``).  :func:`read_grid` finds the header, matches it to the
fields, builds one pandas column per recognised field and works on whole columns from
then on: blank rows are found from each column's distinct values (``pd.factorize``),
merged ranges are applied as one gather per column, and a column of numbers with blanks
becomes float64 so the engine's numeric checks take their array path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from calculator.fields import Field

from .blanks import blank_and_codes, is_filled
from .cells import Sink, reference
from .headers import match_header, report_headerless, report_unknown
from .layout import Sheet
from .names import norm as norm  # re-exported: froi.web.unit_costs matches headers with it
from .package import SheetPart, column_letter

NUMERIC_KINDS = ("number", "integer", "rate")


@dataclass
class Grid:
    """A sheet read into columns: only the rows that hold something, with their numbers."""

    sheet: Sheet
    title: str
    header_row: int  # Excel row of the header; 0 when the sheet is empty
    columns: dict[str, int]  # recognised field -> 1-based column
    frame: pd.DataFrame  # one column per recognised field that holds anything
    row_numbers: npt.NDArray[np.int64]  # Excel row of each frame row
    missing: list[str] = field(default_factory=list)  # required columns not found
    misspelt: list[str] = field(default_factory=list)  # fields a misspelt header stands for

    @property
    def data_rows(self) -> int:
        return len(self.frame)


def as_numbers(
    column: npt.NDArray[Any],
    blank: npt.NDArray[np.bool_],
    codes: npt.NDArray[np.intp],
    values: list[Any],
) -> pd.Series:
    """The column as float64 (NaN for blanks) if every other cell is a number, else as is.

    Text ("45%", "n/a") and true/false stay for the engine to read or refuse by name.
    """
    numeric = [isinstance(v, int | float) and not isinstance(v, bool) for v in values]
    if not all(n or not is_filled(v) for n, v in zip(numeric, values, strict=True)):
        return pd.Series(column, dtype=object)
    table = np.array([float(v) if n else np.nan for n, v in zip(numeric, values, strict=True)])
    out = np.append(table, np.nan)[codes]
    out[blank] = np.nan
    return pd.Series(out, dtype=np.float64)


def _column(
    cells: pd.Series, numeric: bool
) -> tuple[pd.Series | None, npt.NDArray[np.bool_] | None]:
    """A sheet column as the engine's raw column and its blank cells (None: no blanks).

    A column of numbers only (calamine gives a blank as '', so such a column has no
    blanks) is converted in one C pass.  A column that is all '' is found with one
    comparison and is None (the engine reads an absent column as blank); anything else
    is factorised once for its blanks (and, for a number field, read as numbers if only
    numbers and blanks are there).
    """
    raw = cells.to_numpy()  # a view: the table is object already
    kind = pd.api.types.infer_dtype(raw, skipna=False)
    if kind in ("floating", "integer", "mixed-integer-float"):
        return pd.Series(raw.astype(np.float64)), None
    if kind == "string" and len(raw) and not raw[0]:
        empty = np.asarray(raw == "", dtype=bool)
        if empty.all():
            return None, empty
    blank, codes, values = blank_and_codes(raw)
    if blank.all():
        return None, blank
    if numeric and codes is not None:
        return as_numbers(raw, blank, codes, values), blank
    return pd.Series(raw, dtype=object), blank


def read_grid(
    sheet: Sheet,
    part: SheetPart,
    values: list[list[Any]],
    origin: tuple[int, int],
    merged: list[Any],
    fields: tuple[Field, ...] | tuple[str, ...],
    sink: Sink,
) -> Grid:
    """The sheet's recognised columns and non-blank rows (see the module docstring).

    ``values`` are calamine's rows from ``origin`` (0-based row and column of the first
    cell it returned); merged ranges are in absolute 0-based coordinates.
    """
    title = part.name
    top, left = origin
    names = [f if isinstance(f, str) else f.name for f in fields]
    kinds = {f.name: f.kind for f in fields if isinstance(f, Field)}
    required = [f.name for f in fields if isinstance(f, Field) and f.required]
    header = next((i for i, row in enumerate(values) if any(is_filled(v) for v in row)), None)
    empty = np.empty(0, dtype=np.int64)
    if header is None:
        return Grid(sheet, title, 0, {}, pd.DataFrame(), empty)
    header_row = top + header + 1
    columns, unknown = match_header(sheet, title, header_row, left, values[header], names, sink)
    width = len(values[header])
    count = len(values) - header - 1
    # object columns as calamine gave them: each column is inferred once, below
    table = pd.DataFrame(values[header + 1 :] if count else [], columns=range(width), dtype=object)
    numbers = np.arange(header_row + 1, header_row + 1 + count, dtype=np.int64)
    if not columns:
        if count:
            sink.add(
                f"row {header_row} should hold the column names ({', '.join(names)}); none "
                "of its cells is one, so nothing on this sheet was read",
                sheet.name,
                title,
                header_row,
            )
        return Grid(sheet, title, header_row, {}, pd.DataFrame(), empty)
    read = {
        name: _column(table[j - left - 1], kinds.get(name) in NUMERIC_KINDS)
        for name, j in columns.items()
    }
    masks = [blank for _, blank in read.values()]
    if count == 0 or any(m is None for m in masks):
        keep = np.ones(count, dtype=bool)
    else:
        keep = ~np.logical_and.reduce([m for m in masks if m is not None])
    present = set(columns)
    taken_for = {
        report_unknown(sheet, title, header_row, left + j + 1, text, table[j], names, present, sink)
        for j, text in unknown
    }
    for j in range(width):
        if not is_filled(values[header][j]):
            report_headerless(sheet, title, header_row, left + j + 1, table[j], sink)
    sources = _merges(sheet, title, header_row, columns, merged, origin, count, sink)
    frame: dict[str, pd.Series] = {}
    for name, (column, _) in read.items():
        if column is None:
            if name not in sources:
                continue
            column = pd.Series(table[columns[name] - left - 1].to_numpy(dtype=object))
        if name in sources:
            column = column.iloc[sources[name]].reset_index(drop=True)
        frame[name] = column if keep.all() else column[keep].reset_index(drop=True)
    kept = int(keep.sum())
    for name, kind in kinds.items():  # blank number columns as NaN: the engine's fast path
        if kind in NUMERIC_KINDS and name not in frame and name in columns and kept:
            frame[name] = pd.Series(np.full(kept, np.nan))
    missing = [r for r in required if r not in columns] if kept else []
    for name in missing:
        if name in taken_for:
            continue  # the header taken for it is reported with the field's name
        sink.add(
            f"required column '{name}' is missing; add a column headed {name}",
            sheet.name,
            title,
            header_row,
            None,
            list_name=sheet.list_name,
            field_name=name,
        )
    return Grid(
        sheet,
        title,
        header_row,
        columns,
        pd.DataFrame(frame, index=pd.RangeIndex(kept), copy=False),  # no block copies
        numbers[keep],
        missing,
        sorted(f for f in taken_for if f is not None),
    )


def _merges(
    sheet: Sheet,
    title: str,
    header_row: int,
    columns: dict[str, int],
    merged: list[Any],
    origin: tuple[int, int],
    count: int,
    sink: Sink,
) -> dict[str, npt.NDArray[np.intp]]:
    """Check merged ranges; for each column with vertical merges, the row each of its
    rows takes its value from (the first row of the range covering it)."""
    fields = {c: n for n, c in columns.items()}
    sources: dict[str, npt.NDArray[np.intp]] = {}
    filled: dict[str, list[str]] = {}
    for (r0, c0), (r1, c1) in merged:
        first_row, last_row = r0 + 1, r1 + 1  # Excel numbering
        if last_row < header_row:
            continue  # a title above the header
        covered = [fields[c + 1] for c in range(c0, c1 + 1) if c + 1 in fields]
        if not covered:
            continue
        where = f"{column_letter(c0 + 1)}{first_row}:{column_letter(c1 + 1)}{last_row}"
        cell = f"{reference(title, c0 + 1, first_row)}:{column_letter(c1 + 1)}{last_row}"
        if c1 > c0:
            others = ", ".join(covered) if len(covered) > 1 else covered[0] + " and another"
            sink.add(
                f"cells {where} are merged across the columns {others}; a value belongs to "
                "one column, so unmerge them and type each value in its own cell",
                sheet.name,
                title,
                first_row,
                c0 + 1,
                list_name=sheet.list_name,
                field_name=covered[0],
                cell=cell,
            )
            continue
        if first_row <= header_row:
            sink.add(
                f"cells {where} merge the header with the rows below it; unmerge them",
                sheet.name,
                title,
                first_row,
                c0 + 1,
                cell=cell,
            )
            continue
        first = first_row - header_row - 1  # position among the data rows
        last = min(last_row - header_row - 1, count - 1)
        if last <= first:
            continue
        name = covered[0]
        source = sources.setdefault(name, np.arange(count, dtype=np.intp))
        source[first + 1 : last + 1] = first
        filled.setdefault(name, []).append(where)
    for name, ranges in filled.items():
        shown = ", ".join(ranges[:10])
        more = f" and {len(ranges) - 10} more" if len(ranges) > 10 else ""
        sink.add(
            f"merged cells {shown}{more} in column {name}: each row a range covers is read "
            "with the value of its first cell",
            sheet.name,
            title,
            header_row,
            columns[name],
            severity="warning",
        )
    return sources
