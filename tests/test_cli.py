"""The froi command line: JSON out on success, every problem on stderr and exit 2 on bad input."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from froi.cli import main

from .conftest import DATA

FIXTURE = str(DATA / "fixture_unit_costs.csv")


def write(tmp_path: Path, doc: Any, name: str = "input.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


GOOD = {
    "settings": {"appraisal_years": 3},
    "projects": [
        {
            "project_id": "EOC",
            "participants": 20,
            "costs": [{"amount": 50000, "agency": "Local Authority", "kind": "set_up"}],
            "outcomes": [{"unit_cost_code": "T1.0", "cohort": 20, "success": 0.3, "quantity": 52}],
        }
    ],
}


def test_compute_prints_results_and_provenance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path, GOOD)
    assert main(["compute", source, "--unit-costs", FIXTURE]) == 0
    out = json.loads(capsys.readouterr().out)
    run = out["run"]
    assert run["input_file_sha256"] == hashlib.sha256(Path(source).read_bytes()).hexdigest()
    assert run["engine_version"]
    assert run["unit_cost_table"]["name"] == "Test fixture unit costs"
    assert len(run["unit_cost_table"]["sha256"]) == 64
    assert run["deflator_table"]["name"].startswith("HM Treasury GDP deflator")
    assert run["optimism_bias_table"]["by_grade"]["6"] == 0.4
    assert run["base_year"] == "2024-25"
    assert run["settings"]["appraisal_years"] == 3
    assert len(run["input_sha256"]) == 64
    (project,) = out["projects"]
    assert project["project_id"] == "EOC"
    for name in (
        "pv_costs",
        "pv_fiscal",
        "froi",
        "npv",
        "payback_year",
        "fiscal_by_agency",
        "costs_by_agency",
        "years",
        "outcomes",
        "value_for_money_band",
    ):
        assert name in project
    assert len(project["years"]) == 3
    assert project["fiscal_by_agency"].keys() == {"Local Authority"}


def test_compute_invalid_input_exits_2_listing_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {
        "projects": [
            {
                "project_id": "X",
                "outcomes": [{"unit_cost_code": "T1.0", "cohort": -1, "success": 45}],
            }
        ]
    }
    assert main(["compute", write(tmp_path, bad), "--unit-costs", FIXTURE]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "2 problem(s) in input; nothing was computed:" in captured.err
    assert "outcomes row 1, field 'cohort'" in captured.err
    assert "did you mean 45%?" in captured.err


def test_compute_not_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    assert main(["compute", str(path)]) == 2
    assert "is not valid JSON" in capsys.readouterr().err


def test_unit_costs_list_show_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["unit-costs", "list", "--unit-costs", FIXTURE, "--search", "foster"]) == 0
    out = capsys.readouterr().out
    assert "T1.0\t£646.00 per week (2016-17)" in out and "T2.0" not in out
    assert main(["unit-costs", "show", "T1.0", "--unit-costs", FIXTURE]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["value"] == 646 and shown["base_year"] == "2024-25"
    assert shown["value_at_base_year"] == pytest.approx(646 * 100.9599 / 76.7507, rel=1e-12)
    assert main(["unit-costs", "show", "NOPE", "--unit-costs", FIXTURE]) == 2
    assert main(["unit-costs", "check", FIXTURE]) == 0
    assert "8 rows" in capsys.readouterr().out


def test_unit_costs_check_rejects_a_broken_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "code,name,unit,value,price_year,agency,category,source,colour\n"
        "A1,x,per week,-4,2013-14,LA,fiscal,s,red\n"
    )
    assert main(["unit-costs", "check", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "unknown column 'colour'" in err


@pytest.mark.skipif(
    shutil.which("froi") is None and not Path(sys.prefix, "bin", "froi").exists(),
    reason="console script not installed",
)
def test_console_script(tmp_path: Path) -> None:
    froi = shutil.which("froi") or str(Path(sys.prefix, "bin", "froi"))
    done = subprocess.run(
        [froi, "compute", write(tmp_path, GOOD), "--unit-costs", FIXTURE],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["projects"][0]["project_id"] == "EOC"


def test_unit_costs_import_gmca_extraction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        Path(__file__).parents[1] / "unit_costs" / "sources" / "gmca_unit_cost_database_v1_4.json"
    )
    out = tmp_path / "gmca.csv"
    assert main(["unit-costs", "import", str(source), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "wrote 674 rows" in printed
    assert "SS8.0" in printed  # a parent that is not the sum of its parts is reported
    # the rows described as including economic or social value are counted, and not fiscal
    assert "    48  economic_or_social_value: described as including economic" in printed
    assert main(["unit-costs", "check", str(out)]) == 0
    assert "674 rows" in capsys.readouterr().out


def test_unit_costs_check_refuses_economic_value_counted_as_fiscal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A steward's table that counts a 'fiscal and economic' figure as fiscal is refused,
    naming the row, the words and what would be accepted (METHOD 2.2)."""
    national = Path(__file__).parents[1] / "unit_costs" / "national_children_families.csv"
    lines = national.read_text(encoding="utf-8").splitlines(keepends=True)
    (line,) = [i for i, text in enumerate(lines, start=1) if text.startswith("E&S2.0,")]
    lines[line - 1] = lines[line - 1].replace(",economic,false,", ",fiscal,false,", 1)
    edited = tmp_path / "edited.csv"
    edited.write_text("".join(lines), encoding="utf-8")
    assert main(["unit-costs", "check", str(edited)]) == 2
    err = capsys.readouterr().err
    assert f"file 'edited.csv', row {line}, field 'category': E&S2.0 is categorised fiscal" in err
    assert "its name says 'fiscal and economic cost'" in err
    assert (
        "Give it category economic or social; or use its fiscal parts E&S2.0.1, E&S2.0.2, "
        "E&S2.0.3, E&S2.0.4, rows of their own in this table, for the fiscal saving"
    ) in err


# -- workbooks on the command line ------------------------------------------------------

SAMPLES = Path(__file__).resolve().parents[1] / "sample_workbooks"
WORKBOOKS = DATA / "workbooks"


def test_compute_reads_a_workbook_like_its_json(capsys: pytest.CaptureFixture[str]) -> None:
    """The sample workbook and its JSON twin give the same figures."""
    assert main(["compute", str(SAMPLES / "edge_of_care_appraisal.xlsx")]) == 0
    from_xlsx = json.loads(capsys.readouterr().out)
    assert main(["compute", str(SAMPLES / "edge_of_care_appraisal.json")]) == 0
    from_json = json.loads(capsys.readouterr().out)
    (a,), (b,) = from_xlsx["projects"], from_json["projects"]
    for name in ("pv_costs", "pv_fiscal", "froi", "npv", "payback_year"):
        assert a[name] == pytest.approx(b[name], rel=1e-12), name
    assert round(a["froi"], 2) == 1.45
    digest = hashlib.sha256((SAMPLES / "edge_of_care_appraisal.xlsx").read_bytes()).hexdigest()
    assert from_xlsx["run"]["input_file_sha256"] == digest == from_xlsx["run"]["input_sha256"]


def test_workbook_problems_name_their_cells_capped_at_50(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["compute", str(WORKBOOKS / "many_errors.xlsx")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0].startswith("240 problem(s) in many_errors.xlsx; nothing was computed")
    assert "Outcomes!G2: success must be between 0 and 1; got 45 - did you mean 45%?" in lines[3]
    assert len(lines) == 1 + 50 + 1
    assert lines[-1] == "  - ... and 190 more problems not shown"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (
            "outcomes_2024.xlsx",
            "'Outcomes 2024': sheet 'Outcomes 2024' looks like the Outcomes sheet (its name and "
            "its headers), which the workbook does not have, so it would not be read; rename it "
            "Outcomes, or remove it",
        ),
        (
            "deadwieght.xlsx",
            "Outcomes!H1: the column 'deadwieght' is not a field of Outcomes; did you mean "
            "deadweight? Rename the header to deadweight (a column that is not an input, such "
            "as notes, can stay and is reported but not read)",
        ),
    ],
)
def test_a_renamed_sheet_or_misspelt_header_exits_2(
    name: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both used to compute (FROI 0.00; deadweight 0) and exit 0."""
    assert main(["compute", str(WORKBOOKS / name), "--unit-costs", FIXTURE]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"1 problem(s) in {name}; nothing was computed:",
        f"  - {problem}",
    ]


def test_refused_workbook_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compute", str(WORKBOOKS / "png_renamed.xlsx")]) == 2
    assert "png_renamed.xlsx" in capsys.readouterr().err


def test_row_limit_is_configurable(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(SAMPLES / "edge_of_care_appraisal.xlsx")
    assert main(["compute", path, "--max-rows", "3"]) == 2
    assert "3" in capsys.readouterr().err


def test_template_and_results_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl

    template = tmp_path / "template.xlsx"
    assert main(["template", "-o", str(template)]) == 0
    names = openpyxl.load_workbook(template, read_only=True).sheetnames
    assert names[:3] == ["Instructions", "Worked example", "Settings"] and "Outcomes" in names
    out = tmp_path / "results.xlsx"
    source = SAMPLES / "hampshire_offset.xlsx"
    assert main(["compute", str(source), "-o", str(out), "--simulations", "200"]) == 0
    captured = capsys.readouterr()
    assert f"to {out}" in captured.err
    wb = openpyxl.load_workbook(out, data_only=True)
    items = {r[0].value: r[1].value for r in wb["Provenance"].iter_rows(min_row=2) if r[0].value}
    assert items["Input file"] == "hampshire_offset.xlsx"
    assert items["Input file SHA-256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert items["Setting: simulations"] == 200


def test_results_workbook_that_cannot_be_written_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "results.xlsx"
    assert main(["compute", str(SAMPLES / "hampshire_offset.json"), "-o", str(out)]) == 1
    assert "cannot write" in capsys.readouterr().err
