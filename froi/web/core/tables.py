"""Tables of figures, declared once for the page and for the CSV download.

A :class:`Table` holds the rows of a stored run and a declaration of its columns (what
each is called and how its figures read).  The page shows the cells formatted (£1,234,
"£1.84 per £1"); the CSV carries the same rows at full precision, under the same
headings, so a download can be checked against the page and recomputed in a
spreadsheet.  Text that a spreadsheet would run as a formula is made inert.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .formatting import money, number, percent, ratio

FORMATS: dict[str, Callable[[Any], str]] = {
    "money": money,
    "pence": lambda v: money(v, pence=True),
    "ratio": ratio,
    "percent": lambda v: percent(v, 1),
    "number": lambda v: number(v, 2),
    "year": lambda v: number(v),
    "yes_no": lambda v: "yes" if v else "no",
    "text": lambda v: "" if v is None else str(v),
}
#: Text a spreadsheet would run as a formula if a cell began with it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column: the key of its figure in a row, its heading, and how it reads (FORMATS)."""

    key: str
    heading: str
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "yes_no")


@dataclass(frozen=True)
class Table:
    """A table of figures, shown as HTML and downloadable as CSV."""

    name: str
    caption: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]

    def cells(self) -> list[list[str]]:
        return [[FORMATS[c.kind](row.get(c.key)) for c in self.columns] for row in self.rows]

    def csv(self) -> str:
        """Raw figures (full precision) under the same headings; text made formula-safe."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.heading for c in self.columns])
        for row in self.rows:
            writer.writerow([_csv_cell(row.get(c.key)) for c in self.columns])
        return out.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else value
