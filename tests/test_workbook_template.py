"""The input template and the writer: sheets, Instructions, dropdowns, formats, exactness."""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from calculator.errors import InvalidInput
from calculator.fields import SETTINGS
from calculator.reference import ReferenceData
from calculator.unit_costs import COLUMNS as UNIT_COST_COLUMNS
from froi.workbook.cells import problem_lines
from froi.workbook.layout import SHEETS
from froi.workbook.names import header_key, header_lookup
from froi.workbook.reader import check_workbook
from froi.workbook.template import add_commands, write_input_workbook, write_template
from froi.workbook.unit_cost_fields import UNIT_COST_FIELDS
from froi.workbook.writer import percent_format, sheet_fields

from .conftest import DATA


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, default_reference: ReferenceData) -> Any:
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    write_template(path, default_reference)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # openpyxl warns about anything it finds odd
        return openpyxl.load_workbook(path)


def column_names(sheet: Any) -> list[str]:
    """The field of each header of the template (it shows plain-English labels, which
    the reader reads as the fields: froi.workbook.names.LABELS)."""
    names = {f.name for s in SHEETS for f in sheet_fields(s)}
    lookup = header_lookup(names)
    return [lookup.get(header_key(c.value), c.value) for c in sheet[1]]


def test_the_template_shows_plain_english_headers(template: Any) -> None:
    headers = [c.value for c in template["Outcomes"][1]]
    assert "Success rate (% of those engaged)" in headers
    assert "Deadweight (% who would have anyway)" in headers
    assert "deadweight" not in headers


def test_the_template_has_every_sheet_of_the_layout(template: Any) -> None:
    assert template.sheetnames == [
        "Instructions",
        "Worked example",
        *(s.name for s in SHEETS),
        "Lists",
    ]
    assert template["Lists"].sheet_state == "hidden"
    for sheet in SHEETS:
        ws = template[sheet.name]
        assert ws.freeze_panes == "A2", sheet.name
        assert ws.max_row == (1 if sheet.name != "Settings" else 1 + len(SETTINGS)), sheet.name
        expected = [f.name for f in sheet_fields(sheet)]
        assert column_names(ws) == expected, sheet.name


def test_settings_list_every_setting_with_its_default(template: Any) -> None:
    rows = list(template["Settings"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [f.name for f in SETTINGS]
    values = {r[0]: r[1] for r in rows}
    assert values == {
        "base_year": None,
        "appraisal_years": 5,
        "discount": "standard",
        "apply_optimism_bias": True,
        "seed": 0,
        "simulations": 0,
        "bootstrap_resamples": 2000,
    }
    about = {r[0]: r[2] for r in rows}
    assert about["appraisal_years"] == "Number of years appraised, year 0 first. Default: 5."


def test_instructions_explain_every_column_of_every_sheet(template: Any) -> None:
    ws = template["Instructions"]
    rows = list(ws.iter_rows(values_only=True))
    start = rows.index(
        (
            "sheet",
            "column",
            "what it means",
            "unit",
            "required or default",
            "accepted values",
            "example",
        )
    )
    table = rows[start + 1 :]
    documented = [(r[0], r[1]) for r in table]
    expected = [
        (sheet.name, spec.name)
        for sheet in SHEETS
        for spec in (SETTINGS if sheet.name == "Settings" else sheet_fields(sheet))
    ]
    assert documented == expected
    assert all(r[2] for r in table)  # every column has its meaning in words
    by_column = {(r[0], r[1]): r for r in table}
    assert by_column[("Outcomes", "success")][3:] == (
        "share (%)",
        "required",
        "a share between 0 and 1 (for example 0.45 or 45%)",
        "30%",
    )
    assert by_column[("Outcomes", "deadweight")][4] == "0%"
    assert by_column[("Costs", "amount")][3] == "£"
    assert by_column[("Costs", "kind")][4:6] == ("recurring", "one of set_up, recurring, offset")
    themes = [r for r in rows if isinstance(r[0], int)]
    assert [r[0] for r in themes] == list(range(1, 25))


def validations(ws: Any) -> dict[str, Any]:
    """Column letter -> the data validation on its data rows."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        ref = str(dv.sqref)
        out[ref.split(":")[0].rstrip("0123456789")] = dv
    return out


@pytest.mark.parametrize(
    ("sheet", "column", "source"),
    [
        ("Outcomes", "unit_cost_code", "UnitCostChoices"),
        ("Outcomes", "confidence_grade", "Grades"),
        ("Outcomes", "outcome_theme", "OutcomeThemeChoices"),
        ("Costs", "agency", "AgencyNames"),
        ("Outcomes", "discount", "Schedules"),
        ("Costs", "kind", "CostKinds"),
        ("Costs", "cost_type", "CostTypes"),
        ("Costs", "unit_cost_code", "UnitCostChoices"),
        ("Costs", "price_year", "PriceYears"),
        ("Projects", "mode", "Modes"),
        ("ComparisonUsage", "group", "Groups"),
        ("CaseOutcomes", "unit_cost_code", "UnitCostChoices"),
        ("UnitCosts", "category", "Categories"),
        ("UnitCosts", "cashable", "TrueFalse"),
        ("Outcomes", "project_id", "Projects!$A$2:$A$5001"),
    ],
)
def test_dropdowns(template: Any, sheet: str, column: str, source: str) -> None:
    ws = template[sheet]
    letter = openpyxl.utils.get_column_letter(column_names(ws).index(column) + 1)
    dv = validations(ws)[letter]
    assert dv.type == "list"
    assert dv.formula1 == source
    assert str(dv.sqref) == f"{letter}2:{letter}200001"
    assert dv.promptTitle == column and dv.prompt


def test_rates_and_numbers_are_checked_as_they_are_typed(template: Any) -> None:
    ws = template["Outcomes"]
    names = column_names(ws)
    rules = validations(ws)
    success = rules[openpyxl.utils.get_column_letter(names.index("success") + 1)]
    # "between" is the default operator, which the file leaves out
    assert (success.type, success.operator, success.formula1, success.formula2) == (
        "decimal",
        None,
        "0",
        "1",
    )
    lag = rules[openpyxl.utils.get_column_letter(names.index("lag") + 1)]
    assert (lag.type, lag.operator, lag.formula1, lag.formula2) == ("whole", None, "0", "99")


def test_the_lists_come_from_the_reference_data(
    template: Any, default_reference: ReferenceData
) -> None:
    names = template.defined_names
    codes = list(default_reference.unit_costs.rows.index)
    assert names["UnitCostCodes"].attr_text == f"Lists!$A$2:$A${len(codes) + 1}"
    lists = template["Lists"]
    assert [c.value for c in lists["A"][1:] if c.value is not None] == codes
    assert names["Grades"].attr_text == "Lists!$J$2:$J$7"
    assert [c.value for c in lists["K"][1:25]] == list(range(1, 25))
    assert names["PriceYears"].attr_text.startswith("Lists!$P$2:")
    # the unit cost dropdown shows each code with its name, the themes by name
    choices = [c.value for c in lists["C"][1:] if c.value is not None]
    first = codes[0]
    assert choices[0] == f"{first} — {default_reference.unit_costs.rows.at[first, 'name']}"
    assert [c.value for c in lists["D"][1:3]] == [
        f"{k} — {default_reference.outcome_themes[k]}" for k in (1, 2)
    ]
    assert "Local Authority" in [c.value for c in lists["E"][1:]]


def test_rate_columns_are_formatted_as_percentages(template: Any) -> None:
    ws = template["Outcomes"]
    names = column_names(ws)
    formats = {}
    for dim in ws.column_dimensions.values():
        for col in range(dim.min, dim.max + 1):
            formats[names[col - 1]] = dim.number_format
    rates = [f.name for f in sheet_fields(SHEETS[4]) if f.kind == "rate"]
    assert rates and all(formats[r] == "0.0%" for r in rates)
    assert formats["cohort"] == "General"


def test_written_values_keep_their_type_and_show_in_full(
    tmp_path: Path, reference: ReferenceData
) -> None:
    doc: dict[str, Any] = {
        "settings": {"apply_optimism_bias": False},
        "projects": [
            {
                "project_id": "P1",
                "name": '=HYPERLINK("http://x")',
                "outcomes": [
                    {"unit_cost_code": "T1.0", "cohort": 20, "success": 0.125, "deadweight": 0.3},
                ],
                "costs": [{"amount": 1234.5, "agency": "Local Authority", "on_costs": 0.28}],
            }
        ],
    }
    path = tmp_path / "w.xlsx"
    write_input_workbook(doc, path, reference)
    book = openpyxl.load_workbook(path)
    outcomes = book["Outcomes"]
    success, deadweight = outcomes["G2"], outcomes["H2"]
    assert (success.value, success.number_format) == (0.125, "0.0%")
    assert (deadweight.value, deadweight.number_format) == (0.3, "0%")
    name = book["Projects"]["B2"]
    assert name.value == '=HYPERLINK("http://x")' and name.data_type == "s"
    assert name.quotePrefix
    assert book["Costs"]["E2"].value == 1234.5  # after project_id, description, year, end_year
    assert book["Settings"]["B5"].value is False
    assert percent_format(0.1 + 0.2) == "0%"
    assert percent_format(0.123456) == "0.0000%"


def test_a_blank_template_reads_as_an_input_with_no_projects(
    tmp_path: Path, reference: ReferenceData
) -> None:
    path = tmp_path / "blank.xlsx"
    write_template(path, reference)
    with pytest.raises(InvalidInput) as caught:
        check_workbook(path, reference)
    assert problem_lines(caught.value) == [
        "Projects!A2: the Projects sheet lists no projects; add a row for each project"
    ]


def test_unit_cost_columns_are_the_engines(template: Any) -> None:
    assert tuple(f.name for f in UNIT_COST_FIELDS) == UNIT_COST_COLUMNS


def test_template_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="froi")
    tables = argparse.ArgumentParser(add_help=False)
    tables.add_argument("--unit-costs")
    tables.add_argument("--deflators")
    add_commands(parser.add_subparsers(dest="command", required=True), [tables])
    fixture = str(DATA / "fixture_unit_costs.csv")
    out = tmp_path / "t.xlsx"
    args = parser.parse_args(["template", "-o", str(out), "--unit-costs", fixture])
    assert args.func(args) == 0
    assert capsys.readouterr().out == f"wrote the input template to {out}\n"
    codes = [c.value for c in openpyxl.load_workbook(out)["Lists"]["A"][1:] if c.value]
    assert codes == ["T1.0", "T1.0.1", "T1.0.2", "T2.0", "T3.0", "T4.0", "T5.0", "T6.0"]
    source = tmp_path / "in.json"
    source.write_text(json.dumps({"projects": [{"project_id": "X1"}]}))
    filled = tmp_path / "filled.xlsx"
    args = parser.parse_args(
        ["template", "-o", str(filled), "--from", str(source), "--unit-costs", fixture]
    )
    assert args.func(args) == 0
    assert openpyxl.load_workbook(filled)["Projects"]["A2"].value == "X1"


def test_the_sample_workbooks_are_what_their_script_makes(
    tmp_path: Path, default_reference: ReferenceData
) -> None:
    """The committed samples are the JSON samples and the seeded portfolio, as written now."""
    samples = DATA.parents[1] / "sample_workbooks"
    for name in (
        "edge_of_care_appraisal",
        "hampshire_offset",
        "enfield_case_level",
        "comparison_group_study",
    ):
        doc = json.loads((samples / f"{name}.json").read_text(encoding="utf-8"))
        write_input_workbook(doc, tmp_path / f"{name}.xlsx", default_reference)
        assert (tmp_path / f"{name}.xlsx").read_bytes() == (samples / f"{name}.xlsx").read_bytes()
