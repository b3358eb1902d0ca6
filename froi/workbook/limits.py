"""What a workbook may be before it is read, and the refusals when it is not.

A workbook is an untrusted upload: a zip of XML parts that a spreadsheet program, another
program or an attacker wrote.  Before any part is parsed the reader checks the container
against :class:`WorkbookLimits` (file size, zip directory sizes and compression ratios,
rows and columns a sheet), so a 20 kB zip bomb or a sheet that claims a cell in row
1,048,576 and column XFD is refused in milliseconds instead of exhausting memory (the
fast reader allocates every cell of a sheet's extent at once; see
:mod:`froi.workbook.package`).

Every refusal is an :class:`~calculator.errors.InvalidInput` naming the file, so each
caller (the command line, the web upload, the API) reports it like any other input
problem: one clear sentence saying what the file is, why it cannot be read and what to
do instead.  The precise classes let a caller (and a test) tell the reasons apart.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from calculator.errors import InvalidInput, Problem

MB = 1024 * 1024


@dataclass(frozen=True)
class WorkbookLimits:
    """Limits a workbook must keep to be read (all configurable).

    ``max_rows`` counts a sheet's rows below its header: a sheet may use Excel rows up to
    ``max_rows + 1``.  ``max_columns`` bounds the columns of every input sheet (the widest
    sheet of the layout has 23).  ``max_ratio`` is the largest uncompressed/compressed
    ratio of a zip member larger than ``ratio_floor`` (XML compresses about 10:1; a zip
    bomb 1,000:1); Apache POI uses the same 100:1 default.
    """

    max_bytes: int = 20 * MB
    max_rows: int = 200_000
    max_columns: int = 50
    max_uncompressed_bytes: int = 512 * MB
    max_ratio: float = 100.0
    ratio_floor: int = 1 * MB
    max_members: int = 10_000

    @property
    def last_row(self) -> int:
        """The last Excel row number a sheet may use (the header is row 1)."""
        return self.max_rows + 1


DEFAULT_LIMITS = WorkbookLimits()


class WorkbookRefused(InvalidInput):
    """A file that is not read at all: nothing in it was looked at as input."""

    def __init__(self, file: str, message: str) -> None:
        self.file = file
        self.reason = message
        super().__init__([Problem(message, file=file)], context=file)


class FileTooLarge(WorkbookRefused):
    """The file is larger than ``max_bytes``."""


class NotASpreadsheet(WorkbookRefused):
    """The file is not an .xlsx/.xlsm workbook (an image, a PDF, an old .xls, a CSV...)."""


class EncryptedWorkbook(WorkbookRefused):
    """The workbook is password-protected (an OLE container holding an EncryptedPackage)."""


class CorruptWorkbook(WorkbookRefused):
    """The zip container or one of its XML parts is damaged or not what Excel writes."""


class ZipBomb(WorkbookRefused):
    """The zip directory declares more data, or a higher compression ratio, than allowed."""


class TooManyRows(WorkbookRefused):
    """A sheet uses rows beyond ``max_rows`` below its header."""


class TooManyColumns(WorkbookRefused):
    """A sheet uses columns beyond ``max_columns``."""


class FormulaWithoutValue(WorkbookRefused):
    """Input cells hold formulas with no saved result (the writer did not calculate)."""

    def __init__(self, file: str, cells: list[str]) -> None:
        self.cells = cells
        shown = ", ".join(cells[:10])
        more = f" and {len(cells) - 10} more" if len(cells) > 10 else ""
        super().__init__(
            file,
            f"{shown}{more} hold{'s' if len(cells) == 1 else ''} a formula with no saved "
            "value, so the figure the formula stands for is not in the file (the program "
            "that wrote it does not calculate); open the workbook in Excel or LibreOffice, "
            "let it calculate and save it, or type the values instead of formulas",
        )


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """``--max-megabytes`` and ``--max-rows`` for commands that read workbooks."""
    parser.add_argument(
        "--max-megabytes",
        type=float,
        metavar="MB",
        help=f"largest workbook read (default {DEFAULT_LIMITS.max_bytes // MB} MB)",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        metavar="N",
        help=f"most rows a workbook sheet may have (default {DEFAULT_LIMITS.max_rows:,})",
    )


def limits_from_args(args: argparse.Namespace) -> WorkbookLimits:
    """The limits a command line asked for (defaults where it did not)."""
    megabytes = getattr(args, "max_megabytes", None)
    rows = getattr(args, "max_rows", None)
    return WorkbookLimits(
        max_bytes=DEFAULT_LIMITS.max_bytes if megabytes is None else int(megabytes * MB),
        max_rows=DEFAULT_LIMITS.max_rows if rows is None else rows,
    )
