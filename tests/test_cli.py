"""The froi command line: JSON out on success, every problem on stderr and exit 2 on bad input."""

from __future__ import annotations

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
    assert main(["compute", write(tmp_path, GOOD), "--unit-costs", FIXTURE]) == 0
    out = json.loads(capsys.readouterr().out)
    run = out["run"]
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
    assert main(["unit-costs", "check", str(out)]) == 0
    assert "674 rows" in capsys.readouterr().out
