"""Large blocks of cells written as their XML, column by column, straight into the sheet.

XlsxWriter keeps every cell of a workbook as a tuple in a dictionary until the file is
stored, then writes each one through a chain of calls; a 1,000-project results workbook
(1.3 million cells) spent more than half of its time there, and a workbook at the
reader's row limit held 3.4 GB.  The long tables of a workbook (its echoed input sheets
and its detail tables) are rectangles of rows whose every column is one kind of cell, so
here each column is rendered at once into the XML XlsxWriter itself would write
(``<c r="B7" s="3"><v>12.5</v></c>``) and kept with its block of rows; when the sheet is
stored, :func:`install` makes XlsxWriter write each row of a block by joining its
columns' fragments, and any other row its own way.  A block with many rows keeps its
columns in anonymous temporary files instead of memory (:data:`SPILL_ROWS`), so a
workbook of any size is written in bounded memory.

The XML is the same as XlsxWriter's: numbers with 16 significant digits, text through the
workbook's shared strings, formulas with their cached value (``t="str"`` for text,
``t="e"`` for an error, ``t="b"`` for a boolean), the same style indexes.  The ``spans``
hint of a ``<row>`` is left out for block rows (it is optional, and Excel and LibreOffice
read rows without it).
"""

from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import MethodType
from typing import IO, Any

import numpy as np
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellFormulaTuple, CellNumberTuple, CellStringTuple, Worksheet

#: A block with more rows than this keeps its columns' XML in temporary files, not memory.
SPILL_ROWS = 50_000
#: Excel's last row.
MAX_ROWS = 1_048_576
#: Excel's limit on the characters of a cell's text.
MAX_TEXT = 32_767
ERRORS = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))


def escape(text: str) -> str:
    """``text`` as XML element content: ``&``, ``<`` and ``>`` escaped, and line breaks as
    character references so that a fragment is always one line."""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\n" in text or "\r" in text:
        text = text.replace("\r", "&#13;").replace("\n", "&#10;")
    return text


def style(fmt: Any) -> str:
    """The ``s`` attribute of a format (empty for the default format)."""
    return "" if fmt is None else f' s="{fmt._get_xf_index()}"'


def number_cells(letter: str, rows: Sequence[int], values: Any, fmt: Any) -> list[str]:
    """Number cells of column ``letter`` at sheet rows ``rows`` (1-based); NaN and None
    leave a cell blank; an infinite value raises ``ValueError``."""
    s = style(fmt)
    array = np.asarray(values, dtype=np.float64)
    if np.isinf(array).any():
        raise ValueError("an infinite value is not a number a cell can hold")
    return [
        "" if v != v else f'<c r="{letter}{r}"{s}><v>{v:.16G}</v></c>'
        for r, v in zip(rows, array.tolist(), strict=True)
    ]


def text_cells(ws: Any, letter: str, rows: Sequence[int], texts: Iterable[str | None]) -> list[str]:
    """Text cells through the workbook's shared strings; ``None`` leaves a cell blank."""
    index = ws.str_table._get_shared_string_index
    out = []
    for r, text in zip(rows, texts, strict=True):
        if text is None:
            out.append("")
            continue
        if len(text) > MAX_TEXT:
            raise ValueError(
                f"text of {len(text):,} characters in {letter}{r} (Excel holds 32,767)"
            )
        out.append(f'<c r="{letter}{r}" t="s"><v>{index(text)}</v></c>')
    return out


def cached_xml(value: Any) -> tuple[str, str]:
    """A formula's cached value as (``t`` attribute, ``<v>`` content)."""
    if isinstance(value, bool):
        return ' t="b"', str(int(value))
    if isinstance(value, str):
        if not value:
            return "", ""
        if value in ERRORS:
            return ' t="e"', value
        return ' t="str"', escape(value)
    number = float(value)
    if number != number or math.isinf(number):
        return "", ""
    return "", f"{number:.16G}"


def formula_cells(
    letter: str,
    rows: Sequence[int],
    formulas: Iterable[str | None],
    values: Iterable[Any],
    fmt: Any,
) -> list[str]:
    """Formula cells (written as given, without a leading ``=``) with their cached values;
    ``None`` for a formula leaves the cell blank."""
    s = style(fmt)
    formulas = list(formulas)
    seen = "\x00".join(f for f in formulas if f is not None)
    if any(ch in seen for ch in "&<>\n\r"):  # escaping checked once for the column
        formulas = [None if f is None else escape(f) for f in formulas]
    out = []
    for r, f, v in zip(rows, formulas, values, strict=True):
        if f is None:
            out.append("")
        elif v.__class__ is float:  # most cells: a finite number (NaN and inf: blank)
            body = f"{v:.16G}" if v == v and v - v == 0 else ""
            out.append(f'<c r="{letter}{r}"{s}><f>{f}</f><v>{body}</v></c>')
        else:
            t, body = cached_xml(v)
            out.append(f'<c r="{letter}{r}"{s}{t}><f>{f}</f><v>{body}</v></c>')
    return out


class Block:
    """Rows ``first .. first + rows - 1`` (0-based) of a worksheet, written column by
    column (:meth:`put`) and stored row by row when the workbook is closed."""

    def __init__(self, ws: Any, first: int, rows: int) -> None:
        if first + rows > MAX_ROWS:
            raise ValueError(
                f"sheet {ws.name}: {rows:,} rows from row {first + 1:,} go past Excel's last "
                f"row ({MAX_ROWS:,})"
            )
        self.ws = ws
        self.first = first
        self.rows = rows
        self.columns: dict[int, list[str] | IO[str]] = {}
        for other in blocks(ws):
            if self.first < other.first + other.rows and other.first < self.first + rows:
                raise ValueError(
                    f"sheet {ws.name}: rows {first + 1} to {first + rows} overlap a block of "
                    f"rows {other.first + 1} to {other.first + other.rows}"
                )
        blocks(ws).append(self)

    @property
    def numbers(self) -> range:
        """The block's sheet row numbers as Excel shows them (1-based)."""
        return range(self.first + 1, self.first + self.rows + 1)

    @staticmethod
    def letter(col: int) -> str:
        return str(xl_col_to_name(col))

    def put(self, col: int, fragments: list[str]) -> None:
        """Column ``col``'s cells, one fragment per row ("" for a blank cell)."""
        if len(fragments) != self.rows:
            raise ValueError(f"{len(fragments)} cells for a block of {self.rows} rows")
        if col in self.columns:
            raise ValueError(f"column {col} of rows {self.first + 1}.. written twice")
        if any(fragments):
            first = next(i for i, f in enumerate(fragments) if f)
            last = self.rows - 1 - next(i for i, f in enumerate(reversed(fragments)) if f)
            self.ws._check_dimensions(self.first + first, col)
            self.ws._check_dimensions(self.first + last, col)
        if self.rows > SPILL_ROWS:
            spill = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (kept open)
            spill.write("\n".join(fragments))
            spill.write("\n")
            spill.seek(0)
            self.columns[col] = spill
        else:
            self.columns[col] = fragments

    def lines(self) -> Iterator[str]:
        """Each row's cells in column order, joined."""
        sources = [self.columns[c] for c in sorted(self.columns)]
        spilled = any(not isinstance(s, list) for s in sources)
        if not sources:
            yield from ("" for _ in range(self.rows))
            return
        for parts in zip(*sources, strict=True):
            line = "".join(parts)
            yield line.replace("\n", "") if spilled else line

    def close(self) -> None:
        """Let go of the block's cells (its temporary files are deleted)."""
        for source in self.columns.values():
            if not isinstance(source, list):
                source.close()
        self.columns.clear()


def blocks(ws: Any) -> list[Block]:
    """The blocks of a worksheet (made with :class:`Block`); installs :func:`install`."""
    found: list[Block] | None = getattr(ws, "_froi_blocks", None)
    if found is None:
        found = ws._froi_blocks = []
        install(ws)
    return found


def _write_cell(ws: Any, row: int, col: int, cell: Any) -> None:
    """XlsxWriter's innermost loop for a number, a shared string or a formula with a
    format of its own: the same XML, without its per-cell attribute lists and regular
    expressions.  Any other cell goes through XlsxWriter's own ``_write_cell``."""
    kind, fmt = cell.__class__, cell.format
    if fmt is None or (
        kind is not CellNumberTuple and kind is not CellFormulaTuple and kind is not CellStringTuple
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
    t, body = cached_xml(cell.value)
    ws.fh.write(
        f'<c r="{ref}" s="{fmt._get_xf_index()}"{t}><f>{escape(cell.formula)}</f><v>{body}</v></c>'
    )


def _write_rows(ws: Any) -> None:
    """XlsxWriter's loop over a sheet's rows, writing the same XML: block rows joined from
    their columns (with any other cells of the row merged in column order); a row with
    cells and no settings of its own written here, its cells in column order; any other
    row, and any sheet with comments, a default row height of its own or Excel 2010 row
    attributes, XlsxWriter's way (blocks are refused there)."""
    found: list[Block] = getattr(ws, "_froi_blocks", [])
    if (
        ws.comments
        or ws.constant_memory
        or ws.excel_version == 2010
        or ws.default_row_height != ws.original_row_height
    ):
        if found:
            raise ValueError(f"sheet {ws.name}: blocks of cells need a plain sheet")
        Worksheet._write_rows(ws)
        return
    ws._calculate_spans()
    ordered = sorted(found, key=lambda b: b.first)  # never overlapping (Block refuses)
    try:
        _write_block_rows(ws, ordered)
    finally:
        for block in ordered:
            block.close()


def _write_block_rows(ws: Any, ordered: list[Block]) -> None:
    table, info, spans, write = ws.table, ws.row_info, ws.row_spans, ws.fh.write
    name, xfs = xl_rowcol_to_cell_fast, dict[Any, int]()  # a format's style index
    pending = iter(ordered)
    block = next(pending, None)
    lines: Iterator[str] | None = None
    for row in range(ws.dim_rowmin, ws.dim_rowmax + 1):
        while block is not None and row >= block.first + block.rows:
            block, lines = next(pending, None), None
        in_block = block is not None and row >= block.first
        if in_block:
            assert block is not None
            if lines is None:  # (the sheet's first written row may be below the block's)
                lines = itertools.islice(block.lines(), row - block.first, None)
            line = next(lines)
            cells = table.get(row)
            if cells:  # other cells in a block row: merge them in column order
                own = {c: _cell_xml(ws, row, c, cell) for c, cell in cells.items()}
                line = _merge(line, own)
            if not line:
                if row in info:
                    ws._write_empty_row(row, None, info[row])
                continue
            if row in info:  # (no spans: XlsxWriter's leave out the block's cells)
                ws._write_row(row, None, info[row])
                write(line)
            else:
                write(f'<row r="{row + 1}">{line}')
            write("</row>")
            continue
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


def discard(workbook: Any) -> None:
    """Close every block of a workbook's sheets (after it is stored, or when writing it
    failed): their temporary files are deleted now, not when collected."""
    for ws in workbook.worksheets():
        for block in getattr(ws, "_froi_blocks", []):
            block.close()


class RowRefs(Sequence[str]):
    """References ``prefix + row`` for each of ``rows``, made when read: the references
    of a long table's every row would otherwise be millions of strings held at once."""

    __slots__ = ("prefix", "rows")

    def __init__(self, prefix: str, rows: Sequence[int]) -> None:
        self.prefix, self.rows = prefix, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [f"{self.prefix}{r}" for r in self.rows[i]]
        return f"{self.prefix}{self.rows[i]}"


def row_refs(prefix: str, rows: Sequence[int]) -> Sequence[str]:
    """``prefix + row`` for each of ``rows``: a list, or for more than :data:`SPILL_ROWS`
    rows a :class:`RowRefs` that makes each reference when read."""
    if len(rows) > SPILL_ROWS:
        return RowRefs(prefix, rows)
    return [f"{prefix}{r}" for r in rows]


class ColumnRefs(dict[str, Sequence[str]]):
    """References to given rows of named columns (``refs["n"][i]``), each column's made
    by :func:`row_refs` when first asked for: ``prefix(name)`` is what goes before the
    row number (``$C`` on the same sheet, ``Outcomes!$G$`` on another)."""

    def __init__(self, prefix: Callable[[str], str], rows: Sequence[int]) -> None:
        super().__init__()
        self.prefix, self.rows = prefix, rows

    def __missing__(self, name: str) -> Sequence[str]:
        refs = self[name] = row_refs(self.prefix(name), self.rows)
        return refs


def _cell_xml(ws: Any, row: int, col: int, cell: Any) -> str:
    """One XlsxWriter cell's XML, captured from its own writer."""
    original = ws.fh
    parts: list[str] = []

    class _Capture:
        write = staticmethod(parts.append)

    ws.fh = _Capture()
    try:
        _write_cell(ws, row, col, cell)
    finally:
        ws.fh = original
    return "".join(parts)


def _merge(line: str, own: dict[int, str]) -> str:
    """A block row's joined cells with other cells of the row put in column order; a cell
    of the row written on its own replaces the block's cell in its column."""
    cells = [c + "</c>" for c in line.split("</c>") if c]
    keyed = [(xl_cell_to_rowcol(c[6 : c.index('"', 6)])[1], c) for c in cells]
    # a cell written on its own replaces the block's cell there (XlsxWriter's rule: the
    # last write wins; cells are written on their own after the block that holds them)
    keyed = [(col, c) for col, c in keyed if col not in own] + list(own.items())
    return "".join(x for _, x in sorted(keyed, key=lambda kv: kv[0]))


def install(ws: Any) -> None:
    """Write ``ws``'s rows with :func:`_write_rows` (blocks, and the fast path for other
    cells) when the workbook is stored."""
    ws._write_cell = MethodType(_write_cell, ws)
    ws._write_rows = MethodType(_write_rows, ws)
