"""Input checking: every problem reported at once, each located and worded plainly."""

from __future__ import annotations

from typing import Any

import pytest

from calculator.engine import compute
from calculator.errors import InvalidInput
from calculator.prices import parse_price_year
from calculator.reference import ReferenceData


def problems(doc: dict[str, Any], reference: ReferenceData) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        compute(doc, reference)
    return [str(p) for p in caught.value.problems]


def project(**fields: Any) -> dict[str, Any]:
    return {"projects": [{"project_id": "P1", **fields}]}


def test_every_problem_is_reported_at_once(reference: ReferenceData) -> None:
    doc = {
        "settings": {"discount": "cheap", "appraisal_years": 3},
        "projects": [
            {
                "project_id": "P1",
                "mode": "weird",
                "outcomes": [
                    {"unit_cost_code": "NOPE", "cohort": "many", "success": 45, "lag": 1.5},
                ],
                "costs": [{"amount": -5, "agency": "LA"}, {"amount": 10, "year": 3}],
            },
            {"project_id": "P1"},
        ],
    }
    found = problems(doc, reference)
    expected = [
        "settings, field 'discount' (settings.discount): discount must be a schedule name "
        "(health, standard) or a flat rate from 0 to 1 such as 0.035 or 3.5%; got 'cheap'",
        "project 'P1', field 'mode' (projects[0].mode): mode must be one of appraisal, "
        "comparison, case_level; got 'weird'",
        "project 'P1', costs row 1, field 'amount' (projects[0].costs[0].amount): amount must "
        "be a number from 0 to 100,000,000,000; got -5",
        "project 'P1', outcomes row 1, field 'cohort' (projects[0].outcomes[0].cohort): cohort "
        "must be a number from 0 to 100,000,000; got 'many'",
        "project 'P1', outcomes row 1, field 'success' (projects[0].outcomes[0].success): "
        "success must be between 0 and 1; got 45 - did you mean 45%?",
        "project 'P1', outcomes row 1, field 'lag' (projects[0].outcomes[0].lag): lag must be "
        "a whole number; got 1.5",
        "project 'P1', field 'project_id' (projects[1].project_id): project_id 'P1' is used "
        "by more than one project; each project needs its own",
        "project 'P1', costs row 2, field 'year' (projects[0].costs[1].year): year 3 is "
        "outside the appraisal period of 3 years (0 to 2)",
        "project 'P1', costs row 2, field 'agency' (projects[0].costs[1].agency): agency (who "
        "pays) is required for a cost not taken from the unit cost table, e.g. Local Authority",
        "project 'P1', outcomes row 1, field 'unit_cost_code' "
        "(projects[0].outcomes[0].unit_cost_code): unit cost code 'NOPE' is not in "
        "table 'Test fixture unit costs 1'; use a code from the table (froi unit-costs list) "
        "or add it to unit_costs",
    ]
    assert sorted(found) == sorted(expected)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"success": "45%"}, None),
        ({"success": "0.45"}, None),
        ({"success": 1.2}, "success must be between 0 and 1; got 1.2"),
        ({"success": -0.1}, "success must be between 0 and 1; got -0.1"),
        ({"success": True}, "success must be a share between 0 and 1"),
        ({"success": None}, "success is required"),
        ({"duration": 0}, "duration must be a whole number from 1 to 100; got 0"),
        ({"confidence_grade": 7}, "confidence_grade must be a whole number from 1 to 6; got 7"),
        ({"discount": "4%"}, None),
        ({"discount": 1.5}, "discount must be a schedule name"),
        ({"outcome_theme": 25}, "outcome_theme must be a whole number from 1 to 24; got 25"),
    ],
)
def test_outcome_fields(row: dict[str, Any], message: str | None, reference: ReferenceData) -> None:
    outcome = {"unit_cost_code": "T2.0", "cohort": 10, "success": 0.5, **row}
    doc = project(outcomes=[outcome], costs=[{"amount": 100, "agency": "LA"}])
    if message is None:
        compute(doc, reference)
    else:
        found = problems(doc, reference)
        assert len(found) == 1 and message in found[0], found


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ({"amount": 1000, "agency": "LA"}, None),
        ({"unit_cost_code": "T6.0", "quantity": 400}, None),
        ({"salary": 38000, "on_costs": "30%", "agency": "LA"}, None),
        ({"agency": "LA"}, "give an amount, or a unit_cost_code with a quantity, or a salary"),
        ({"amount": 1, "unit_cost_code": "T6.0"}, "give only one of amount, unit_cost_code"),
        ({"unit_cost_code": "T6.0", "price_year": "2013-14"}, "leave price_year blank"),
        ({"amount": 1, "agency": "LA", "quantity": 3}, "put the total in amount"),
        ({"amount": 1, "agency": "LA", "kind": "capital"}, "kind must be one of set_up"),
        ({"amount": 1, "agency": "LA", "price_year": "1980-81"}, "price year 1980-81 is not in"),
        ({"amount": 1, "agency": "LA", "price_year": "2013-15"}, "must be a financial year"),
        ({"salary": 1, "productive_hours": 0, "agency": "LA"}, "productive_hours must be"),
    ],
)
def test_cost_fields(cost: dict[str, Any], message: str | None, reference: ReferenceData) -> None:
    doc = project(costs=[cost])
    if message is None:
        compute(doc, reference)
    else:
        found = problems(doc, reference)
        assert any(message in f for f in found), found


def test_case_level_references(reference: ReferenceData) -> None:
    doc = project(
        mode="case_level",
        cases=[{"case_id": 1, "cost": 5}, {"case_id": "1", "cost": 6}],
        case_outcomes=[{"case_id": "2", "unit_cost_code": "T2.0", "quantity": 1}],
    )
    assert sorted(problems(doc, reference)) == [
        "project 'P1', case_outcomes row 1, field 'case_id' "
        "(projects[0].case_outcomes[0].case_id): case_id '2' is not in this project's cases",
        "project 'P1', cases row 2, field 'case_id' (projects[0].cases[1].case_id): "
        "case_id '1' appears twice",
    ]


def test_mode_needs(reference: ReferenceData) -> None:
    assert problems(project(mode="comparison"), reference) == [
        "project 'P1', field 'intervention_cases' (projects[0].comparison.intervention_cases): "
        "a comparison project needs intervention_cases greater than 0",
        "project 'P1', field 'comparison_cases' (projects[0].comparison.comparison_cases): "
        "a comparison project needs comparison_cases greater than 0",
    ]
    assert problems(project(mode="case_level"), reference) == [
        "project 'P1', cases (projects[0].cases): a case_level project needs at least one row "
        "in cases"
    ]


def test_structure_problems(reference: ReferenceData) -> None:
    assert problems([], reference) == [
        "the input must be a JSON object with 'settings' and 'projects'"
    ]
    assert problems({"projects": []}, reference) == [
        "projects: 'projects' must be a list with at least one project"
    ]
    found = problems({"projects": [{"project_id": "A", "costs": {"amount": 1}}]}, reference)
    assert found == ["project 'A', costs (projects[0].costs): costs must be a list of rows"]


def test_warnings_travel_with_results(reference: ReferenceData) -> None:
    doc = project(
        costs=[{"amount": 100, "agency": "LA"}],
        outcomes=[
            {"unit_cost_code": "T1.0", "cohort": 5, "success": 0.5},
            {"unit_cost_code": "T1.0.1", "cohort": 5, "success": 0.5},
            {"unit_cost_code": "T6.0", "cohort": 5, "success": 0.5, "cohort_year": 4, "lag": 2},
        ],
    )
    warnings = [str(w) for w in compute(doc, reference).warnings]
    assert (
        "project 'P1', costs row 1, field 'agency' (projects[0].costs[0].agency): agency 'LA' "
        "is read as 'Local Authority' (a known other name for it)" in warnings
    )
    assert any("uses both T1.0 and its component T1.0.1" in w for w in warnings)
    assert any(
        "outcomes row 3, field 'confidence_grade' (projects[0].outcomes[2].confidence_grade): "
        "neither the row nor its unit cost" in w
        for w in warnings
    )
    assert any(
        "outcomes row 3, field 'lag' (projects[0].outcomes[2].lag): the benefit starts after "
        "the appraisal period" in w
        for w in warnings
    )


def test_offsets_that_match_costs_leave_ratios_blank(reference: ReferenceData) -> None:
    doc = project(
        costs=[
            {"amount": 100, "agency": "LA"},
            {"amount": 100, "agency": "LA", "kind": "offset"},
        ],
        outcomes=[{"unit_cost_code": "T2.0", "cohort": 5, "success": 0.5}],
    )
    doc["settings"] = {"apply_optimism_bias": False}
    results = compute(doc, reference)
    row = results.summary.iloc[0]
    assert row["pv_costs"] == 0
    assert all(row[k] != row[k] for k in ("froi", "economic_roi", "public_value_roi"))
    assert row["value_for_money_band"] is None
    assert any("every ratio is left blank" in str(w) for w in results.warnings)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2013-14", "2013-14"),
        ("2013/14", "2013-14"),
        ("2013-2014", "2013-14"),
        ("2013", "2013-14"),
        (2013, "2013-14"),
        (2013.0, "2013-14"),
        ("1999-00", "1999-00"),
        (" 2020 / 21 ", "2020-21"),
    ],
)
def test_price_years(text: object, year: str) -> None:
    assert parse_price_year(text) == year


@pytest.mark.parametrize("text", ["2013-15", "2013/2015", "13-14", "last year", 2013.5, True])
def test_bad_price_years(text: object) -> None:
    with pytest.raises(Exception, match="is not a financial year"):
        parse_price_year(text)


def test_a_list_or_object_where_one_value_belongs_is_an_error_at_its_path() -> None:
    """Found by schemathesis: a list in a cell reached pandas and failed as TypeError."""
    from calculator.errors import InvalidInput as Invalid
    from calculator.inputs import read_input as read
    from calculator.reference import load_reference as load

    doc = {
        "settings": {"seed": [1]},
        "projects": [{"project_id": "a", "costs": [{"confidence_grade": []}], "name": {}}],
    }
    with pytest.raises(Invalid) as raised:
        read(doc, load())
    paths = {p.path for p in raised.value.problems if "must be one value" in p.message}
    assert paths == {"settings.seed", "projects[0].costs[0].confidence_grade", "projects[0].name"}
