"""Which sheet of a workbook is which input sheet, and what is said about the others.

A sheet is an input sheet when its name is one of the layout's (:mod:`.layout`) ignoring
case, spaces and punctuation.  No other sheet is read, and none is passed over in
silence, because a renamed sheet would otherwise leave its list empty and change every
figure (``Outcomes 2024`` read as no outcomes gives an FROI of 0):

- a sheet that looks like an input sheet, by its name (a typo or a longer name that
  starts with the input sheet's: ``Outcome``, ``Outcomes 2024``, ``costs1``, ``Costs
  (2)``; :func:`froi.workbook.names.nearest`) or by its headers (its first row with
  anything in it has at least three of an input sheet's field names, and they are at
  least half of that row), is an error naming both, unless the input sheet is there
  too: then the input sheet is read and the look-alike is named in a warning;
- an input sheet the projects need is an error when it is missing (an appraisal
  project needs Costs and Outcomes, a comparison project Costs and ComparisonUsage, a
  case-level project Cases and CaseOutcomes; by the Projects sheet's ``mode``, appraisal
  when blank).  A missing Settings, UnitCosts or Teams sheet means none, as does any
  list sheet no project needs;
- the template's Instructions and Lists sheets are not read and not mentioned;
- a results workbook of this service (:mod:`froi.workbook.results`), which holds its
  inputs in the template's layout, is recognised by its results sheets: they are its
  own outputs, set aside without a word (re-uploading an exported workbook gives no
  warning about them; issue 12), while any other sheet in it is reported as below;
- any other sheet (notes, a budget) is named in a warning as not read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from calculator.fields import MODES

from .blanks import is_filled
from .cells import Sink
from .grid import Grid
from .layout import SHEET_BY_NAME, SHEETS, Sheet
from .names import header_key, header_lookup, nearest, norm
from .package import SheetPart
from .results import ALWAYS_WRITTEN, RESULT_SHEETS
from .tables import text_id
from .writer import sheet_fields

#: Sheets of the template that hold no input.
NOT_INPUT = ("Instructions", "Worked example", "Lists")
#: The list sheets each mode's projects need, and what a missing one would leave out.
NEEDED = {
    "appraisal": ("Costs", "Outcomes"),
    "comparison": ("Costs", "ComparisonUsage"),
    "case_level": ("Cases", "CaseOutcomes"),
}
HELD = {
    "Costs": "costs",
    "Outcomes": "outcomes",
    "ComparisonUsage": "service use to compare",
    "Cases": "cases",
    "CaseOutcomes": "case outcomes",
}
#: A sheet looks like an input sheet by its headers with at least this many of its fields.
MIN_HEADERS = 3
#: A workbook is a results workbook with at least this many of the sheets every results
#: workbook has (so deleting one or two still reads as one).
RESULTS_AT_LEAST = 3
TEMPLATE = "froi template -o input.xlsx"

#: The first row with anything in it of a sheet outside the layout.
FirstRow = Callable[[SheetPart], list[Any]]


@dataclass
class SheetPlan:
    """The input sheets found (layout sheet -> the file's sheet), and the layout sheets
    that a look-alike sheet was reported for (so their absence is not reported again)."""

    found: dict[str, SheetPart] = field(default_factory=dict)
    stood_for: set[str] = field(default_factory=set)


def match_sheets(parts: list[SheetPart], first_row: FirstRow, sink: Sink) -> SheetPlan:
    """The workbook's input sheets; every other sheet reported (see the module docstring)."""
    wanted = {norm(s.name): s for s in SHEETS}
    ignored = {norm(n) for n in NOT_INPUT}
    plan = SheetPlan()
    others: list[SheetPart] = []
    for part in parts:
        sheet = wanted.get(norm(part.name))
        if sheet is None:
            if norm(part.name) not in ignored:
                others.append(part)
        elif sheet.name in plan.found:
            sink.add(
                f"sheets '{plan.found[sheet.name].name}' and '{part.name}' both hold "
                f"{sheet.name}; keep one",
                sheet.name,
                part.name,
            )
        else:
            plan.found[sheet.name] = part
    for part in _without_results_sheets(others):
        _report_other(part, first_row, plan, sink)
    if "Projects" not in plan.found and "Projects" not in plan.stood_for:
        names = ", ".join(repr(p.name) for p in parts) or "none"
        sink.add_file(
            f"the workbook has no Projects sheet (its sheets: {names}), so it holds no "
            f"projects; start from the template ({TEMPLATE})"
        )
    return plan


def _without_results_sheets(others: list[SheetPart]) -> list[SheetPart]:
    """The sheets left once a results workbook's own sheets are set aside."""
    names = {p.name for p in others}
    if sum(name in names for name in ALWAYS_WRITTEN) < RESULTS_AT_LEAST:
        return others
    return [p for p in others if p.name not in RESULT_SHEETS]


def _report_other(part: SheetPart, first_row: FirstRow, plan: SheetPlan, sink: Sink) -> None:
    """A sheet outside the layout: a look-alike of an input sheet, or just not read."""
    name = part.name
    sheet, why = lookalike(part.name, first_row(part))
    if sheet is None:
        sink.add(
            f"sheet '{name}' is not part of the input and was not read; the input sheets "
            f"are {', '.join(s.name for s in SHEETS)}",
            "",
            name,
            severity="warning",
        )
    elif sheet.name in plan.found:
        sink.add(
            f"sheet '{name}' looks like the {sheet.name} sheet ({why}); the sheet named "
            f"{sheet.name} is read and this one is not (if '{name}' holds the inputs, remove "
            f"{sheet.name} and rename '{name}' {sheet.name})",
            "",
            name,
            severity="warning",
        )
    else:
        plan.stood_for.add(sheet.name)
        sink.add(
            f"sheet '{name}' looks like the {sheet.name} sheet ({why}), which the workbook "
            f"does not have, so it would not be read; rename it {sheet.name}, or remove it",
            "",
            name,
        )


def lookalike(name: str, header: list[Any]) -> tuple[Sheet | None, str]:
    """The input sheet a sheet named ``name`` whose first row is ``header`` looks like,
    and why ("its name", "its headers" or both); (None, "") when none."""
    by_name = nearest(name, [s.name for s in SHEETS])
    by_headers = holds_headers_of(header)
    if by_headers is not None:
        both = by_name == by_headers.name
        return by_headers, "its name and its headers" if both else "its headers"
    if by_name is not None:
        return SHEET_BY_NAME[by_name], "its name"
    return None, ""


def holds_headers_of(header: list[Any]) -> Sheet | None:
    """The input sheet whose field names most of ``header`` is (see the module
    docstring); the one with most fields, then most required fields, then first."""
    texts = [v for v in header if is_filled(v)]
    keys = {header_key(v) for v in texts}
    best: tuple[tuple[int, int], Sheet] | None = None
    for sheet in SHEETS:
        fields = sheet_fields(sheet)
        lookup = header_lookup(f.name for f in fields)
        matched = {lookup[k] for k in keys if k in lookup}
        if len(matched) < MIN_HEADERS or 2 * len(matched) < len(texts):
            continue
        score = (len(matched), sum(f.required and f.name in matched for f in fields))
        if best is None or score > best[0]:
            best = (score, sheet)
    return best[1] if best else None


def check_needed(plan: SheetPlan, projects: Grid | None, sink: Sink) -> None:
    """An error for each list sheet the projects need that the workbook lacks."""
    if projects is None or not projects.data_rows:
        return
    frame = projects.frame
    count = projects.data_rows
    ids = list(frame["project_id"]) if "project_id" in frame else [None] * count
    modes = list(frame["mode"]) if "mode" in frame else [None] * count
    choices = {norm(m): m for m in MODES}
    wanting: dict[str, dict[str, list[str]]] = {}  # sheet -> mode -> project ids
    for value, mode, row in zip(ids, modes, projects.row_numbers, strict=True):
        blank = not is_filled(mode) or (isinstance(mode, float) and math.isnan(mode))
        chosen = "appraisal" if blank else choices.get(norm(mode))
        if chosen is None:
            continue  # a mode the engine refuses by name
        label = text_id(value) or f"(Projects row {row})"
        for sheet in NEEDED[chosen]:
            if sheet not in plan.found and sheet not in plan.stood_for:
                wanting.setdefault(sheet, {}).setdefault(chosen, []).append(label)
    for sheet in (s.name for s in SHEETS if s.name in wanting):
        by_mode = wanting[sheet]
        labels = [label for found in by_mode.values() for label in found]
        shown = ", ".join(labels[:5]) + (f" and {len(labels) - 5} more" if len(labels) > 5 else "")
        many = len(labels) > 1
        article = "an" if sheet[0] in "AEIOU" else "a"
        sink.add_file(
            f"the workbook has no {sheet} sheet, but its {' and '.join(by_mode)} "
            f"project{'s' if many else ''} ({shown}) need{'' if many else 's'} one: without "
            f"it {'they' if many else 'the project'} would have no {HELD[sheet]}; add {article} "
            f"{sheet} sheet (the template has one: {TEMPLATE})"
        )
