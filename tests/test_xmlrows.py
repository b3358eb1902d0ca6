"""Blocks of cells written as XML (froi.workbook.xmlrows): the same cells as XlsxWriter's
own writer, spilled or not, merged with other cells of their rows, overlaps refused."""

from __future__ import annotations

import math
import os
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from froi.workbook import xmlrows
from froi.workbook.xmlrows import Block, formula_cells, number_cells, text_cells

ROWS = 7
NUMBERS = [1.5, math.nan, -2.0, 1e-17, 123456789.123456789, 0.0, None]
TEXTS = ["plain", None, "a < b & c > d", "two\nlines", "=1+1", "", "£ and ≥"]
FORMULAS = ["A2*2", None, 'IF(A4<0,"neg","pos")', "SUM(A2:A8)", 'A6&"x"', "1/0", "B2"]
CACHED = [3.0, "", "neg", 123456788.62, "x", "#DIV/0!", "plain"]


def _by_block(path: Path) -> None:
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("S")
    fmt = book.add_format({"num_format": "0.00"})
    ws.write_string(0, 0, "header")
    block = Block(ws, 1, ROWS)
    block.put(0, number_cells("A", block.numbers, NUMBERS, fmt))
    block.put(1, text_cells(ws, "B", block.numbers, TEXTS))
    block.put(2, formula_cells("C", block.numbers, FORMULAS, CACHED, fmt))
    ws.write_string(3, 4, "beside the block")  # another cell in a block row, column E
    ws.write_number(ROWS + 2, 0, 99.0)  # a row after the block
    book.close()


def _by_xlsxwriter(path: Path) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    ws = book.add_worksheet("S")
    fmt = book.add_format({"num_format": "0.00"})
    ws.write_string(0, 0, "header")
    for i in range(ROWS):
        n, t, f, v = NUMBERS[i], TEXTS[i], FORMULAS[i], CACHED[i]
        if n is not None and n == n:
            ws.write_number(1 + i, 0, n, fmt)
        if t is not None:
            ws.write_string(1 + i, 1, t)
        if f is not None:
            ws.write_formula(1 + i, 2, f, fmt, v)
    ws.write_string(3, 4, "beside the block")
    ws.write_number(ROWS + 2, 0, 99.0)
    book.close()


def _cells(path: Path, values: bool) -> list[tuple[object, ...]]:
    ws = openpyxl.load_workbook(path, data_only=values)["S"]
    return [
        (c.coordinate, c.value, c.data_type, c.number_format)
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    ]


@pytest.mark.parametrize("spill", [False, True])
def test_a_block_holds_what_xlsxwriter_would_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spill: bool
) -> None:
    if spill:
        monkeypatch.setattr(xmlrows, "SPILL_ROWS", 2)
    _by_block(tmp_path / "block.xlsx")
    _by_xlsxwriter(tmp_path / "plain.xlsx")
    for values in (False, True):  # the formulas, then their cached values
        assert _cells(tmp_path / "block.xlsx", values) == _cells(tmp_path / "plain.xlsx", values)
    assert _cells(tmp_path / "block.xlsx", True)[-1] == ("A10", 99, "n", "General")


def test_spilled_columns_are_closed_when_the_workbook_is_stored_or_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xmlrows, "SPILL_ROWS", 2)
    before = len(os.listdir("/proc/self/fd"))
    _by_block(tmp_path / "block.xlsx")
    assert len(os.listdir("/proc/self/fd")) == before
    book = xlsxwriter.Workbook(str(tmp_path / "dropped.xlsx"))
    ws = book.add_worksheet("S")
    block = Block(ws, 1, 3)
    block.put(0, number_cells("A", block.numbers, [1.0, 2.0, 3.0], None))
    assert len(os.listdir("/proc/self/fd")) == before + 1
    xmlrows.discard(book)  # writing failed before the workbook was stored
    assert len(os.listdir("/proc/self/fd")) == before


def test_overlapping_blocks_and_bad_columns_are_refused(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "bad.xlsx"))
    ws = book.add_worksheet("S")
    block = Block(ws, 1, 3)
    with pytest.raises(ValueError, match="2 cells for a block of 3 rows"):
        block.put(0, ["", ""])
    block.put(0, number_cells("A", block.numbers, [1.0, 2.0, 3.0], None))
    with pytest.raises(ValueError, match="written twice"):
        block.put(0, ["", "", ""])
    with pytest.raises(ValueError, match="infinite"):
        number_cells("B", block.numbers, [1.0, math.inf, 0.0], None)
    with pytest.raises(ValueError, match="32,767"):
        text_cells(ws, "B", range(2, 3), ["x" * 40_000])
    with pytest.raises(ValueError, match="rows 4 to 5 overlap a block of rows 2 to 4"):
        Block(ws, 3, 2)
    Block(ws, 4, 2)  # the rows after it
    book.close()


def test_a_block_above_the_first_written_row_keeps_its_rows(tmp_path: Path) -> None:
    """A block whose first rows are blank starts where the sheet's cells start."""
    book = xlsxwriter.Workbook(str(tmp_path / "top.xlsx"))
    ws = book.add_worksheet("S")
    block = Block(ws, 0, 5)
    block.put(0, number_cells("A", block.numbers, [math.nan, math.nan, 3.0, 4.0, 5.0], None))
    book.close()
    assert _cells(tmp_path / "top.xlsx", True) == [
        ("A3", 3, "n", "General"),
        ("A4", 4, "n", "General"),
        ("A5", 5, "n", "General"),
    ]


def test_a_cell_written_again_replaces_the_blocks_and_rows_past_excels_last_are_refused(
    tmp_path: Path,
) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "twice.xlsx"))
    ws = book.add_worksheet("S")
    with pytest.raises(ValueError, match="10 rows from row 1,048,571 go past Excel's last row"):
        Block(ws, 1_048_570, 10)
    block = Block(ws, 1, 2)
    block.put(0, number_cells("A", block.numbers, [1.0, 2.0], None))
    block.put(2, number_cells("C", block.numbers, [5.0, 6.0], None))
    ws.write_number(1, 0, 99.0)  # as XlsxWriter does, the last write wins
    ws.write_number(1, 1, 7.0)
    book.close()
    assert _cells(tmp_path / "twice.xlsx", True) == [
        ("A2", 99, "n", "General"),
        ("B2", 7, "n", "General"),
        ("C2", 5, "n", "General"),
        ("A3", 2, "n", "General"),
        ("C3", 6, "n", "General"),
    ]
