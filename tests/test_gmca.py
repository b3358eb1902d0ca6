"""The GMCA Unit Cost Database importer: every entry kept, every problem reported by code.

The expected warnings below were found by reading the extraction (see unit_costs/README.md):
if a check stops finding them, or the data changes, these tests say which code moved.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from calculator.gmca import (
    KINDS,
    GmcaImport,
    QualityProblem,
    import_gmca,
    problem_kind,
    quality_report,
)
from calculator.prices import DeflatorTable
from calculator.reference import load_deflators
from calculator.unit_costs import COLUMNS, load_table, validate_rows, write_table

ROOT = Path(__file__).resolve().parents[1]
GMCA = ROOT / "unit_costs" / "sources" / "gmca_unit_cost_database_v1_4.json"
SHARED = Path(__file__).parents[2] / "shared" / "reference"


@pytest.fixture(scope="module")
def deflators() -> DeflatorTable:
    return load_deflators(ROOT / "unit_costs" / "gdp_deflators.csv")


@pytest.fixture(scope="module")
def imported(deflators: DeflatorTable) -> GmcaImport:
    return import_gmca(GMCA, deflators)


def raw_entries() -> list[dict[str, Any]]:
    data = json.loads(GMCA.read_text(encoding="utf-8"))
    return [e for block in data["categories"].values() for e in block["entries"]]


def codes_of(imported: GmcaImport, kind: str) -> set[str]:
    return {p.code for p in imported.problems if isinstance(p, QualityProblem) and p.kind == kind}


def warning_about(imported: GmcaImport, code: str, kind: str) -> QualityProblem:
    (found,) = [
        p
        for p in imported.problems
        if isinstance(p, QualityProblem) and p.code == code and p.kind == kind
    ]
    return found


def test_the_project_copy_is_the_shared_reference_file() -> None:
    shared = SHARED / "gmca_unit_cost_database_v1_4.json"
    if not shared.exists():
        pytest.skip("shared reference folder not present")
    assert shared.read_bytes() == GMCA.read_bytes()


def test_all_674_entries_load_and_none_is_dropped(imported: GmcaImport) -> None:
    entries = raw_entries()
    assert len(entries) == 674
    assert len(imported.rows) == 674
    assert list(imported.rows.index) == [e["code"] for e in entries]
    assert list(imported.rows["value"]) == [e["cost_gbp"] for e in entries]
    assert list(imported.rows["name"]) == [e["description"] for e in entries]
    assert list(imported.entries["position"]) == list(range(1, 675))


def test_rows_are_typed_as_the_strict_loader_types_them(imported: GmcaImport) -> None:
    record = {
        "code": "X1.0",
        "name": "n",
        "unit": "Per week",
        "value": 1,
        "price_year": "2013-14",
        "agency": "NHS",
        "category": "fiscal",
        "source": "s",
    }
    reference, _ = validate_rows([(1, record)], COLUMNS, file=None, deflators=None)
    assert list(imported.rows.columns) == list(COLUMNS[1:])
    assert imported.rows.index.name == "code"
    assert imported.rows.dtypes.to_dict() == reference.dtypes.to_dict()


def test_an_entry_is_mapped_field_by_field(imported: GmcaImport) -> None:
    row = imported.rows.loc["SS2.0"]
    assert row["name"] == "Child into local authority foster care: overall cost (cost per week)"
    assert (row["unit"], row["value"], row["price_year"]) == ("Per week", 700.0, "2013-14")
    assert (row["agency"], row["agency_detail"]) == ("Local Authority", "Social Services")
    assert (row["category"], bool(row["cashable"])) == ("fiscal", False)
    assert row["source"] == (
        "GMCA Unit Cost Database v1.4 (March 2015), Social Services/LOOKED AFTER CHILDREN; "
        "price year 2013-14"
    )
    assert row["group"] == "Social Services / LOOKED AFTER CHILDREN"
    assert imported.rows.at["FI1.0", "group"] == "Fire"  # detail '-' is no detail


def test_every_price_year_is_in_the_deflator_table(imported: GmcaImport) -> None:
    assert not codes_of(imported, "price_year")
    assert set(imported.rows["price_year"]) >= {"2000-01", "2013-14", "2014-15"}


def test_known_hierarchy_mismatches_are_reported_by_code(imported: GmcaImport) -> None:
    assert codes_of(imported, "hierarchy_mismatch") == {
        "CR1.4",
        "CR3.0",
        "CR8.0",
        "HE2.0",
        "HE3.0",
        "HE7.0",
        "HE7.1",
        "HE7.11",
        "HE14.0",
        "HO1.0",
        "HO3.0",
        "SS1.2",
        "SS5.0",
        "SS6.0",
        "SS7.1",
        "SS8.0",
    }
    by_code = {
        p.code: p
        for p in imported.problems
        if isinstance(p, QualityProblem) and p.kind == "hierarchy_mismatch"
    }
    ss8 = by_code["SS8.0"]
    assert (ss8.file, ss8.field, ss8.severity) == (
        "gmca_unit_cost_database_v1_4.json",
        "value",
        "warning",
    )
    assert ss8.row == int(imported.entries.at["SS8.0", "position"])
    assert "SS8.0 is £7,778.00" in ss8.message and "sum to £643.62" in ss8.message
    assert "alternatives" in by_code["HE7.0"].message  # elective vs non-elective: an average
    assert "alternatives" not in by_code["SS7.1"].message  # a £99,532 'part' is no alternative


def test_the_lost_police_cost_of_all_crime_is_found(imported: GmcaImport) -> None:
    """CR8.0.1 (police) is missing: workbook row 58 was not extracted, so CR8.0's parts
    sum to £381.07 against £609."""
    messages = {
        p.kind: p.message
        for p in imported.problems
        if isinstance(p, QualityProblem) and p.code in ("CR8.0", "CR8.0.2")
    }
    assert "CR8.0.1" in messages["missing_component"]
    assert "rows 58 to 58 of workbook sheet 'Crime'" in messages["extraction_gap"]
    assert codes_of(imported, "extraction_gap") == {"CR8.0.2", "E&S9.0", "E&S13.0"}


def test_implausible_values_are_flagged(imported: GmcaImport) -> None:
    qualifications = {f"E&S{n}.0" for n in range(5, 14)}  # £330,840 to £11m per person per year
    assert codes_of(imported, "implausible_value") == qualifications | {
        "HE2.0.3",  # £16.9m a year as a part of a £3,614 saving
        "SS7.1",
        "SS7.1.3",
        "SS8.0",  # £7,375, £99,532 and £7,778 a week
        "SS11.2",
        "SS11.9",
        "SS12.2",  # £3,732 an hour, £4,632 meals a week, £4,232 a session
    }
    assert codes_of(imported, "zero_value") == {"CR8.18.5"}


def test_units_that_are_not_rates_are_flagged(imported: GmcaImport) -> None:
    multi = codes_of(imported, "multi_year_unit")
    assert {"E&E10.4", "E&S4.1", "SS15.3", "SS16.0.2", "HE2.1"} <= multi
    assert imported.rows.at["E&E10.4", "unit"] == "Lifetime"
    assert {"HE8.0", "HE24.0", "HE25.0"} <= codes_of(imported, "unit_mismatch")


def test_agencies_are_normalised_and_problems_kept(imported: GmcaImport) -> None:
    agencies = set(imported.rows["agency"]) | set(imported.rows["agency_detail"])
    assert "Local authority" not in agencies and "-" not in agencies
    assert imported.rows.at["HO1.0", "agency"] == "Local Authority"
    assert "HO1.0" in codes_of(imported, "agency_spelling")
    assert imported.rows.at["CR2.0", "agency"] == "Multiple"  # kept, with a warning
    assert len(codes_of(imported, "multiple_agency")) == 44
    assert {"E&S4.1", "HE11.0", "SS8.0"} <= codes_of(imported, "total_single_agency")


def test_duplicates_and_mixed_labels(imported: GmcaImport) -> None:
    assert {"SS16.0", "HE2.10", "HO3.0.2"} <= codes_of(imported, "duplicate_entry")
    assert {"E&S13.0", "HE11.7", "CR8.0"} <= codes_of(imported, "mixed_value_label")
    assert "CR8.1" not in codes_of(imported, "mixed_value_label")  # equals its fiscal parts
    assert codes_of(imported, "price_year_differs") == {"HE2.0.1", "HE2.0.2", "HE2.0.3"}


def test_rows_described_as_including_economic_or_social_value_are_recategorised(
    imported: GmcaImport,
) -> None:
    """METHOD 2.2: never fiscal.  48 entries say so: 20 crime costs with social value, 28
    'fiscal and economic' figures; the report counts each and says what to use instead."""
    rows = imported.rows
    counts = Counter(rows["category"])
    assert counts == {"fiscal": 626, "economic": 28, "social": 20}
    recategorised = codes_of(imported, "economic_or_social_value")
    assert recategorised == set(rows.index[rows["category"] != "fiscal"])
    social = {"CR2.0", *(f"CR8.{i}" for i in range(20) if i != 18)}
    assert set(rows.index[rows["category"] == "social"]) == social
    economic = {"CR8.18", "E&S2.0", "E&S4.1", "E&E1.0", "E&E2.0", "E&E3.0", "SS16.0"}
    economic |= {f"E&S{i}.0" for i in range(5, 14)} | {f"HE11.{i}" for i in range(10)}
    assert set(rows.index[rows["category"] == "economic"]) == economic | {"HE13.0", "HE13.1"}
    # ordinary uses of the words stay fiscal
    for code in ("SS18.2", "CR1.0", "HO7.1", "HE7.10", "E&S2.0.4", "E&E1.0.1"):
        assert rows.at[code, "category"] == "fiscal", code
    summary = quality_report(imported.problems, detail=False)
    assert "    48  economic_or_social_value: described as including economic or social" in summary
    jsa, nvq = (
        warning_about(imported, c, "economic_or_social_value") for c in ("E&E1.0", "E&S5.0")
    )
    assert jsa.field == "category" and jsa.severity == "warning"
    assert "'Fiscal and economic benefit'" in jsa.message and "Category economic" in jsa.message
    assert "(E&E1.0.1, E&E1.0.2) and add up to its value" in jsa.message
    assert "No fiscal part of it is published separately" in nvq.message


def test_warning_counts_by_kind(imported: GmcaImport) -> None:
    assert Counter(problem_kind(p) for p in imported.problems) == {
        "hierarchy_mismatch": 16,
        "missing_component": 1,
        "extraction_gap": 3,
        "implausible_value": 16,
        "zero_value": 1,
        "multi_year_unit": 19,
        "unit_mismatch": 7,
        "economic_or_social_value": 48,
        "mixed_value_label": 12,
        "price_year_differs": 3,
        "total_single_agency": 24,
        "multiple_agency": 44,
        "agency_spelling": 53,
        "duplicate_entry": 12,
    }


def test_every_problem_is_a_located_warning_naming_its_code(imported: GmcaImport) -> None:
    for p in imported.problems:
        assert isinstance(p, QualityProblem) and p.kind in KINDS
        assert p.severity == "warning" and p.file == GMCA.name
        assert p.row is not None and 1 <= p.row <= 674
        assert p.code in p.message
        assert p.row == int(imported.entries.at[p.code, "position"])


def test_flags_are_noted_on_the_rows(imported: GmcaImport) -> None:
    assert imported.rows.at["CR8.0", "notes"] == (
        "Workbook sheet 'Crime', row 57. Data-quality warnings: hierarchy_mismatch, "
        "missing_component, economic_or_social_value, mixed_value_label, multiple_agency."
    )
    assert imported.rows.at["SS3.0", "notes"] == "Workbook sheet 'Social Services', row 41."


def test_quality_report_counts_then_lists(imported: GmcaImport) -> None:
    summary = quality_report(imported.problems, detail=False)
    assert summary.splitlines()[0] == "259 data-quality warnings"
    assert "    16  hierarchy_mismatch: parent is not the sum" in summary
    full = quality_report(imported.problems)
    assert all(str(p) in full for p in imported.problems)
    assert quality_report([]) == "0 data-quality warnings"


def test_imported_rows_write_and_load_strictly(
    imported: GmcaImport, deflators: DeflatorTable, tmp_path: Path
) -> None:
    path = tmp_path / "gmca.csv"
    write_table(path, imported.rows)
    table = load_table(path, deflators)
    assert len(table) == 674
    assert {p.message.split()[1] for p in table.quality} == codes_of(imported, "hierarchy_mismatch")


def synthetic(tmp_path: Path, entries: list[dict[str, Any]], **extra: Any) -> Path:
    def entry(code: str, **fields: Any) -> dict[str, Any]:
        base = {
            "code": code,
            "category": "X",
            "detail": "D",
            "description": f"item {code}",
            "unit": "Per week",
            "cost_gbp": 100.0,
            "agency": "NHS",
            "agency_detail": None,
            "source_detail": "2013/14",
            "notes": "",
        }
        return {**base, **fields}

    data = {
        "total_entries": len(entries),
        **extra,
        "categories": {
            "t": {"sheet": "Test", "count": len(entries), "entries": [entry(**e) for e in entries]}
        },
    }
    path = tmp_path / "synthetic.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_bad_entries_are_kept_with_warnings(tmp_path: Path) -> None:
    path = synthetic(
        tmp_path,
        [
            {"code": "A1.0"},
            {"code": "A1.0", "cost_gbp": 120.0},
            {"code": "A2.0", "agency": None},
            {"code": "A3.0", "cost_gbp": None},
            {"code": "A4.0", "source_detail": "1985/86"},
            {"code": "", "agency": "local authority"},
            {"code": "A5.0", "cost_gbp": 0},
            {"code": "A6.0", "cost_gbp": 50_000.0, "detail": "D"},
            {"code": "A6.1", "cost_gbp": 120.0},
        ],
        total_entries=10,
    )
    deflators = DeflatorTable("test", "1", {"2013-14": 100.0})
    imported = import_gmca(path, deflators)
    assert list(imported.rows.index) == [
        "A1.0",
        "A1.0~2",
        "A2.0",
        "A3.0",
        "A4.0",
        "GMCA-UNCODED-6",
        "A5.0",
        "A6.0",
        "A6.1",
    ]
    kinds = {(p.code, p.kind) for p in imported.problems if isinstance(p, QualityProblem)}
    assert {
        ("A1.0~2", "duplicate_code"),
        ("A2.0", "missing_agency"),
        ("A3.0", "missing_value"),
        ("A4.0", "price_year"),
        ("GMCA-UNCODED-6", "invalid"),
        ("GMCA-UNCODED-6", "agency_spelling"),
        ("A5.0", "zero_value"),
        ("A6.0", "implausible_value"),
        ("", "count_mismatch"),
    } <= kinds
    price = next(
        p
        for p in imported.problems
        if isinstance(p, QualityProblem) and (p.code, p.kind) == ("A4.0", "price_year")
    )
    assert "1985-86 is not in the deflator table" in price.message and price.row == 5
    assert imported.rows.at["GMCA-UNCODED-6", "agency"] == "Local Authority"


def test_a_part_far_above_its_parent_and_an_outlying_sibling(tmp_path: Path) -> None:
    path = synthetic(
        tmp_path,
        [
            {"code": "B1.0", "cost_gbp": 10.0},
            {"code": "B1.0.1", "cost_gbp": 6.0},
            {"code": "B1.0.2", "cost_gbp": 400.0},
            {"code": "B2.0", "cost_gbp": 20.0},
            {"code": "B3.0", "cost_gbp": 30.0},
            {"code": "B3.1", "cost_gbp": 3_500.0},
            {"code": "B4.0.3", "cost_gbp": 1.0},
        ],
    )
    imported = import_gmca(path, None)
    implausible = {
        p.code: p.message
        for p in imported.problems
        if isinstance(p, QualityProblem) and p.kind == "implausible_value"
    }
    assert "40 times its parent" in implausible["B1.0.2"]
    assert "times the median" in implausible["B3.1"]
    assert codes_of(imported, "hierarchy_mismatch") == {"B1.0"}
    assert codes_of(imported, "missing_component") == {"B4.0.3"}  # parent B4.0 absent
