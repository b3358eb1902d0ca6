"""The category rule: a unit cost described as including economic or social value is never
fiscal (METHOD 2.2), read from its name, and refused wherever a table is loaded.

The rule is pinned on every real name in the GMCA extraction that contains "social" or
"econom", both ways: the 48 value-type labels are found, and the 38 ordinary uses of the
words ("Social Services", "social worker", "health and social care costs") are not.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from calculator.categories import category_problems, fiscal_parts, value_label
from calculator.engine import compute
from calculator.errors import InvalidInput
from calculator.reference import ReferenceData
from calculator.unit_costs import COLUMNS, load_table, validate_rows

ROOT = Path(__file__).resolve().parents[1]
GMCA = ROOT / "unit_costs" / "sources" / "gmca_unit_cost_database_v1_4.json"
COLUMN_NAMES = ",".join(COLUMNS)


def gmca_names() -> dict[str, str]:
    data = json.loads(GMCA.read_text(encoding="utf-8"))
    return {
        e["code"]: e["description"]
        for block in data["categories"].values()
        for e in block["entries"]
    }


#: The labels in the GMCA extraction, by the words each uses.
SOCIAL = {"CR2.0", *(f"CR8.{i}" for i in range(20) if i != 18)}
ECONOMIC_WORDS = {
    "fiscal and economic values": {"CR8.18"},
    "fiscal and economic cost": {"E&S2.0"},
    "fiscal and economic savings": {"E&S4.1", "SS16.0"},
    "fiscal and economic benefits": {f"E&S{i}.0" for i in range(5, 14)},
    "Fiscal and economic benefit": {"E&E1.0", "E&E2.0", "E&E3.0"},
    "fiscal and economic costs": {*(f"HE11.{i}" for i in range(10)), "HE13.0", "HE13.1"},
}


def test_every_gmca_label_is_found_with_its_words() -> None:
    names = gmca_names()
    found = {code: value_label(name) for code, name in names.items()}
    labelled = {code: label for code, label in found.items() if label is not None}
    assert {c for c, lab in labelled.items() if lab.category == "social"} == SOCIAL
    for code in SOCIAL:
        assert labelled[code].words == "fiscal, economic and social values"
    for words, codes in ECONOMIC_WORDS.items():
        for code in codes:
            assert (labelled[code].category, labelled[code].words) == ("economic", words), code
    assert len(labelled) == len(SOCIAL) + sum(map(len, ECONOMIC_WORDS.values())) == 48


def test_ordinary_uses_of_the_words_are_not_labels() -> None:
    """Every other GMCA name holding 'social' or 'econom' is not a value-type label."""
    names = gmca_names()
    ordinary = {
        c: n
        for c, n in names.items()
        if re.search("social|econom", n, re.I) and value_label(n) is None
    }
    assert len(ordinary) == 38
    for code in ("SS18.2", "CR1.0", "HO7.3", "HE7.10", "HE2.0.3", "E&S2.0.4", "SS2.0.1"):
        assert code in ordinary, code
    for name in (
        "Social Services",
        "Social worker - children's services: cost per hour, with qualification costs",
        "Hip fracture - health and social care costs per incident",
        "Anti-social behaviour further action necessary (cost of dealing with incident)",
        "Housing Benefit - average weekly award, social rented sector, Registered Social "
        "Landlord (Registered Provider) tenants",
        "Permanent exclusion from school - social services fiscal cost, per individual",
        "Social housing - average weekly rent",
        "Economically inactive adult - out-of-work benefits per week",
        "Socio-economic deprivation index support costs",
        "Employment & Economy - Jobcentre Plus adviser",
        "Economic and Social Research Council funded evaluation, per site",
        "Social Value Act compliance review, per contract",
        "Domestic violence - fiscal cost per incident, excluding economic and social costs",
        "Crime - fiscal cost only, without the economic and social values",
        "Exclusion - fiscal cost, not including economic costs",
        "Shoplifting - fiscal cost to the police",
    ):
        assert value_label(name) is None, name


@pytest.mark.parametrize(
    ("name", "category", "words"),
    [
        ("Crime (fiscal, economic & social values)", "social", "fiscal, economic & social values"),
        ("Cost of crime - economic and social costs", "social", "economic and social costs"),
        ("Youth offending (economic and social)", "social", "economic and social"),
        ("Wellbeing gain - social value per person", "social", "social value"),
        ("Earnings - economic benefit of a job", "economic", "economic benefit"),
        ("Truancy: fiscal & economic", "economic", "fiscal & economic"),
        ("Exclusion - fiscal/economic cost per year", "economic", "fiscal/economic cost"),
        ("Economic value of volunteering, social values too", "social", "social values"),
    ],
)
def test_value_type_phrases_a_steward_might_write(name: str, category: str, words: str) -> None:
    label = value_label(name)
    assert label is not None and (label.category, label.words) == (category, words)


def row(code: str, name: str, category: str, value: float = 100.0) -> dict[str, object]:
    return {
        "code": code,
        "name": name,
        "unit": "Per incident",
        "value": value,
        "price_year": "2010-11",
        "agency": "Police",
        "category": category,
        "source": "test",
    }


def check(*rows: dict[str, object], list_name: str | None = None) -> list[str]:
    records = [(i, r) for i, r in enumerate(rows, start=2)]
    _, problems = validate_rows(records, COLUMNS, file="t.csv", deflators=None, list_name=list_name)
    return [str(p) for p in problems]


HOMICIDE = "Homicide - average cost (fiscal, economic and social values)"


def test_the_loader_refuses_a_labelled_row_it_may_not_have_and_says_what_it_would_take() -> None:
    (fiscal,) = check(row("CR8.1", HOMICIDE, "fiscal"))
    assert fiscal.startswith("file 't.csv', row 2, field 'category': CR8.1 is categorised fiscal")
    assert "'fiscal, economic and social values'" in fiscal and "overstate the FROI" in fiscal
    assert "Give it category social; or use its fiscal part instead if" in fiscal
    (economic,) = check(row("CR8.1", HOMICIDE, "economic"))
    assert "categorised economic" in economic and "overstate the economic ratio" in economic
    assert check(row("CR8.1", HOMICIDE, "social")) == []
    shoplifting = "Shoplifting - average cost per incident (fiscal and economic values)"
    assert check(row("CR8.18", shoplifting, "economic")) == []
    assert check(row("CR8.18", shoplifting, "social")) == []  # understates: allowed
    (refused,) = check(row("CR8.18", shoplifting, "fiscal"))
    assert "Give it category economic or social" in refused
    # an unknown category is refused once, for being unknown
    (unknown,) = check(row("CR8.1", HOMICIDE, "wellbeing"))
    assert "category must be one of" in unknown


def test_the_refusal_names_the_fiscal_parts_the_table_holds() -> None:
    police = row("CR8.1.1", "Homicide - fiscal cost to the police", "fiscal", 60.0)
    nhs = row("CR8.1.2", "Homicide - fiscal cost to the NHS", "fiscal", 40.0)
    labelled_part = row("CR8.1.3", "Homicide - economic cost to victims", "economic", 5.0)
    (problem,) = check(row("CR8.1", HOMICIDE, "fiscal"), police, nhs, labelled_part)
    assert "or use its fiscal parts CR8.1.1, CR8.1.2, rows of their own in this table" in problem
    frame, _ = validate_rows(
        [(2, row("CR8.1", HOMICIDE, "social")), (3, police), (4, nhs), (5, labelled_part)],
        COLUMNS,
        file=None,
        deflators=None,
    )
    parts = fiscal_parts("CR8.1", frame)
    assert parts is not None and parts.codes == ("CR8.1.1", "CR8.1.2")
    assert parts.total == 100.0 and parts.whole
    assert fiscal_parts("CR8.1.1", frame) is None
    assert category_problems(frame, {}, file=None) == []


def test_a_steward_csv_with_a_fiscal_and_economic_row_as_fiscal_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "my_table.csv"
    path.write_text(
        f"{COLUMN_NAMES}\n"
        "L1,Respite night,per night,310,2023-24,Local Authority,,fiscal,true,3,contract,,,\n"
        "L2,Apprenticeship - annual fiscal and economic benefits,Per person per year,"
        "5000,2023-24,HM Treasury,,fiscal,false,4,local study,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as caught:
        load_table(path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.field) == ("my_table.csv", 3, "category")
    assert "L2 is categorised fiscal" in problem.message
    assert "'fiscal and economic benefits'" in problem.message
    assert "Give it category economic or social" in problem.message


def test_a_runs_local_row_labelled_so_but_fiscal_is_refused(
    default_reference: ReferenceData,
) -> None:
    doc = {
        "unit_costs": [
            {
                "code": "LOCAL-DV",
                "name": "Domestic violence incident (fiscal, economic and social values)",
                "unit": "Per incident",
                "value": 3000,
                "price_year": "2023-24",
                "agency": "Multiple",
                "category": "fiscal",
                "source": "local study",
            }
        ],
        "projects": [
            {
                "id": "P1",
                "name": "Test",
                "costs": [{"description": "c", "year": 0, "amount": 1000, "kind": "set_up"}],
                "outcomes": [{"unit_cost_code": "LOCAL-DV", "cohort": 10, "success": 0.5}],
            }
        ],
    }
    with pytest.raises(InvalidInput) as caught:
        compute(doc, default_reference)
    (problem,) = [p for p in caught.value.problems if p.field == "category"]
    assert (problem.list, problem.row) == ("unit_costs", 1)
    assert "LOCAL-DV is categorised fiscal" in problem.message
    assert "Give it category social" in problem.message


def test_a_table_published_before_the_rule_can_still_be_read_back() -> None:
    """The web reads stored tables back through the loader; a version published before the
    rule (2026.1) can be read with the rule off, so its runs can still be reproduced."""
    records = [(2, row("CR8.1", HOMICIDE, "fiscal"))]
    frame, problems = validate_rows(
        records, COLUMNS, file=None, deflators=None, check_categories=False
    )
    assert problems == [] and frame.at["CR8.1", "category"] == "fiscal"
    _, refused = validate_rows(records, COLUMNS, file=None, deflators=None)
    assert [p.field for p in refused] == ["category"]
