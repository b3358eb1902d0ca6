"""The default national table: built from data files, graded row by row, never drifting.

Also the gallery of broken tables (tests/data/broken_tables/) that the strict loader in
calculator/unit_costs.py must refuse, each with the message it must give.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from calculator import default_table as dt
from calculator.categories import recategorisation_reasons, value_label
from calculator.default_table import build_default_table, load_grading, load_rules
from calculator.errors import InvalidInput, Problem
from calculator.gmca import QualityProblem, import_gmca, problem_kind
from calculator.prices import DeflatorTable
from calculator.reference import load_deflators
from calculator.unit_costs import UnitCostTable, load_table

ROOT = Path(__file__).resolve().parents[1]
UNIT_COSTS = ROOT / "unit_costs"
COMMITTED = UNIT_COSTS / "national_children_families.csv"
BROKEN = Path(__file__).parent / "data" / "broken_tables"
SHARED = Path(__file__).parents[2] / "shared" / "reference"


@pytest.fixture(scope="module")
def deflators() -> DeflatorTable:
    return load_deflators(UNIT_COSTS / "gdp_deflators.csv")


@pytest.fixture(scope="module")
def built(
    deflators: DeflatorTable, tmp_path_factory: pytest.TempPathFactory
) -> tuple[pd.DataFrame, list[Problem], Path]:
    out = tmp_path_factory.mktemp("build") / "national_children_families.csv"
    table, problems = build_default_table(dt.GMCA_JSON, deflators, out)
    return table, problems, out


@pytest.fixture(scope="module")
def committed(deflators: DeflatorTable) -> UnitCostTable:
    return load_table(COMMITTED, deflators)


def test_committed_table_equals_a_fresh_build(
    built: tuple[pd.DataFrame, list[Problem], Path],
) -> None:
    """Nobody edits the table by hand: it is what the rules and sources make of the data."""
    _, _, out = built
    assert out.read_bytes() == COMMITTED.read_bytes()
    assert out.with_suffix(".json").read_bytes() == COMMITTED.with_suffix(".json").read_bytes()


def test_rebuilding_gives_the_same_bytes(
    built: tuple[pd.DataFrame, list[Problem], Path], deflators: DeflatorTable, tmp_path: Path
) -> None:
    again = tmp_path / "again.csv"
    build_default_table(dt.GMCA_JSON, deflators, again)
    assert again.read_bytes() == built[2].read_bytes()
    assert again.with_suffix(".json").read_bytes() == built[2].with_suffix(".json").read_bytes()


def test_committed_table_loads_strictly(committed: UnitCostTable) -> None:
    meta = json.loads(COMMITTED.with_suffix(".json").read_text(encoding="utf-8"))
    assert committed.meta.name == "National unit costs for children, families and young people"
    assert committed.meta.version == "2026.2"
    assert committed.meta.last_verified == "2026-12-02"
    assert meta["changes"][0].startswith("2026.2 ") and meta["changes"][1].startswith("2026.1 ")
    assert committed.meta.licence and committed.meta.publisher and committed.meta.source
    assert len(committed) == 489 == sum(meta["rows_by_sheet"].values())
    assert committed.sha256 == meta["content_sha256"]


def test_every_row_has_a_grade_and_a_reason(committed: UnitCostTable) -> None:
    grades = committed.rows["confidence_grade"]
    assert grades.notna().all() and grades.between(1, 6).all()
    assert (grades == grades.round()).all()
    assert (committed.rows["grade_reason"].str.len() > 40).all()
    gmca = committed.rows[~committed.rows.index.str.startswith("CUR")]
    assert gmca["grade_reason"].str.startswith("Grade ").all()
    assert (gmca["grade_reason"].str[6].astype(int) == gmca["confidence_grade"]).all()


def test_rows_by_gmca_sheet(committed: UnitCostTable) -> None:
    sheets = committed.rows["group"].str.split(" / ").str[0].value_counts().to_dict()
    assert sheets == {
        "Crime": 184,
        "Social Services": 137,
        "Employment & Economy": 55,
        "Health": 46,
        "Housing": 36,
        "Education & Skills": 26,
        "Current figures": 5,
    }


def test_all_social_services_rows_and_the_chosen_topics_are_in(
    committed: UnitCostTable, deflators: DeflatorTable
) -> None:
    imported = import_gmca(dt.GMCA_JSON, deflators)
    social = imported.entries.index[imported.entries["sheet"] == "Social Services"]
    assert set(social) <= set(committed.rows.index)
    wanted = [
        "CR2.0",
        "CR4.0",
        "CR6.0",
        "E&S1.0",
        "E&S2.0",
        "E&S13.0",
        "E&E1.2",
        "E&E10.0",
        "E&E6.0",
        "HE4.0",
        "HE7.0.2",
        "HE8.2",
        "HE12.2",
        "HE14.1",
        "HO4.1",
        "HO1.0.6",
    ]
    assert set(wanted) <= set(committed.rows.index)
    left_out = ["FI1.0", "HE20.0", "HE7.1", "E&E2.7", "E&E5.0", "E&E8.0"]
    assert not set(left_out) & set(committed.rows.index)


def test_current_figures_are_present_with_their_values(committed: UnitCostTable) -> None:
    rows = committed.rows
    expected = {
        "CUR1.0": (318_400.0, "2023-24", "Per year", 2),
        "CUR2.0": (646.0, "2016-17", "Per week", 2),
        "CUR3.0": (11_200.0, "2014-15", "Per family (one-off)", 4),
        "CUR3.1": (5_214.0, "2014-15", "Per family (one-off)", 3),
        "CUR3.2": (26_000.0, "2014-15", "Per family per year", 4),
    }
    for code, (value, year, unit, grade) in expected.items():
        assert (rows.at[code, "value"], rows.at[code, "price_year"]) == (value, year)
        assert (rows.at[code, "unit"], rows.at[code, "confidence_grade"]) == (unit, grade)
        assert rows.at[code, "category"] == "fiscal" and rows.at[code, "source"]
    assert "National Audit Office" in rows.at["CUR1.0", "source"]
    assert "PSSRU" in rows.at["CUR2.0", "source"] and "2016-17" in rows.at["CUR2.0", "grade_reason"]
    assert all("Troubled Families" in rows.at[c, "source"] for c in ("CUR3.0", "CUR3.1", "CUR3.2"))


def test_flagged_rows_are_graded_down_and_say_why(committed: UnitCostTable) -> None:
    rows = committed.rows
    for code in ("E&S13.0", "SS7.1.3", "SS11.2", "CR8.18.5"):  # implausible or zero
        assert rows.at[code, "confidence_grade"] == 6
        assert "At least grade 6" in rows.at[code, "grade_reason"]
    assert rows.at["CR8.0", "confidence_grade"] == 5  # base 4 (2010-11), one weaker
    assert "not the sum of its parts" in rows.at["CR8.0", "grade_reason"]
    assert rows.at["SS2.0", "confidence_grade"] == 3  # clean 2013-14 figure
    assert rows.at["CR1.1", "confidence_grade"] == 6  # 2002-03 estimate
    assert rows.at["E&E1.2", "confidence_grade"] == 4  # 2014-15, but replaced by Universal Credit
    assert "Universal Credit" in rows.at["E&E1.2", "grade_reason"]


#: The rows 2026.1 counted as fiscal although their names say they include more (issue 9).
RECATEGORISED = {
    "social": {"CR2.0", *(f"CR8.{i}" for i in range(20) if i != 18)},
    "economic": {
        "CR8.18",
        *(f"E&S{i}.0" for i in range(5, 14)),
        "E&S2.0",
        "E&S4.1",
        "E&E1.0",
        "E&E2.0",
        "E&E3.0",
        "HE13.0",
        "HE13.1",
        "SS16.0",
    },
}
#: A plain test of the names, independent of calculator.categories, so that weakening the
#: rule there cannot make the table pass.
SAYS_ECONOMIC_OR_SOCIAL = re.compile(r"\beconomic\b|\bsocial values?\b", re.I)


def test_no_row_described_as_including_economic_or_social_value_is_fiscal(
    committed: UnitCostTable,
) -> None:
    rows = committed.rows
    fiscal = rows[rows["category"] == "fiscal"]
    assert not [c for c, n in fiscal["name"].items() if SAYS_ECONOMIC_OR_SOCIAL.search(n)]
    assert not [c for c, n in fiscal["name"].items() if value_label(n) is not None]
    said = {str(c) for c, n in rows["name"].items() if SAYS_ECONOMIC_OR_SOCIAL.search(n)}
    assert said == RECATEGORISED["social"] | RECATEGORISED["economic"]
    assert len(said) == 38
    for category, codes in RECATEGORISED.items():
        assert set(rows.index[rows["category"] == category]) == codes
    assert set(rows.index[rows["category"] == "fiscal"]) == set(rows.index) - said


def test_each_recategorised_row_says_why_and_what_to_pick_instead(
    committed: UnitCostTable,
) -> None:
    rows = committed.rows
    for category, codes in RECATEGORISED.items():
        for code in codes:
            reason = rows.at[code, "grade_reason"]
            label = value_label(rows.at[code, "name"])
            assert label is not None and label.category == category
            assert f"Category {category}, not fiscal: the source describes it as " in reason
            assert f"'{label.words}'" in reason and "(METHOD 2.2)" in reason
            parts = sorted(c for c in rows.index if c.startswith(code + "."))
            if parts:  # every fiscal part the database publishes is in the table
                listed = f"Its fiscal parts are published as rows of their own ({', '.join(parts)})"
                assert listed in reason and "not in this table" not in reason
                assert (rows.loc[parts, "category"] == "fiscal").all()
            else:
                assert "No fiscal part of it is published separately." in reason
            assert reason.startswith(f"Grade {int(rows.at[code, 'confidence_grade'])}.")
    jsa = rows.at["E&E1.0", "grade_reason"]
    assert "Its fiscal parts are published as rows of their own (E&E1.0.1, E&E1.0.2)" in jsa
    assert "add up to its value (£9,800.00), so nothing is lost by using them" in jsa
    assert "add up to £381.07 of its £609.00" in rows.at["CR8.0", "grade_reason"]
    assert "No fiscal part" in rows.at["E&S13.0", "grade_reason"]
    fiscal = rows[rows["category"] == "fiscal"]
    assert not fiscal["grade_reason"].str.contains("not fiscal").any()


def test_a_fiscal_part_left_out_of_the_table_is_named_so(deflators: DeflatorTable) -> None:
    source = import_gmca(dt.GMCA_JSON, deflators).rows
    reasons = recategorisation_reasons(source, {"E&E1.0", "E&E1.0.2", "SS2.0"})
    assert set(reasons) == {"E&E1.0"}
    assert "(E&E1.0.1, E&E1.0.2; E&E1.0.1 not in this table)" in reasons["E&E1.0"]


def test_the_builder_reports_no_gap_in_its_rules(
    built: tuple[pd.DataFrame, list[Problem], Path],
) -> None:
    _, problems, _ = built
    kinds = {problem_kind(p) for p in problems}
    assert not kinds & {"not_selected", "unused_rule", "not_loadable", "partial_family"}
    assert all(p.severity == "warning" for p in problems)


def test_loader_and_importer_agree_on_hierarchy_mismatches(
    committed: UnitCostTable, built: tuple[pd.DataFrame, list[Problem], Path]
) -> None:
    _, problems, _ = built
    importer = {
        p.code for p in problems if isinstance(p, QualityProblem) and p.kind == "hierarchy_mismatch"
    }
    assert {p.message.split()[1] for p in committed.quality} == importer
    assert "SS8.0" in importer and "HE7.0" in importer


def test_sidecar_counts_the_warnings(built: tuple[pd.DataFrame, list[Problem], Path]) -> None:
    _, problems, out = built
    meta = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert sum(meta["warnings_by_kind"].values()) == len(problems)
    assert sum(meta["import_warnings_by_kind"].values()) == 259
    assert meta["import_warnings_by_kind"]["economic_or_social_value"] == 48
    assert meta["warnings_by_kind"]["economic_or_social_value"] == 38
    assert meta["rows_by_category"] == {"economic": 18, "fiscal": 451, "social": 20}
    assert any("489 rows" in n for n in meta["notes"])


def test_selection_is_data(deflators: DeflatorTable, tmp_path: Path) -> None:
    rules = (UNIT_COSTS / "gmca_selection.csv").read_text(encoding="utf-8")
    changed = tmp_path / "selection.csv"
    changed.write_text(rules.replace("crime,Crime,,,,true", "crime,Crime,,,,false"), "utf-8")
    table, _ = build_default_table(dt.GMCA_JSON, deflators, tmp_path / "t.csv", selection=changed)
    assert not table.index.str.startswith("CR").any()
    assert len(table) == 489 - 184
    assert [r.name for r in load_rules()][:2] == ["social-services", "crime"]


def test_a_rule_file_with_a_typo_is_refused(tmp_path: Path) -> None:
    grading = (UNIT_COSTS / "gmca_grading.csv").read_text(encoding="utf-8")
    typo = tmp_path / "grading.csv"
    typo.write_text(grading.replace("quality,zero_value,", "quality,zero_values,"), "utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_grading(typo)
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.field) == ("grading.csv", 7, "match")
    assert "zero_values" in problem.message


def test_current_figures_keep_to_their_namespace(deflators: DeflatorTable, tmp_path: Path) -> None:
    current = (UNIT_COSTS / "current_figures.csv").read_text(encoding="utf-8")
    clash = tmp_path / "current.csv"
    clash.write_text(current.replace("CUR2.0,", "SS2.0,"), "utf-8")
    with pytest.raises(InvalidInput, match="must start with CUR"):
        build_default_table(dt.GMCA_JSON, deflators, tmp_path / "t.csv", current=clash)


def test_entry_point_rebuilds_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "national_children_families.csv"
    shutil.copy(COMMITTED, target)
    monkeypatch.setattr(dt, "OUTPUT", target)
    assert dt.main([]) == 0
    printed = capsys.readouterr().out
    assert "489 rows" in printed and "data-quality warnings" in printed
    assert target.read_bytes() == COMMITTED.read_bytes()


def test_shared_reference_figures_match(committed: UnitCostTable) -> None:
    readme = SHARED / "README.md"
    if not readme.exists():
        pytest.skip("shared reference folder not present")
    text = readme.read_text(encoding="utf-8")
    for figure in ("£318,400", "£646", "£11,200", "£5,214", "£26,000"):
        assert figure in text


def gallery() -> list[dict[str, str]]:
    with (BROKEN / "expected.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_broken(case: dict[str, str], deflators: DeflatorTable) -> list[Problem]:
    with pytest.raises(InvalidInput) as caught:
        load_table(BROKEN / case["file"], deflators)
    return [p for p in caught.value.problems if case["message"] in p.message]


@pytest.mark.parametrize("case", [pytest.param(c, id=c["file"]) for c in gallery()])
def test_strict_loader_refuses_a_broken_table(
    case: dict[str, str], deflators: DeflatorTable
) -> None:
    """Each file in tests/data/broken_tables/ is refused with the message in expected.csv,
    naming the file, the line (1 for the header) and the field."""
    (problem,) = load_broken(case, deflators)
    text = str(problem)
    assert Path(problem.file or "").name == case["file"] and case["file"] in text
    assert problem.field == (case["field"] or None)
    if case["field"]:
        assert f"field '{case['field']}'" in text
    assert problem.row == int(case["line"]) and f"row {case['line']}" in text
