"""A sheet's header row: which field each column is, and what is said about the others.

Headers are matched to the sheet's fields through :func:`froi.workbook.names.header_lookup`
(case, spaces and punctuation ignored, in any order).  A header that matches no field is
never passed over in silence, and a slip that would change the figures stops the run:

- close to a field of the sheet that the header row lacks (``deadwieght``, ``sucess``,
  ``Unit cost cod``; :func:`froi.workbook.names.nearest`): an error at the header cell
  that suggests the field, since the values under it would otherwise be left out and
  the field take its default (a deadweight of 0 instead of the one typed);
- the name of a field of another input sheet (``cohort`` on Costs): an error saying
  where the field belongs;
- anything else (``notes``, ``checked by``): a warning naming the column and its cell;
  the column stays and is not read.  So does a column with values but no header.

Settings and UnitCosts are not "another sheet" for the second rule: their fields are
everyday words (name, value, source, notes) that a notes column may well be headed with.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .blanks import count_filled, is_filled
from .cells import Sink
from .layout import SHEETS, Sheet
from .names import header_key, header_lookup, nearest
from .package import column_letter

#: Where else a header may belong: the sheets of project data (not Settings, UnitCosts).
DATA_SHEETS = tuple(s for s in SHEETS if s.name not in ("Settings", "UnitCosts"))
KEEP_NOTES = "(a column that is not an input, such as notes, can stay and is reported but not read)"


def match_header(
    sheet: Sheet,
    title: str,
    header_row: int,
    left: int,
    cells: list[Any],
    names: list[str],
    sink: Sink,
) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Each field's column (absolute, 1-based) and the headers that are no field
    (position in ``cells``, text); a field headed twice is an error at the second."""
    lookup = header_lookup(names)
    columns: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    for j, text in enumerate(cells):
        if not is_filled(text):
            continue
        name = lookup.get(header_key(text))
        if name is None:
            unknown.append((j, str(text).strip()))
        elif name in columns:
            sink.add(
                f"column '{str(text).strip()}' repeats {name} (column "
                f"{column_letter(columns[name])}); keep one",
                sheet.name,
                title,
                header_row,
                left + j + 1,
                list_name=sheet.list_name,
                field_name=name,
            )
        else:
            columns[name] = left + j + 1
    return columns, unknown


def suggested_field(text: str, names: list[str], present: set[str]) -> str | None:
    """The field of the sheet, not yet in the header row, that ``text`` is a slip for."""
    lookup = header_lookup(n for n in names if n not in present)
    key = nearest(header_key(text), lookup)
    return lookup[key] if key is not None else None


def sheets_with_field(text: str, sheet: Sheet) -> list[str]:
    """The other data sheets that have a field headed ``text``."""
    key = header_key(text)
    return [
        s.name
        for s in DATA_SHEETS
        if s.name != sheet.name and key in header_lookup(f.name for f in s.fields)
    ]


def report_unknown(
    sheet: Sheet,
    title: str,
    header_row: int,
    column: int,
    text: str,
    cells: pd.Series,
    names: list[str],
    present: set[str],
    sink: Sink,
) -> str | None:
    """Report a header that is no field (see the module docstring); the field it was
    taken for when it is an error that suggests one."""
    where = (sheet.name, title, header_row, column)
    field = suggested_field(text, names, present)
    if field is not None:
        sink.add(
            f"the column '{text}' is not a field of {sheet.name}; did you mean {field}? "
            f"Rename the header to {field} {KEEP_NOTES}",
            *where,
            list_name=sheet.list_name,
            field_name=field,
        )
        return field
    elsewhere = sheets_with_field(text, sheet)
    if elsewhere:
        owners = " and ".join(
            [", ".join(elsewhere[:-1]), elsewhere[-1]] if elsewhere[1:] else elsewhere
        )
        target = f"the {elsewhere[0]} sheet" if len(elsewhere) == 1 else "the sheet it belongs on"
        sink.add(
            f"the column '{text}' is a field of {owners}, not of {sheet.name}, so it is not "
            f"read here; move it to {target} {KEEP_NOTES}",
            *where,
        )
        return None
    filled = count_filled(cells)
    held = "its value is" if filled == 1 else f"its {filled:,} values are" if filled else "it is"
    sink.add(
        f"column '{text}' is not an input field, so {held} ignored; {sheet.name} has the "
        f"columns {', '.join(names)}",
        *where,
        severity="warning",
    )
    return None


def report_headerless(
    sheet: Sheet, title: str, header_row: int, column: int, cells: pd.Series, sink: Sink
) -> None:
    """A column with values but no header: a warning at its header cell."""
    filled = count_filled(cells)
    if filled:
        sink.add(
            f"column {column_letter(column)} has {filled:,} value{'s' if filled != 1 else ''} "
            f"but no header, so {'they are' if filled != 1 else 'it is'} ignored",
            sheet.name,
            title,
            header_row,
            column,
            severity="warning",
        )
