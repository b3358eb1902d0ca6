"""Cells, formats and long tables of the results workbook (see :mod:`froi.workbook.results`).

Every value goes through one of three doors, so nothing reaches the file by accident:

- text (:meth:`Book.text`, :meth:`Table.texts`, :meth:`Book.value`): always
  ``write_string`` (stored as text, never parsed), and text that begins with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe
  (:func:`neutralise`), the OWASP remedy for formula injection.
  ``write_string`` alone keeps Excel from evaluating the cell, but the characters would
  still become a formula when the cell is edited and confirmed (F2, Enter), copied into a
  CSV file and opened again, or re-written by a script (openpyxl and XlsxWriter's
  ``write()`` both turn a string starting with ``=`` into a formula).  With the
  apostrophe the text is inert in all three.  Numbers are written as numbers and never
  altered; only text is prefixed.
- numbers (:meth:`Table.numbers`, :meth:`Book.value`): ``write_number``; NaN leaves the
  cell blank, as the engine's "not reported".
- formulas (:meth:`Table.formulas`, :meth:`Book.formula`): always with the engine's
  figure as the cached value, so the file opens correct without recalculation.

:class:`Table` lays out one Excel table (header row, filters, frozen header, widths,
landscape print set-up) and knows where each column is, so formulas elsewhere can refer
to its ranges by column name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import MethodType
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellFormulaTuple, CellNumberTuple, CellStringTuple, Worksheet

from ..cells import quote_sheet
from ..writer import (
    FORMULA_TRIGGERS,  # what may start a formula, shared with input sheets
    INPUT_STYLE,
)

#: Number formats by style name (METHOD: money in whole pounds, ratios to two decimals).
NUMBER_FORMATS = {
    "money": "£#,##0",
    "unit_money": "£#,##0.00",
    "ratio": "0.00",
    "percent": "0.0%",
    "rate": "0.00%",
    "count": "#,##0",
    "number": "#,##0.00",
    "integer": "0",
    "factor": "0.000000",
    "index": "0.000",
    "discount_factor": "0.0000",
}
#: What a protected result sheet still allows (XlsxWriter's protect() options).
PROTECTION = {
    "autofilter": True,
    "sort": True,
    "format_columns": True,
    "format_rows": True,
    "select_locked_cells": True,
    "select_unlocked_cells": True,
}
#: Prefixes of the workbook names of tables' columns (:meth:`Table.named`).
NAME_PREFIXES = {
    "Outcome values": "OV",
    "Cost rows": "CR",
    "Years": "YR",
    "Unit costs used": "UC",
    "Summary": "SM",
    "Project agencies": "PA",
}
#: Default column widths (characters) by style.
WIDTHS = {"money": 15, "unit_money": 13, "ratio": 11, "text": 16, "integer": 9}


def neutralise(text: str) -> str:
    """``text`` made inert as a formula: an apostrophe before a leading trigger character.

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-2"), neutralise("Hub")
    ('\\'=HYPERLINK("http://x")', "'-2", 'Hub')
    """
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def is_blank(value: Any) -> bool:
    """None, NaN and pandas' missing values: cells the workbook leaves empty."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return value is pd.NA


def cached(value: Any) -> float | str:
    """A formula's cached value from an engine figure: a number, text, or "" for blank."""
    if is_blank(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return str(value)


def cached_list(values: Iterable[Any]) -> list[Any]:
    """:func:`cached` of each value; a float array converted in one pass (NaN blank)."""
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return ["" if v != v else v for v in values.astype(np.float64).tolist()]
    return [cached(v) for v in values]


_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")


def _escaped(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _write_cell(ws: Any, row: int, col: int, cell: Any) -> None:
    """XlsxWriter's innermost loop, for the three kinds of cell that make up nearly all of
    a large results workbook (a number, a shared string or a formula, with a format of its
    own): the same XML it writes, without its per-cell attribute lists and regular
    expressions.  Any other cell goes through XlsxWriter's own ``_write_cell``."""
    kind, fmt = cell.__class__, cell.format
    if fmt is None or (
        kind is not CellNumberTuple
        and kind is not CellFormulaTuple
        and (kind is not CellStringTuple or ws.constant_memory)
    ):
        Worksheet._write_cell(ws, row, col, cell)
        return
    ref = xl_rowcol_to_cell_fast(row, col)
    if kind is CellNumberTuple:
        ws.fh.write(f'<c r="{ref}" s="{fmt._get_xf_index()}"><v>{cell.number:.16G}</v></c>')
        return
    if kind is CellStringTuple:  # the index of a shared string
        ws.fh.write(f'<c r="{ref}" s="{fmt._get_xf_index()}" t="s"><v>{cell.string}</v></c>')
        return
    value = cell.value
    kind_attr = ""
    if isinstance(value, bool):
        kind_attr, value = ' t="b"', int(value)
    elif isinstance(value, str):
        if value in _ERRORS:
            kind_attr = ' t="e"'
        elif value:
            kind_attr = ' t="str"'
        value = _escaped(value)
    ws.fh.write(
        f'<c r="{ref}" s="{fmt._get_xf_index()}"{kind_attr}>'
        f"<f>{_escaped(cell.formula)}</f><v>{value}</v></c>"
    )


def _write_rows(ws: Any) -> None:
    """XlsxWriter's loop over a sheet's rows, writing the same XML: a row with cells and
    no settings of its own is written here, its cells in column order, without testing
    every column of the sheet's extent; any other row, and any sheet with comments, a
    default row height of its own or Excel 2010 row attributes, goes XlsxWriter's way."""
    if (
        ws.comments
        or ws.constant_memory
        or ws.excel_version == 2010
        or ws.default_row_height != ws.original_row_height
    ):
        Worksheet._write_rows(ws)
        return
    ws._calculate_spans()
    table, info, spans, write = ws.table, ws.row_info, ws.row_spans, ws.fh.write
    name, xfs = xl_rowcol_to_cell_fast, dict[Any, int]()  # a format's style index
    for row in range(ws.dim_rowmin, ws.dim_rowmax + 1):
        cells = table.get(row)
        span = spans.get(row // 16)
        if not cells:
            if row in info:  # a blank row with a height or format of its own
                ws._write_empty_row(row, span, info[row])
            continue
        if row in info:
            ws._write_row(row, span, info[row])
        elif span:
            write(f'<row r="{row + 1}" spans="{span}">')
        else:
            write(f'<row r="{row + 1}">')
        for col in sorted(cells):
            cell = cells[col]
            kind, fmt = cell.__class__, cell.format
            if kind is CellNumberTuple and fmt is not None:  # most cells: _write_cell inline
                xf = xfs.get(fmt)
                if xf is None:
                    xf = xfs[fmt] = fmt._get_xf_index()
                write(f'<c r="{name(row, col)}" s="{xf}"><v>{cell.number:.16G}</v></c>')
            else:
                _write_cell(ws, row, col, cell)
        write("</row>")


def fast_cells(ws: Any) -> None:
    """Write ``ws``'s rows and cells with :func:`_write_rows` and :func:`_write_cell`
    when the workbook is stored."""
    ws._write_cell = MethodType(_write_cell, ws)
    ws._write_rows = MethodType(_write_rows, ws)


def _as_written(formula: str, expand_future_functions: bool = False) -> str:
    """A formula as XlsxWriter stores it: without its leading "="."""
    return formula[1:] if formula.startswith("=") else formula


@dataclass(frozen=True)
class Column:
    """A column of a table: its key (the engine's or METHOD's name), header and style."""

    key: str
    header: str
    style: str = "text"
    width: float | None = None


class Book:
    """An XlsxWriter workbook with the formats every sheet shares."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.formats: dict[str, Any] = {
            name: workbook.add_format({"num_format": fmt}) for name, fmt in NUMBER_FORMATS.items()
        }
        self.formats["text"] = None
        self.formats["general"] = None
        self.header = workbook.add_format(
            {
                "bold": True,
                "text_wrap": True,
                "valign": "top",
                "font_color": "#FFFFFF",
                "bg_color": "#1F4E78",
                "border": 1,
            }
        )
        self.title = workbook.add_format({"bold": True, "font_size": 13})
        self.bold = workbook.add_format({"bold": True})
        self.wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        # an input cell on a result sheet (a project number to chart): the input style,
        # and unlocked, so sheet protection leaves it open
        self.selector = workbook.add_format({**INPUT_STYLE, "num_format": "0", "locked": False})
        self._tables = 0
        self.sheets: dict[str, Any] = {}
        self.names: set[str] = set()

    def name(self, name: str, refers_to: str) -> str:
        """A workbook name for a range or a cell (``Base_year``), defined once."""
        if name not in self.names:
            self.workbook.define_name(name, "=" + refers_to)
            self.names.add(name)
        return name

    def fmt(self, style: str) -> Any:
        return self.formats[style]

    def sheet(self, name: str) -> Any:
        """Add a worksheet (landscape, A4, one page wide); sheets appear in call order."""
        ws = self.workbook.add_worksheet(name)
        # XlsxWriter runs about 28 regular expressions over every formula to add the
        # "_xlfn." prefix to dynamic-array functions.  None is used here and the one newer
        # function (MINIFS) is written prefixed, so formulas are stored as written: the
        # rewrite took 63 of the 69 microseconds a formula costs, half the export of a
        # 1,000-project portfolio.  Should XlsxWriter rename the method, this only makes
        # the export slower again.
        ws._prepare_formula = _as_written
        fast_cells(ws)
        self.sheets[name] = ws
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
        ws.set_footer(f"&L{name}&RPage &P of &N")
        # formulas are locked; no password, so a person can unlock a sheet on purpose
        # (Review > Unprotect Sheet); filters, sorting and widths stay usable
        ws.protect("", PROTECTION)
        return ws

    def table_name(self, stem: str) -> str:
        """A workbook-unique Excel table name (letters and digits only)."""
        self._tables += 1
        return f"tbl{''.join(ch for ch in stem if ch.isalnum())}{self._tables}"

    @staticmethod
    def text(ws: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
        """Text as text, neutralised; blank values leave the cell empty."""
        if not is_blank(value):
            ws.write_string(row, col, neutralise(str(value)), fmt)

    @staticmethod
    def value(ws: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
        """A number, a boolean or text, each written as what it is."""
        if is_blank(value):
            return
        if isinstance(value, bool | np.bool_):
            ws.write_boolean(row, col, bool(value), fmt)
        elif isinstance(value, int | float | np.integer | np.floating):
            ws.write_number(row, col, float(value), fmt)
        else:
            ws.write_string(row, col, neutralise(str(value)), fmt)

    @staticmethod
    def formula(ws: Any, row: int, col: int, formula: str, fmt: Any, value: Any) -> None:
        ws.write_formula(row, col, formula, fmt, cached(value))


class Table:
    """One Excel table on its own sheet (or at ``top`` of a shared one).

    Data rows are ``0 .. rows-1``; they sit in worksheet rows ``top+1 ..``.  A table with
    no rows keeps one empty data row, because Excel tables need one and because ranges
    that formulas elsewhere refer to must not be empty.
    """

    def __init__(
        self,
        book: Book,
        sheet: str,
        columns: Sequence[Column],
        rows: int,
        *,
        top: int = 0,
        freeze_cols: int = 0,
    ) -> None:
        self.book = book
        self.sheet = sheet
        self.columns = list(columns)
        self.rows = rows
        self.top = top
        self.freeze_cols = freeze_cols
        self.index = {c.key: i for i, c in enumerate(self.columns)}
        if len(self.index) != len(self.columns):
            raise ValueError(f"duplicate column keys on sheet {sheet}")
        self.widths = [float(c.width or WIDTHS.get(c.style, 12)) for c in self.columns]
        self._letters = {c.key: str(xl_col_to_name(i)) for i, c in enumerate(self.columns)}

    @property
    def ws(self) -> Any:
        """The worksheet, once :meth:`Book.sheet` has added it (tables are planned first)."""
        return self.book.sheets[self.sheet]

    # -- addresses -------------------------------------------------------------------
    def col(self, key: str) -> int:
        return self.index[key]

    def letter(self, key: str) -> str:
        return self._letters[key]

    def row(self, i: int) -> int:
        """Worksheet row (0-based) of data row ``i``."""
        return self.top + 1 + i

    def at(self, key: str, i: int) -> str:
        """Same-sheet reference to data row ``i`` of column ``key``: ``$C5``."""
        return f"${self.letter(key)}{self.row(i) + 1}"

    def range(self, key: str, *, local: bool = False) -> str:
        """The whole data range of column ``key``: ``Years!$C$2:$C$9`` (``$C$2:$C$9``
        with ``local``, for formulas on the table's own sheet)."""
        letter = self.letter(key)
        first = self.top + 2
        last = self.top + 1 + max(self.rows, 1)
        sheet = "" if local else f"{quote_sheet(self.sheet)}!"
        return f"{sheet}${letter}${first}:${letter}${last}"

    def named(self, key: str) -> str:
        """A workbook name for the data range of column ``key`` (``OV_category`` for the
        Category column of Outcome values), defined on first use: formulas on other
        sheets read shorter and plainer with it, and the file is smaller."""
        prefix = NAME_PREFIXES.get(self.sheet)
        if prefix is None:
            return self.range(key)
        name = f"{prefix}_{key}"
        if name not in self.book.names:
            self.book.workbook.define_name(name, "=" + self.range(key))
            self.book.names.add(name)
        return name

    # -- writing columns -------------------------------------------------------------
    def numbers(self, key: str, values: Iterable[Any]) -> None:
        col, fmt, ws = self.col(key), self.book.fmt(self.columns[self.col(key)].style), self.ws
        if ws.constant_memory:
            write = ws.write_number
            for i, v in enumerate(values):
                if v is not None and v == v:  # NaN is not equal to itself: a blank cell
                    write(self.top + 1 + i, col, float(v), fmt)
            return
        table, top, last = ws.table, self.top + 1, -1
        for i, v in enumerate(values):
            if v is not None and v == v and abs(v) != math.inf:
                table[top + i][col] = CellNumberTuple(float(v), fmt)
                last = i
            elif v is not None and v == v:
                raise ValueError(f"{self.sheet} {key}: {v} is not a number a cell can hold")
        if last >= 0:  # the sheet's extent, as write_number keeps it
            ws._check_dimensions(top, col)
            ws._check_dimensions(top + last, col)

    def texts(self, key: str, values: Iterable[Any]) -> None:
        col, ws = self.col(key), self.ws
        longest = 0
        for i, v in enumerate(values):
            if not is_blank(v):
                text = neutralise(str(v))
                ws.write_string(self.top + 1 + i, col, text)
                longest = max(longest, len(text))
        self.fit(key, longest)

    def formulas(self, key: str, formulas: Iterable[str | None], values: Iterable[Any]) -> None:
        """A formula per row (``None`` leaves the cell blank) with its cached value.

        The cells go straight into XlsxWriter's cell table, as ``write_formula`` would
        put them, without its per-cell checks: the formulas here are plain (no leading
        ``=``, no array or dynamic-array function, see :meth:`Book.sheet`), and the
        sheet's extent is kept once per column.  This halves the cost of a formula cell.
        """
        col, ws = self.col(key), self.ws
        fmt = self.book.fmt(self.columns[col].style)
        if ws.constant_memory:
            write = ws.write_formula
            for i, (f, v) in enumerate(zip(formulas, values, strict=True)):
                if f is not None:
                    write(self.top + 1 + i, col, f, fmt, cached(v))
            return
        table, top, last = ws.table, self.top + 1, -1
        for i, (f, v) in enumerate(zip(formulas, cached_list(values), strict=True)):
            if f is not None:
                table[top + i][col] = CellFormulaTuple(f, fmt, v)
                last = i
        if last >= 0:
            ws._check_dimensions(top, col)
            ws._check_dimensions(top + last, col)

    def fit(self, key: str, longest: int) -> None:
        """Widen a text column to its longest entry (within 8 to 60 characters)."""
        i = self.col(key)
        self.widths[i] = max(self.widths[i], min(60.0, max(8.0, longest * 1.05)))

    # -- finishing -------------------------------------------------------------------
    def finish(self, *, style: str = "Table Style Light 9") -> None:
        """Add the Excel table (header, filters), widths, frozen header and print titles."""
        last_row = self.top + max(self.rows, 1)
        self.ws.add_table(
            self.top,
            0,
            last_row,
            len(self.columns) - 1,
            {
                "name": self.book.table_name(self.sheet),
                "style": style,
                "columns": [
                    {"header": c.header, "header_format": self.book.header} for c in self.columns
                ],
            },
        )
        self.ws.set_row(self.top, 48)
        for i, width in enumerate(self.widths):
            self.ws.set_column(i, i, width)
        if self.top == 0:
            self.ws.freeze_panes(1, self.freeze_cols)
            self.ws.repeat_rows(0)
