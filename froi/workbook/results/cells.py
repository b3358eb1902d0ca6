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
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name, xl_range

from ..cells import quote_sheet
from ..writer import (
    FORMULA_TRIGGERS,  # what may start a formula, shared with input sheets
    INPUT_STYLE,
)
from ..xmlrows import (
    MAX_ROWS,
    Block,
    ColumnRefs,
    formula_cells,
    install,
    number_cells,
    text_cells,
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


def _listed(values: Iterable[Any]) -> Any:
    """``values`` as an array or a list (a Series as its array)."""
    if isinstance(values, pd.Series):
        return values.to_numpy()
    return values if isinstance(values, np.ndarray | list | tuple) else list(values)


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
        # "_xlfn." prefix to newer functions.  None is used here (Excel 2010's functions
        # only), so formulas are stored as written: the
        # rewrite took 63 of the 69 microseconds a formula costs, half the export of a
        # 1,000-project portfolio.  Should XlsxWriter rename the method, this only makes
        # the export slower again.
        ws._prepare_formula = _as_written
        install(ws)
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

    def refs(self) -> dict[str, Sequence[str]]:
        """Same-sheet references to every data row of each column (``refs()["n"][i]`` is
        ``at("n", i)``), each column's made when first asked for."""
        first = self.top + 2
        return ColumnRefs(lambda key: f"${self.letter(key)}", range(first, first + self.rows))

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
    # Each column is rendered at once into the sheet's XML and kept with the table's block
    # of rows (:mod:`froi.workbook.xmlrows`): no cell objects, and a large table's columns
    # wait in temporary files, not memory.
    @property
    def block(self) -> Block:
        """The table's data rows as a block of cells (made on the first column written)."""
        found: Block | None = self.__dict__.get("_block")
        if found is None:
            found = self.__dict__["_block"] = Block(self.ws, self.top + 1, self.rows)
        return found

    def numbers(self, key: str, values: Iterable[Any]) -> None:
        """Numbers; NaN and None leave a cell blank."""
        col, block = self.col(key), self.block
        fmt = self.book.fmt(self.columns[col].style)
        try:
            array = np.asarray(_listed(values), dtype=np.float64)
        except (TypeError, ValueError):
            array = np.asarray(
                [math.nan if is_blank(v) else float(v) for v in _listed(values)], dtype=np.float64
            )
        try:
            block.put(col, number_cells(block.letter(col), block.numbers, array, fmt))
        except ValueError as exc:
            raise ValueError(f"{self.sheet} {key}: {exc}") from None

    def texts(self, key: str, values: Iterable[Any]) -> None:
        """Text, neutralised (:func:`neutralise`); blank values leave a cell blank."""
        col, block = self.col(key), self.block
        texts = [None if is_blank(v) else neutralise(str(v)) for v in _listed(values)]
        block.put(col, text_cells(self.ws, block.letter(col), block.numbers, texts))
        self.fit(key, max((len(t) for t in texts if t is not None), default=0))

    def formulas(self, key: str, formulas: Iterable[str | None], values: Iterable[Any]) -> None:
        """A formula per row (``None`` leaves the cell blank) with its cached value.

        The formulas here are plain (no leading ``=``, no array or dynamic-array
        function, see :meth:`Book.sheet`) and are stored as written."""
        col, block = self.col(key), self.block
        fmt = self.book.fmt(self.columns[col].style)
        block.put(
            col,
            formula_cells(block.letter(col), block.numbers, formulas, cached_list(values), fmt),
        )

    def fit(self, key: str, longest: int) -> None:
        """Widen a text column to its longest entry (within 8 to 60 characters)."""
        i = self.col(key)
        self.widths[i] = max(self.widths[i], min(60.0, max(8.0, longest * 1.05)))

    # -- finishing -------------------------------------------------------------------
    def finish(self, *, style: str = "Table Style Light 9") -> None:
        """Add the Excel table (header, filters), widths, frozen header and print titles."""
        last_row, last_col = self.top + max(self.rows, 1), len(self.columns) - 1
        if last_row >= MAX_ROWS:
            raise ValueError(
                f"sheet {self.sheet}: {self.rows:,} rows go past Excel's last row ({MAX_ROWS:,})"
            )
        # XlsxWriter's add_table records every cell of the range to refuse overlapping
        # tables: 1.3 million dictionary entries, a second, for a 1,000-project workbook,
        # and gigabytes at the row limit.  The table is added over its header and first
        # row (so it makes the same header cells and definition), then given its full
        # extent; blocks of cells refuse overlaps on their own (froi.workbook.xmlrows).
        self.ws.add_table(
            self.top,
            0,
            self.top + 1,
            last_col,
            {
                "name": self.book.table_name(self.sheet),
                "style": style,
                "columns": [
                    {"header": c.header, "header_format": self.book.header} for c in self.columns
                ],
            },
        )
        table = self.ws.tables[-1]
        full = xl_range(self.top, 0, last_row, last_col)
        assert table["range"] == table["a_range"] == table["autofilter"], table
        table["range"] = table["a_range"] = table["autofilter"] = full
        self.ws._check_dimensions(last_row, last_col, True, True)
        self.ws.set_row(self.top, 48)
        for i, width in enumerate(self.widths):
            self.ws.set_column(i, i, width)
        if self.top == 0:
            self.ws.freeze_panes(1, self.freeze_cols)
            self.ws.repeat_rows(0)
