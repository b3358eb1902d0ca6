"""The hostile-input gallery of issue 10: every number is finite and within its stated
range, every text has a length limit and no control characters, references have a
documented character set.  The engine refuses each with its exact message, so the
command line, workbooks, forms and the API all refuse it in the same words."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from calculator.engine import compute
from calculator.errors import InvalidInput
from calculator.reference import ReferenceData
from froi.cli import main
from froi.workbook.cells import WorkbookInvalid
from froi.workbook.reader import check_workbook

ROOT = Path(__file__).resolve().parents[1]
NINES = "9" * 5000


def base() -> dict[str, Any]:
    return {
        "settings": {"appraisal_years": 3},
        "projects": [
            {
                "project_id": "P1",
                "name": "Hostile",
                "participants": 10,
                "costs": [{"amount": 1000, "agency": "Local Authority", "kind": "set_up"}],
                "outcomes": [{"unit_cost_code": "T1.0", "cohort": 10, "success": 0.5}],
            }
        ],
    }


GALLERY: list[tuple[str, Any, str]] = [
    (
        "costs.0.amount",
        "Infinity",
        "project 'P1', costs row 1, field 'amount' (projects[0].costs[0].amount): amount must "
        "be a number from 0 to 100,000,000,000; got 'Infinity'",
    ),
    (
        "costs.0.amount",
        "inf",
        "project 'P1', costs row 1, field 'amount' (projects[0].costs[0].amount): amount must "
        "be a number from 0 to 100,000,000,000; got 'inf'",
    ),
    (
        "costs.0.amount",
        "1e309",
        "project 'P1', costs row 1, field 'amount' (projects[0].costs[0].amount): amount must "
        "be a number from 0 to 100,000,000,000; got '1e309'",
    ),
    (
        "participants",
        NINES,
        "project 'P1', field 'participants' (projects[0].participants): participants must be "
        "a number from 0 to 100,000,000; got '999999999999999999999999999... "
        "(5,002 characters)",
    ),
    (
        "outcomes.0.cohort",
        1e12,
        "project 'P1', outcomes row 1, field 'cohort' (projects[0].outcomes[0].cohort): cohort "
        "must be a number from 0 to 100,000,000; got 1000000000000",
    ),
    (
        "name",
        "x" * 10_000_000,
        "project 'P1', field 'name' (projects[0].name): name is 10,000,000 characters long; "
        "it may have at most 300",
    ),
    (
        "name",
        "Hub\x00",
        "project 'P1', field 'name' (projects[0].name): name holds a control character "
        "(U+0000) that cannot be shown or stored; remove it",
    ),
    (
        "costs.0.description",
        "bell\x07",
        "project 'P1', costs row 1, field 'description' (projects[0].costs[0].description): "
        "description holds a control character (U+0007) that cannot be shown or stored; "
        "remove it",
    ),
    (
        "project_id",
        "P1<script>",
        "project 'P1<script>', field 'project_id' (projects[0].project_id): project_id may "
        "hold only letters, digits, spaces and - _ . / & ( ) + : # , '; got 'P1<script>', "
        "which holds '<' '>'",
    ),
]


def with_value(path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(base())
    target: Any = doc["projects"][0]
    *parents, last = path.split(".")
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    target[last] = value
    return doc


@pytest.mark.parametrize(("path", "value", "message"), GALLERY, ids=[g[0] for g in GALLERY])
def test_each_hostile_value_is_refused_with_its_message(
    path: str, value: Any, message: str, reference: ReferenceData
) -> None:
    with pytest.raises(InvalidInput) as caught:
        compute(with_value(path, value), reference)
    assert [str(p) for p in caught.value.problems] == [message]


def test_tabs_and_line_breaks_in_free_text_are_kept(reference: ReferenceData) -> None:
    """A spreadsheet cell may hold a line break (Alt+Enter): free text keeps it."""
    doc = with_value("costs.0.description", "Line one\nline two\tand a tab")
    assert compute(doc, reference).costs.at[0, "description"] == "Line one\nline two\tand a tab"


def test_the_command_line_refuses_them_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(with_value("costs.0.amount", "Infinity")))
    assert (
        main(
            ["compute", str(path), "--unit-costs", str(ROOT / "tests/data/fixture_unit_costs.csv")]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "got 'Infinity'" in err and "Traceback" not in err


def test_infinity_typed_in_a_workbook_is_refused_at_its_cell(
    tmp_path: Path, default_reference: ReferenceData
) -> None:
    book = openpyxl.load_workbook(ROOT / "sample_workbooks" / "edge_of_care_appraisal.xlsx")
    costs = book["Costs"]
    header = [c.value for c in costs[1]]
    cell = costs.cell(row=2, column=header.index("amount") + 1)
    cell.value = "Infinity"
    path = tmp_path / "infinity.xlsx"
    book.save(path)
    with pytest.raises(WorkbookInvalid) as caught:
        check_workbook(path, default_reference)
    lines = [str(p) for p in caught.value.problems]
    assert lines == [
        f"Costs!{cell.coordinate}: amount must be a number from 0 to 100,000,000,000; "
        "got 'Infinity'"
    ]
