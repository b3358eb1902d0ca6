"""The input template (``froi template -o FILE.xlsx``) and filled input workbooks.

The template is the layout's sheets (:mod:`froi.workbook.layout`) with no rows, written
by the same writer as every filled workbook (:mod:`froi.workbook.writer`), so what it
asks for is exactly what the reader reads.  An Instructions sheet comes first and
explains every column of every sheet in plain words, with its unit, default, accepted
values and an example, all taken from the field declarations
(:mod:`calculator.fields`), so the template can never disagree with the engine.

Examples live on the Instructions sheet and in ``sample_workbooks/``, not as rows of the
template: a row left in by mistake would be computed as if it were real.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from calculator.fields import SETTINGS, Field
from calculator.reference import ReferenceData, load_reference

from .layout import SHEETS
from .writer import describe_default, sheet_fields, write_input_sheets

#: A fixed creation date keeps regenerated workbooks byte-for-byte the same.
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
SETTINGS_DEFAULTS = {f.name: f.default for f in SETTINGS if f.default is not None}

GUIDE = (
    "How to fill in this workbook",
    "",
    "Each sheet is one list of the input; each column is one field, named as in the JSON "
    "input (docs/method.md, section 6). Keep the column names in row 1; the columns may be "
    "in any order, and their names are matched ignoring case, spaces and punctuation.",
    "Settings: one setting a row. Leave a value blank to use the default shown beside it.",
    "Projects: one row per project, with a project_id that is unique. Every row of the "
    "other sheets names its project in its project_id column.",
    "Appraisal projects (mode appraisal) need Costs and Outcomes. Comparison projects need "
    "intervention_cases and comparison_cases on Projects, Costs, and ComparisonUsage rows "
    "for both groups. Case-level projects need Cases, CaseOutcomes and the service's "
    "annual_running_cost and annual_throughput on Projects (or Teams).",
    "UnitCosts: only unit costs of your own, or national ones you replace; every code of the "
    "national table can be used without listing it here (see the hidden Lists sheet).",
    "Rates (engagement, success, deadweight...) are shares: type 45% (or 0.45). A bare 45 "
    "in a rate column is refused, as it would mean 4,500%.",
    "Price years are financial years written 2013-14 (2013/14, 2013-2014 and 2013 are also "
    "accepted). Money is in pounds at the row's price year.",
    "Blank cells take the default listed below; blank rows are skipped. Hidden rows and "
    "columns are read like any other, with a warning. Formulas are fine if the workbook "
    "was saved by a program that calculates (Excel, LibreOffice).",
    "Every problem is reported with its cell, e.g. Outcomes!F12, and nothing is computed "
    "until all of them are fixed.",
)
COLUMNS_HEADER = (
    "sheet",
    "column",
    "what it means",
    "unit",
    "required or default",
    "accepted values",
    "example",
)


def example_text(spec: Field) -> str:
    """A field's example as it would be typed into the workbook."""
    value = spec.example
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if spec.kind == "rate" and isinstance(value, int | float):
        return f"{value * 100:g}%"
    return str(value)


def accepted_text(spec: Field) -> str:
    if spec.kind == "code":
        return (
            "a code of the unit cost table (listed on the hidden Lists sheet) or one "
            "added on UnitCosts"
        )
    if spec.name == "outcome_theme":
        return "a theme number from 1 to 24 (see the list above)"
    return spec.accepted()


def instruction_rows() -> list[tuple[str, str, str, str, str, str, str]]:
    """One row per column of every sheet (each setting counts as a column)."""
    rows: list[tuple[str, str, str, str, str, str, str]] = []
    for sheet in SHEETS:
        fields = SETTINGS if sheet.name == "Settings" else sheet_fields(sheet)
        for spec in fields:
            rows.append(
                (
                    sheet.name,
                    spec.name,
                    spec.help,
                    spec.unit or ("share (%)" if spec.kind == "rate" else ""),
                    describe_default(spec),
                    accepted_text(spec),
                    example_text(spec),
                )
            )
    return rows


def _instructions(workbook: Any, reference: ReferenceData) -> None:
    ws = workbook.add_worksheet("Instructions")
    title = workbook.add_format({"bold": True, "font_size": 14})
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    header = workbook.add_format({"bold": True, "bg_color": "#DCE6F1", "bottom": 1})
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 24)
    ws.set_column(2, 2, 70, wrap)
    ws.set_column(3, 4, 18, wrap)
    ws.set_column(5, 5, 44, wrap)
    ws.set_column(6, 6, 20)
    row = 0
    ws.write_string(row, 0, GUIDE[0], title)
    for line in GUIDE[1:]:
        row += 1
        ws.write_string(row, 0, line)
    row += 2
    ws.write_string(row, 0, "Outcome themes (the outcome_theme column of Outcomes)", bold)
    for number in sorted(reference.outcome_themes):
        row += 1
        ws.write_number(row, 0, number)
        ws.write_string(row, 1, reference.outcome_themes[number])
    row += 2
    ws.write_string(row, 0, "Every column of every sheet", bold)
    row += 1
    for col, name in enumerate(COLUMNS_HEADER):
        ws.write_string(row, col, name, header)
    for values in instruction_rows():
        row += 1
        for col, value in enumerate(values):
            ws.write_string(row, col, value)


def write_input_workbook(
    doc: Mapping[str, Any],
    path: Path | str,
    reference: ReferenceData | None = None,
    *,
    constant_memory: bool = False,
) -> None:
    """Write a canonical input document as an input workbook.

    With ``reference``, an Instructions sheet first and dropdowns on every sheet (the
    template and the samples); without, the bare sheets.  ``constant_memory`` streams
    rows to disk for very large inputs (XlsxWriter's mode; rows are written in order).
    """
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": constant_memory,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties({"title": "FROI input", "created": CREATED})
    if reference is not None:
        _instructions(workbook, reference)
    write_input_sheets(workbook, doc, reference)
    workbook.close()


def template_document() -> dict[str, Any]:
    """The empty input the template holds: the settings at their defaults, no rows."""
    return {"settings": dict(SETTINGS_DEFAULTS), "unit_costs": [], "projects": []}


def write_template(path: Path | str, reference: ReferenceData) -> None:
    """The blank input template, with dropdowns from ``reference``."""
    write_input_workbook(template_document(), path, reference)


def cmd_template(args: argparse.Namespace) -> int:
    """``froi template -o FILE.xlsx [--from INPUT.json]``."""
    import json

    reference = load_reference(unit_costs=args.unit_costs, deflators=args.deflators)
    if args.source:
        doc = json.loads(Path(args.source).read_text(encoding="utf-8"))
        write_input_workbook(doc, args.output, reference)
        print(f"wrote {args.source} as an input workbook to {args.output}")
    else:
        write_template(args.output, reference)
        print(f"wrote the input template to {args.output}")
    return 0


def add_commands(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``template`` to the ``froi`` command line (``parents`` give --unit-costs...)."""
    template = subparsers.add_parser(
        "template",
        parents=parents,
        help="write the Excel input template (or an input as a filled workbook)",
    )
    template.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
    template.add_argument(
        "--from",
        dest="source",
        metavar="INPUT.json",
        help="fill the workbook with this canonical JSON input instead of leaving it blank",
    )
    template.set_defaults(func=cmd_template)
