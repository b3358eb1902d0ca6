"""A gallery of the slips people make in an input, and exactly what they are told.

Each of these once produced a wrong FROI with no word: an unknown or misplaced key was
dropped (a ``teams`` list at project level changed the whole-service FROI), an agency
written ``LA`` made a second agency beside ``Local Authority``.  Now a slip that would
change a figure is an error naming its JSON path, and nothing is computed; a spelling the
calculator can read without doubt is read, with a warning saying how.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from calculator.agencies import agency_choices, load_agency_aliases
from calculator.engine import compute
from calculator.errors import InvalidInput
from calculator.inputs import read_input
from calculator.jsonpath import json_path
from calculator.reference import DEFAULT_DIR, ReferenceData
from froi.cli import main


def refused(doc: dict[str, Any], reference: ReferenceData) -> list[str]:
    """Every problem of an input that is refused (nothing is computed)."""
    with pytest.raises(InvalidInput) as caught:
        compute(doc, reference)
    assert all(p.severity == "error" for p in caught.value.problems)
    return [str(p) for p in caught.value.problems]


def warned(doc: dict[str, Any], reference: ReferenceData) -> list[str]:
    return [str(w) for w in compute(doc, reference).warnings]


def appraisal(**fields: Any) -> dict[str, Any]:
    project = {
        "project_id": "EOC",
        "costs": [{"amount": 1000, "agency": "Local Authority", "kind": "set_up"}],
        "outcomes": [{"unit_cost_code": "T1.0", "cohort": 10, "success": 0.5}],
    }
    return {**project, **fields}


def case_level(**fields: Any) -> dict[str, Any]:
    project = {
        "project_id": "FASH",
        "mode": "case_level",
        "cases": [{"case_id": "C1", "cost": 100, "team": "North"}],
        "case_outcomes": [{"case_id": "C1", "unit_cost_code": "T1.0", "quantity": 2}],
        "service": {"annual_running_cost": 5000, "annual_throughput": 40},
    }
    return {**project, **fields}


# -- misplaced and unknown keys --------------------------------------------------------


def test_teams_at_project_level_go_inside_service(reference: ReferenceData) -> None:
    teams = [{"team": "North", "annual_throughput": 30}]
    doc = {"projects": [appraisal(), case_level(teams=teams)]}
    assert refused(doc, reference) == [
        "project 'FASH' (projects[1].teams): unknown key 'teams' in a project; 'teams' goes "
        "inside service (projects[1].service.teams)"
    ]
    doc["projects"][1]["service"]["teams"] = doc["projects"][1].pop("teams")
    assert compute(doc, reference).summary["project_id"].tolist() == ["EOC", "FASH"]


def test_an_unknown_key_in_service_is_refused(reference: ReferenceData) -> None:
    service = {"annual_running_cost": 5000, "annual_throughput": 40, "throughput_by_team": {}}
    assert refused({"projects": [case_level(service=service)]}, reference) == [
        "project 'FASH' (projects[0].service.throughput_by_team): unknown key "
        "'throughput_by_team' in service; the keys here are annual_running_cost, "
        "annual_throughput, margin_of_error, price_year, teams"
    ]


def test_a_misspelt_field_of_a_cost_row(reference: ReferenceData) -> None:
    costs = [
        {"amount": 1000, "agency": "Local Authority", "kind": "set_up"},
        {"amount": 500, "agency": "Local Authority", "year": 1, "end_yaer": 4},
    ]
    assert refused({"projects": [appraisal(costs=costs)]}, reference) == [
        "project 'EOC' (projects[0].costs[1].end_yaer): unknown key 'end_yaer' in a costs "
        "row; did you mean 'end_year'?"
    ]


def test_usage_at_project_level_goes_inside_comparison(reference: ReferenceData) -> None:
    project = {
        "project_id": "CMP",
        "mode": "comparison",
        "costs": [{"amount": 1000, "agency": "Local Authority", "kind": "set_up"}],
        "comparison": {
            "intervention_cases": 10,
            "comparison_cases": 10,
            "comparison_usage": [{"unit_cost_code": "T1.0", "quantity": 20}],
        },
        "intervention_usage": [{"unit_cost_code": "T1.0", "quantity": 5}],
    }
    assert refused({"projects": [project]}, reference) == [
        "project 'CMP' (projects[0].intervention_usage): unknown key 'intervention_usage' in a "
        "project; 'intervention_usage' goes inside comparison "
        "(projects[0].comparison.intervention_usage)"
    ]


def test_settings_and_project_fields_in_each_others_place(reference: ReferenceData) -> None:
    doc = {
        "settings": {"simulation": 100, "mode": "appraisal"},
        "projects": [appraisal(appraisal_years=3)],
    }
    assert refused(doc, reference) == [
        "settings.simulation: unknown key 'simulation' in settings; did you mean 'simulations'?",
        "settings.mode: unknown key 'mode' in settings; 'mode' goes in each project",
        "project 'EOC' (projects[0].appraisal_years): unknown key 'appraisal_years' in a "
        "project; 'appraisal_years' goes inside settings",
    ]


def test_unknown_top_level_keys(reference: ReferenceData) -> None:
    doc = {"projects": [appraisal()], "project": [appraisal()], "agency": ["Police"]}
    assert refused(doc, reference) == [
        "project: unknown key 'project' at the top level of the input; did you mean 'projects'?",
        "agency: unknown key 'agency' at the top level of the input; did you mean "
        "'agencies'? 'agency' goes in the rows of costs or in the rows of unit_costs",
    ]


def test_service_figures_at_project_level_go_inside_service(reference: ReferenceData) -> None:
    project = case_level(annual_running_cost=5000, service_price_year="2019-20")
    assert refused({"projects": [project]}, reference) == [
        "project 'FASH' (projects[0].annual_running_cost): unknown key 'annual_running_cost' "
        "in a project; 'annual_running_cost' goes inside service "
        "(projects[0].service.annual_running_cost)",
        "project 'FASH' (projects[0].service_price_year): unknown key 'service_price_year' in "
        "a project; 'service_price_year' goes inside service "
        "(projects[0].service.price_year) as 'price_year'",
    ]


def test_unknown_keys_of_local_unit_cost_rows(reference: ReferenceData) -> None:
    row = {
        "code": "L1",
        "name": "x",
        "unit": "per week",
        "value": 7,
        "price_year": "2016-17",
        "agency": "Local Authority",
        "category": "fiscal",
        "source": "local",
        "Confidence Grade": 2,
    }
    assert refused({"unit_costs": [row], "projects": [appraisal()]}, reference) == [
        "unit_costs[0].Confidence Grade: unknown key 'Confidence Grade' in a unit_costs row; "
        "did you mean 'confidence_grade'?"
    ]


def test_shapes_that_cannot_be_read(reference: ReferenceData) -> None:
    doc = {
        "settings": [],
        "agencies": "LA",
        "unit_costs": [1],
        "projects": [appraisal(service=[], costs=[1])],
    }
    assert refused(doc, reference) == [
        "settings: settings must be an object of name: value",
        "project 'EOC', field 'service' (projects[0].service): service must be an object",
        "project 'EOC', costs row 1 (projects[0].costs[0]): each row must be an object of "
        "field: value",
        "unit_costs row 1 (unit_costs[0]): each unit_costs row must be an object of field: value",
        "agencies: agencies must be a list of agency names",
    ]


def test_typed_and_cross_check_problems_carry_their_json_path(reference: ReferenceData) -> None:
    project = {
        "project_id": "CMP",
        "mode": "comparison",
        "costs": [{"amount": 1000, "agency": "Local Authority", "kind": "set_up"}],
        "comparison": {
            "intervention_cases": 10,
            "comparison_cases": 10,
            "intervention_usage": [
                {"unit_cost_code": "T1.0", "quantity": 5},
                {"unit_cost_code": "T2.0", "quantity": 5},
                {"unit_cost_code": "T9.9", "quantity": -1},
            ],
            "comparison_usage": [{"unit_cost_code": "T1.0", "quantity": 20}],
        },
    }
    with pytest.raises(InvalidInput) as caught:
        compute({"projects": [appraisal(), project]}, reference)
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("projects[1].comparison.intervention_usage[2].quantity", "invalid_value"),
        ("projects[1].comparison.intervention_usage[2].unit_cost_code", "unknown_code"),
    ]
    assert caught.value.problems[0].as_dict()["path"] == (
        "projects[1].comparison.intervention_usage[2].quantity"
    )


@pytest.mark.parametrize(
    ("place", "path"),
    [
        ((0, "settings", None, "seed"), "settings.seed"),
        ((None, "unit_costs", 3, "value"), "unit_costs[2].value"),
        ((1, None, None, "service_price_year"), "projects[1].service.price_year"),
        ((1, None, None, "intervention_cases"), "projects[1].comparison.intervention_cases"),
        ((1, None, None, "mode"), "projects[1].mode"),
        ((1, None, None, "unit_cost_code"), "projects[1]"),
        ((0, "teams", 2, "team"), "projects[0].service.teams[1].team"),
        ((0, "comparison_usage", 1, None), "projects[0].comparison.comparison_usage[0]"),
        ((0, "service", None, None), "projects[0].service"),
        ((0, "costs", None, None), "projects[0].costs"),
    ],
)
def test_json_paths(place: tuple[Any, ...], path: str) -> None:
    assert json_path(*place) == path


# -- agencies ----------------------------------------------------------------------------


def test_other_names_of_an_agency_are_read_as_it(reference: ReferenceData) -> None:
    costs = [
        {"amount": 100, "agency": "LA", "kind": "set_up"},
        {"amount": 200, "agency": "local authority", "kind": "set_up"},
        {"amount": 300, "agency": "council", "kind": "set_up"},
        {"amount": 400, "agency": "CJS", "kind": "set_up"},
    ]
    doc = {"settings": {"apply_optimism_bias": False}, "projects": [appraisal(costs=costs)]}
    results = compute(doc, reference)
    assert [str(w) for w in results.warnings[:4]] == [
        "project 'EOC', costs row 1, field 'agency' (projects[0].costs[0].agency): agency 'LA' "
        "is read as 'Local Authority' (a known other name for it)",
        "project 'EOC', costs row 2, field 'agency' (projects[0].costs[1].agency): agency "
        "'local authority' is read as 'Local Authority' (it differs only in case, spaces or "
        "punctuation)",
        "project 'EOC', costs row 3, field 'agency' (projects[0].costs[2].agency): agency "
        "'council' is read as 'Local Authority' (a known other name for it)",
        "project 'EOC', costs row 4, field 'agency' (projects[0].costs[3].agency): agency "
        "'CJS' is read as 'Criminal Justice System' (a known other name for it)",
    ]
    costs_by_agency = results.to_dict()["projects"][0]["costs_by_agency"]
    assert costs_by_agency == {
        "Criminal Justice System": pytest.approx(400),
        "Local Authority": pytest.approx(600),
    }


def test_a_new_agency_is_refused_then_accepted_when_declared(reference: ReferenceData) -> None:
    costs = [
        {"amount": 100, "agency": "Local Authority", "kind": "set_up"},
        {"amount": 100, "agency": "Police", "kind": "set_up"},
        {"amount": 100, "agency": "Polce", "kind": "set_up"},
    ]
    doc: dict[str, Any] = {"projects": [appraisal(costs=costs)]}
    assert refused(doc, reference) == [
        "project 'EOC', costs row 2, field 'agency' (projects[0].costs[1].agency): agency "
        "'Police' is not an agency of this run; the agencies are Criminal Justice System, "
        "Individual, Local Authority, NHS (to use a new agency on purpose, add it to the "
        "input's agencies list)",
        "project 'EOC', costs row 3, field 'agency' (projects[0].costs[2].agency): agency "
        "'Polce' is not an agency of this run; the agencies are Criminal Justice System, "
        "Individual, Local Authority, NHS (to use a new agency on purpose, add it to the "
        "input's agencies list)",
    ]
    doc["agencies"] = ["Police"]
    assert refused(doc, reference) == [
        "project 'EOC', costs row 3, field 'agency' (projects[0].costs[2].agency): agency "
        "'Polce' is not an agency of this run; did you mean 'Police'? (to use a new agency on "
        "purpose, add it to the input's agencies list)"
    ]
    costs[2]["agency"] = "police"
    run = read_input(doc, reference)
    assert set(run.lists["costs"]["agency"]) == {"Local Authority", "Police"}
    assert run.agencies == (
        "Local Authority",
        "NHS",
        "Criminal Justice System",
        "Individual",
        "Police",
    )
    assert agency_choices(run.unit_costs, run.declared_agencies) == [
        "Criminal Justice System",
        "Individual",
        "Local Authority",
        "NHS",
        "Police",
    ]


def test_a_declared_agency_must_not_be_another_name_for_one(reference: ReferenceData) -> None:
    doc = {"agencies": ["LA", "Individual"], "projects": [appraisal()]}
    assert refused(doc, reference) == [
        "agencies[0]: agency 'LA' is already the agency 'Local Authority' (a known other name "
        "for it); use 'Local Authority' rather than adding it again under another name"
    ]


def test_local_unit_cost_rows_bring_agencies_and_take_the_tables_spelling(
    reference: ReferenceData,
) -> None:
    def row(code: str, agency: str) -> dict[str, Any]:
        return {
            "code": code,
            "name": "a local unit cost",
            "unit": "per week",
            "value": 646,
            "price_year": "2016-17",
            "agency": agency,
            "category": "fiscal",
            "confidence_grade": 2,
            "source": "local",
        }

    costs = [{"unit_cost_code": "L1", "quantity": 1}, {"amount": 5, "agency": "Hampshire CC"}]
    doc = {
        "unit_costs": [row("t1.0", "council"), row("L1", "Hampshire CC")],
        "projects": [appraisal(costs=costs)],
    }
    run = read_input(doc, reference)
    assert [str(w) for w in run.warnings[:2]] == [
        "unit_costs row 1, field 'code' (unit_costs[0].code): unit cost code 't1.0' is read "
        "as 'T1.0': codes are matched without regard to case, so this row replaces that "
        "unit cost",
        "unit_costs row 1, field 'agency' (unit_costs[0].agency): agency 'council' is read as "
        "'Local Authority' (a known other name for it)",
    ]
    assert run.unit_costs.local_codes == ("T1.0", "L1")
    assert run.unit_costs.rows.at["T1.0", "agency"] == "Local Authority"
    assert "Hampshire CC" in run.agencies
    clash = {"unit_costs": [row("l2", "NHS"), row("L2", "NHS")], "projects": [appraisal()]}
    assert refused(clash, reference) == [
        "unit_costs row 2, field 'code' (unit_costs[1].code): code 'L2' is code 'l2' (row 1) "
        "written in another case: codes are matched without regard to case, so keep one row"
    ]


def test_the_aliases_file_is_strict(tmp_path: Path, reference: ReferenceData) -> None:
    shipped = load_agency_aliases(DEFAULT_DIR / "agency_aliases.csv")
    assert shipped.name == "Agency aliases" and len(shipped.sha256) == 64
    assert reference.provenance()["agency_aliases"]["sha256"] == shipped.sha256
    assert shipped.groups[0][:2] == ("Local Authority", "LA")
    bad = tmp_path / "aliases.csv"
    bad.write_text("alias,agency,colour\nLA,Local Authority,\n,NHS,\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_agency_aliases(bad)
    assert [str(p) for p in caught.value.problems] == [
        "file 'aliases.csv', field 'colour': unknown column 'colour'; this table has the "
        "columns alias, agency, notes"
    ]
    bad.write_text("alias,agency\nLA,Local Authority\nLA,Police\n,NHS\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_agency_aliases(bad)
    assert [str(p) for p in caught.value.problems] == [
        "file 'aliases.csv', row 3, field 'alias': 'LA' would stand for both "
        "'Local Authority' and 'Police'",
        "file 'aliases.csv', row 4, field 'alias': 'alias' is blank",
    ]


# -- unit cost codes ---------------------------------------------------------------------


def test_codes_match_without_regard_to_case(reference: ReferenceData) -> None:
    doc = {
        "projects": [
            appraisal(
                costs=[{"unit_cost_code": "t6.0", "quantity": 10, "kind": "set_up"}],
                outcomes=[{"unit_cost_code": "t2.0", "cohort": 10, "success": 0.5}],
            )
        ]
    }
    results = compute(doc, reference)
    assert [str(w) for w in results.warnings] == [
        "project 'EOC', costs row 1, field 'unit_cost_code' (projects[0].costs[0].unit_cost_code):"
        " unit cost code 't6.0' is read as 'T6.0': codes are matched without regard to case",
        "project 'EOC', outcomes row 1, field 'unit_cost_code' "
        "(projects[0].outcomes[0].unit_cost_code): unit cost code 't2.0' is read as 'T2.0': "
        "codes are matched without regard to case",
    ]
    assert results.outcomes["unit_cost_code"].tolist() == ["T2.0"]
    same = {"projects": [appraisal(costs=doc["projects"][0]["costs"], outcomes=[])]}
    same["projects"][0]["outcomes"] = [{"unit_cost_code": "T2.0", "cohort": 10, "success": 0.5}]
    assert compute(same, reference).summary["pv_fiscal"].tolist() == (
        results.summary["pv_fiscal"].tolist()
    )


# -- cost years ---------------------------------------------------------------------------


def test_end_year_within_the_period_and_not_before_year(reference: ReferenceData) -> None:
    costs = [
        {"amount": 1, "agency": "Local Authority", "year": 3, "end_year": 1},
        {"amount": 1, "agency": "Local Authority", "year": 1, "end_year": 6},
    ]
    doc = {"settings": {"appraisal_years": 4}, "projects": [appraisal(costs=costs)]}
    assert refused(doc, reference) == [
        "project 'EOC', costs row 1, field 'end_year' (projects[0].costs[0].end_year): "
        "end_year (1) is before year (3); a cost runs each year from year to end_year, so "
        "end_year must be year or later",
        "project 'EOC', costs row 2, field 'end_year' (projects[0].costs[1].end_year): "
        "end_year 6 is outside the appraisal period of 4 years (0 to 3)",
    ]


def test_a_recurring_cost_without_end_year_is_said_to_fall_in_one_year(
    reference: ReferenceData,
) -> None:
    costs = [
        {"amount": 1, "agency": "Local Authority", "year": 2},
        {"amount": 1, "agency": "Local Authority", "year": 0, "end_year": 4},
        {"amount": 1, "agency": "Local Authority", "year": 1, "kind": "set_up"},
        # in the appraisal's last year (4 of 0-4) a row could not repeat: no warning
        {"amount": 1, "agency": "Local Authority", "year": 4},
    ]
    assert warned({"projects": [appraisal(costs=costs)]}, reference) == [
        "project 'EOC', costs row 1, field 'end_year' (projects[0].costs[0].end_year): a "
        "recurring cost with no end_year falls in year 2 only; give end_year to repeat it "
        "each year"
    ]


# -- empty projects -----------------------------------------------------------------------


def test_empty_appraisal_projects_are_warned_about_first(reference: ReferenceData) -> None:
    late = {"unit_cost_code": "T1.0", "cohort": 10, "success": 0.5, "cohort_year": 9}
    doc = {
        "projects": [
            appraisal(outcomes=[late]),
            {"project_id": "EMPTY"},
            appraisal(project_id="FREE", costs=[]),
        ]
    }
    results = compute(doc, reference)
    assert [(w.project, w.code) for w in results.warnings] == [
        ("EMPTY", "no_outcomes"),
        ("EMPTY", "no_costs"),
        ("FREE", "no_costs"),
        ("EOC", "benefit_after_period"),
        ("EMPTY", "no_ratio"),
        ("FREE", "no_ratio"),
    ]
    assert [str(w) for w in results.warnings if w.project == "EMPTY"] == [
        "project 'EMPTY', outcomes (projects[1].outcomes): this appraisal project has no "
        "outcomes, so it counts no benefits",
        "project 'EMPTY', costs (projects[1].costs): this appraisal project has no costs; give "
        "what it costs so that its ratios can be worked out",
        "project 'EMPTY', costs (projects[1].costs): the project has no costs, so every ratio "
        "is left blank",
    ]


def test_the_zero_cost_warning_says_why(reference: ReferenceData) -> None:
    costs = [
        {"amount": 100, "agency": "Local Authority", "kind": "set_up"},
        {"amount": 100, "agency": "Local Authority", "kind": "offset"},
    ]
    zero = [{"amount": 0, "agency": "Local Authority", "kind": "set_up"}]
    doc = {
        "settings": {"apply_optimism_bias": False},
        "projects": [appraisal(costs=costs), appraisal(project_id="ZERO", costs=zero)],
    }
    assert warned(doc, reference) == [
        "project 'EOC', costs (projects[0].costs): present value of costs is £0 (offsets at "
        "least match costs), so every ratio is left blank",
        "project 'ZERO', costs (projects[1].costs): present value of costs is £0, so every "
        "ratio is left blank",
    ]


# -- the command line -------------------------------------------------------------------


def test_the_command_line_refuses_a_slip_with_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = {"projects": [case_level(teams=[{"team": "North", "annual_throughput": 5}])]}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    fixture = Path(__file__).parent / "data" / "fixture_unit_costs.csv"
    assert main(["compute", str(path), "--unit-costs", str(fixture)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "1 problem(s) in input; nothing was computed:",
        "  - project 'FASH' (projects[0].teams): unknown key 'teams' in a project; 'teams' "
        "goes inside service (projects[0].service.teams)",
    ]


SAMPLES = Path(__file__).resolve().parents[1] / "sample_workbooks"


def test_an_observed_design_valued_with_a_non_fiscal_unit_cost_is_warned_about(
    default_reference: ReferenceData,
) -> None:
    """Costs avoided and the observed FROI count every row as a public cost (METHOD 3, 4):
    a crime cost that includes social value (CR8.2, social since table 2026.2) is said."""
    doc = json.loads((SAMPLES / "comparison_group_study.json").read_text())
    doc["projects"][0]["comparison"]["comparison_usage"].append(
        {"unit_cost_code": "CR8.2", "quantity": 3}
    )
    warnings = [
        str(w) for w in compute(doc, default_reference).warnings if w.code == "observed_non_fiscal"
    ]
    assert warnings == [
        "project 'FGC-CMP', comparison_usage row 5, field 'unit_cost_code' "
        "(projects[0].comparison.comparison_usage[4].unit_cost_code): unit cost CR8.2 is "
        "categorised social, not fiscal: costs avoided would count value that is not a cost "
        "to public budgets; use a fiscal unit cost (or the unit cost's fiscal parts)"
    ]
