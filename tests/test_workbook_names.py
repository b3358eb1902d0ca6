"""Names people type for sheets and headers: what counts as a slip for an expected name,
and what does not (a suggestion must be close, or it misleads)."""

from __future__ import annotations

import pytest

from froi.workbook.layout import SHEET_BY_NAME, SHEETS
from froi.workbook.names import LABELS, edit_distance, header_key, header_lookup, nearest
from froi.workbook.sheets import holds_headers_of, lookalike
from froi.workbook.writer import sheet_fields

SHEET_NAMES = [s.name for s in SHEETS]


def fields_of(sheet: str) -> list[str]:
    return [f.name for f in sheet_fields(SHEET_BY_NAME[sheet])]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Outcomes 2024", "Outcomes"),
        ("costs1", "Costs"),
        ("Costs (2)", "Costs"),
        ("Outcome", "Outcomes"),
        ("Ouctomes", "Outcomes"),  # two letters swapped: one edit
        ("Porjects", "Projects"),
        ("Team", "Teams"),
        ("Comparison use", "ComparisonUsage"),
        ("Case outcome", "CaseOutcomes"),
        ("Unit cost", "UnitCosts"),
        ("Setting", "Settings"),
        # not close: no suggestion
        ("Terms", None),  # a short name allows only a last letter more or less
        ("Products", None),  # two edits from Projects: too far for 8 letters
        ("Notes", None),
        ("Budget", None),
        ("Summary", None),
        ("Outcome values", None),
        ("Instructions (2)", None),
        ("Sheet1", None),
    ],
)
def test_sheet_names_close_to_an_input_sheet(typed: str, expected: str | None) -> None:
    assert nearest(typed, SHEET_NAMES) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("deadwieght", "deadweight"),
        ("sucess", "success"),
        ("Unit cost cod", "unit_cost_code"),
        ("engagment", "engagement"),
        ("Displacment", "displacement"),
        ("cohort size", "cohort"),
        ("Drop off rate", "drop_off"),
        ("successlo", "success_low"),
        # not close
        ("notes", None),
        ("comments", None),
        ("value", None),
        ("year", None),
        ("log", None),  # lag: under four letters, no typo is guessed
        ("theme", None),
    ],
)
def test_headers_close_to_an_outcomes_field(typed: str, expected: str | None) -> None:
    assert nearest(typed, fields_of("Outcomes")) == expected


def test_edit_distance_counts_a_swap_as_one() -> None:
    assert edit_distance("deadwieght", "deadweight") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_distance("same", "same") == 0


def test_header_lookup_ignores_case_spaces_and_punctuation() -> None:
    lookup = header_lookup(["unit_cost_code", "drop_off"])
    assert lookup["unitcostcode"] == "unit_cost_code" and lookup["dropoff"] == "drop_off"
    # and the plain-English labels the template shows (LABELS)
    assert lookup["unitcostcodeandname"] == "unit_cost_code"
    assert lookup["dropofflosteachlateryear"] == "drop_off"
    assert set(lookup.values()) == {"unit_cost_code", "drop_off"}


def test_no_label_is_another_fields_name_or_label_on_a_sheet() -> None:
    for sheet in SHEETS:
        keys: dict[str, str] = {}
        for f in sheet_fields(sheet):
            for text in (f.name, *LABELS.get(f.name, ())):
                assert keys.setdefault(header_key(text), f.name) == f.name, (sheet.name, text)


def test_a_sheet_is_recognised_by_its_headers() -> None:
    assert holds_headers_of(fields_of("Outcomes")) == SHEET_BY_NAME["Outcomes"]
    assert holds_headers_of(fields_of("Costs")) == SHEET_BY_NAME["Costs"]
    usage = ["Project ID", "Group", "Unit cost code", "Quantity"]  # 3 of them are on Costs too
    assert holds_headers_of(usage) == SHEET_BY_NAME["ComparisonUsage"]
    assert (
        holds_headers_of(["project_id", "unit_cost_code", "cohort", "success"])
        == (SHEET_BY_NAME["Outcomes"])
    )
    # two field names are not enough, nor three among many other headers
    assert holds_headers_of(["project_id", "description", "notes"]) is None
    assert holds_headers_of(["name", "value"]) is None
    assert holds_headers_of(["amount", "year", "agency", "a", "b", "c", "d"]) is None
    assert holds_headers_of([]) is None


def test_why_a_sheet_looks_like_an_input_sheet() -> None:
    outcomes = SHEET_BY_NAME["Outcomes"]
    headers = fields_of("Outcomes")
    assert lookalike("Outcomes 2024", headers) == (outcomes, "its name and its headers")
    assert lookalike("Outcomes 2024", ["Who", "What"]) == (outcomes, "its name")
    assert lookalike("Pilot data", headers) == (outcomes, "its headers")
    assert lookalike("Costs old", headers) == (outcomes, "its headers")  # the content wins
    assert lookalike("Notes", ["Who", "What"]) == (None, "")
