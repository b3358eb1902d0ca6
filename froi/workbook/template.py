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
import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from calculator.fields import SETTINGS, Field
from calculator.reference import ReferenceData, load_reference

from .layout import SHEETS
from .writer import describe_default, sheet_fields, write_input_sheets
from .xmlrows import discard

#: A fixed creation date keeps regenerated workbooks byte-for-byte the same.
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
SETTINGS_DEFAULTS = {f.name: f.default for f in SETTINGS if f.default is not None}

GUIDE = (
    "How to fill in this workbook",
    "",
    "This workbook works out the fiscal return on investment (FROI) of a service: what it "
    "saves public budgets for each £1 it costs, year by year and agency by agency, in the "
    "way HM Treasury's Green Book and the GMCA cost benefit analysis model do. Fill in the "
    "yellow cells; the Worked example sheet shows a small project filled in.",
    "1. Settings: leave the defaults unless your finance lead says otherwise. The base "
    "year is the year whose prices every figure is shown in (year 0 of the appraisal).",
    "2. Projects: one row per service or project you are appraising, with a short unique "
    "Project ID (e.g. EOC-01). Every row on the other sheets names its project by this ID.",
    "3. Costs: what the service costs, one row per item: an amount a year, or a unit cost "
    "from the list times a quantity (e.g. 400 hours of a social worker), or a salary with "
    "on-costs and overheads. A cost that runs for several years is one row with its first "
    "and last year. An offset is a cost saved elsewhere because of the service.",
    "4. Outcomes: what the service achieves, one row per outcome: how many people start "
    "(the cohort), the share who take part and succeed, the share who would have "
    "succeeded anyway (deadweight), and the unit cost each success avoids (pick it from "
    "the list: the code and its name). Benefits are credited to the agency that bears "
    "that unit cost.",
    "5. Comparison and case-level studies use ComparisonUsage, or Cases and CaseOutcomes "
    "(see the columns below); leave those sheets empty for an appraisal.",
    "Shares such as success and deadweight are percentages: type 45% (or 0.45). Money is "
    "in pounds at the row's price year (e.g. 2024-25). Confidence grades run from 1 "
    "(audited local data) to 6 (expert judgement): weaker evidence gets more optimism "
    "bias, which lowers benefits and raises costs.",
    "Upload the workbook to the service, or run froi compute on it. Every problem is "
    "reported with its cell (e.g. Outcomes!F12) and nothing is computed until all are "
    "fixed. The headers may be the labels shown or the field names of the JSON input "
    "(docs/method.md, section 6); blank cells take the defaults listed below.",
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
        return "a theme from the list (number and name), or its number (see the list above)"
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
    guide = workbook.add_format({"text_wrap": True, "valign": "top"})
    for line in GUIDE[1:]:
        row += 1
        if line:  # across the sheet's width, wrapped, so it prints within the page
            ws.merge_range(row, 0, row, 6, line, guide)
            ws.set_row(row, 15 * (1 + len(line) // 190))
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
    top = row
    for values in instruction_rows():
        row += 1
        for col, value in enumerate(values):
            ws.write_string(row, col, value)
    # print set-up: A4 landscape, one page wide, the columns' header on every page
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(top)
    ws.set_footer("&LInstructions&RPage &P of &N")


def write_input_workbook(
    doc: Mapping[str, Any],
    path: Path | str,
    reference: ReferenceData | None = None,
    *,
    labels: bool = False,
    worked_example: bool = False,
) -> None:
    """Write a canonical input document as an input workbook.

    ``labels`` heads the list sheets with plain-English labels (the reader accepts them
    and the field names alike); ``worked_example`` adds the Worked example sheet.

    With ``reference``, an Instructions sheet first and dropdowns on every sheet (the
    template and the samples); without, the bare sheets.  Long sheets are written in
    bounded memory (:mod:`froi.workbook.xmlrows`).
    """
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties({"title": "FROI input", "created": CREATED})
    if reference is not None:
        _instructions(workbook, reference)
        if worked_example:
            _worked_example(workbook, reference)
    try:
        write_input_sheets(workbook, doc, reference, labels=labels)
        workbook.close()
    finally:
        discard(workbook)  # temporary files of long sheets, closed even when writing fails


def template_document() -> dict[str, Any]:
    """The empty input the template holds: the settings at their defaults, no rows."""
    return {"settings": dict(SETTINGS_DEFAULTS), "unit_costs": [], "projects": []}


def write_template(path: Path | str, reference: ReferenceData) -> None:
    """The blank input template, with dropdowns from ``reference``, plain-English headers
    and a worked example."""
    write_input_workbook(template_document(), path, reference, labels=True, worked_example=True)


#: The worked example: one appraisal project, costed and valued with national unit costs.
EXAMPLE: dict[str, Any] = {
    "settings": {"appraisal_years": 5, "discount": "standard"},
    "projects": [
        {
            "project_id": "EX-1",
            "name": "Family support service (example)",
            "organisation": "Anytown Council",
            "participants": 40,
            "costs": [
                {
                    "description": "Set-up: recruitment and training",
                    "year": 0,
                    "amount": 30000,
                    "agency": "Local Authority",
                    "kind": "set_up",
                    "cost_type": "training",
                    "confidence_grade": 2,
                },
                {
                    "description": "Two family support workers",
                    "year": 0,
                    "end_year": 4,
                    "salary": 31000,
                    "on_costs": 0.28,
                    "overheads": 0.15,
                    "quantity": 2,
                    "agency": "Local Authority",
                    "kind": "recurring",
                    "cost_type": "staff",
                },
            ],
            "outcomes": [
                {
                    "description": "Entries to care avoided (26 weeks each)",
                    "unit_cost_code": "SS3.0",
                    "cohort": 40,
                    "success": 0.15,
                    "deadweight": 0.3,
                    "quantity": 26,
                    "duration": 1,
                    "outcome_theme": 4,
                },
            ],
        }
    ],
}
EXAMPLE_TEXT = (
    "Worked example (not read: the input sheets are what is computed)",
    "A council runs a family support service for 40 families a year. It costs £30,000 to "
    "set up and two family support workers on £31,000 a year, with 28% on-costs and 15% "
    "overheads, for five years.",
    "It expects 15% of the 40 families to avoid a child entering residential care for 26 "
    "weeks, where 30% would have avoided it anyway (deadweight).",
    "On the Costs sheet that is two rows: the set-up cost in year 0, and the staff from "
    "year 0 to year 4 (the last year, 2028-29 when the base year is 2024-25), built from "
    "the salary. On the Outcomes sheet it is one row, valued with the national unit cost "
    "SS3.0 (pick it from the list: the code and its name).",
    "The rows below are exactly what you would type. The calculator rebases every amount "
    "to the base year's prices, adds optimism bias by confidence grade, discounts at the "
    "Green Book rate and compares fiscal benefits with costs:",
)


def _example_for(reference: ReferenceData) -> dict[str, Any]:
    """The worked example, its outcome valued with SS3.0 or, in a table without it, the
    table's first fiscal unit cost (a local table of one's own)."""
    rows = reference.unit_costs.rows
    if "SS3.0" in rows.index:
        return EXAMPLE
    fiscal = rows.index[rows["category"] == "fiscal"]
    code = str(fiscal[0] if len(fiscal) else rows.index[0])
    example = copy.deepcopy(EXAMPLE)
    example["projects"][0]["outcomes"][0].update(unit_cost_code=code, quantity=1)
    return example


def _worked_example(workbook: Any, reference: ReferenceData) -> None:
    """A sheet showing a small input filled in and what the calculator makes of it."""
    from calculator.engine import compute

    from .names import label_of

    ws = workbook.add_worksheet("Worked example")
    title = workbook.add_format({"bold": True, "font_size": 14})
    bold = workbook.add_format({"bold": True})
    header = workbook.add_format(
        {"bold": True, "bg_color": "#DCE6F1", "bottom": 1, "text_wrap": True, "valign": "top"}
    )
    money = workbook.add_format({"num_format": "£#,##0"})
    ratio = workbook.add_format({"num_format": "0.00"})
    ws.set_column(0, 0, 34)
    ws.set_column(1, 12, 15)
    ws.write_string(0, 0, EXAMPLE_TEXT[0], title)
    row = 1
    for line in EXAMPLE_TEXT[1:]:
        row += 1
        ws.write_string(row, 0, line)
    example = _example_for(reference)
    project = example["projects"][0]
    for sheet, records in (
        ("Projects", [{k: v for k, v in project.items() if not isinstance(v, list)}]),
        ("Costs", [{"project_id": "EX-1", **c} for c in project["costs"]]),
        ("Outcomes", [{"project_id": "EX-1", **o} for o in project["outcomes"]]),
    ):
        row += 2
        ws.write_string(row, 0, f"On the {sheet} sheet", bold)
        names = list(dict.fromkeys(k for r in records for k in r))
        row += 1
        ws.set_row(row, 45)
        for col, name in enumerate(names):
            ws.write_string(row, col, label_of(name), header)
        for record in records:
            row += 1
            for col, name in enumerate(names):
                value = record.get(name)
                if isinstance(value, float) and 0 < value < 1:
                    ws.write_string(row, col, f"{value * 100:g}%")
                elif value is not None:
                    ws.write(row, col, value)
    results = compute(example, reference).summary.iloc[0]
    row += 2
    ws.write_string(row, 0, "What the calculator gives", bold)
    for label, key, fmt in (
        ("PV costs (£)", "pv_costs", money),
        ("PV fiscal benefits (£)", "pv_fiscal", money),
        ("FROI (£ of fiscal benefit per £1)", "froi", ratio),
        ("Net fiscal benefit (£)", "net_fiscal_benefit", money),
    ):
        row += 1
        ws.write_string(row, 0, label)
        ws.write_number(row, 1, float(results[key]), fmt)
    row += 2
    ws.write_string(
        row,
        0,
        "An FROI below 1 means the public purse gets back less than it spends over the "
        "period; the results workbook shows the figures year by year and by agency.",
    )
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def cmd_template(args: argparse.Namespace) -> int:
    """``froi template -o FILE.xlsx [--from INPUT.json]``."""
    import json

    reference = load_reference(unit_costs=args.unit_costs, deflators=args.deflators)
    if args.source:
        doc = json.loads(Path(args.source).read_text(encoding="utf-8"))
        write_input_workbook(doc, args.output, reference, labels=True)
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
