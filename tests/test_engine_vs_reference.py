"""The vectorised engine agrees with the plain per-row reference model to 1e-9.

The reference model (tests/reference_model.py) is an independent, literal reading of
METHOD.md; agreement on random inputs and on every sample is the strongest check that
the array code says what the method says.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from bench.common import reference_model_tables
from calculator.engine import compute
from calculator.reference import ReferenceData

from .reference_model import compute_reference
from .strategies import appraisal_doc

SAMPLES = sorted((Path(__file__).parents[1] / "sample_workbooks").glob("*.json"))
SKIP = {
    "years",
    "outcomes",
    "costs",
    "fiscal_by_agency",
    "costs_by_agency",
    "warnings",
    "comparison_by_agency",
    "costs_avoided_per_case_by_agency",
    "costs_avoided_total_by_agency",
    "cases_detail",
    "observed_froi_interval",
}


def assert_agree(engine: dict[str, Any], model: dict[str, Any], where: str) -> None:
    for name, expected in model.items():
        if name in SKIP or name not in engine:
            continue
        got = engine[name]
        if expected is None or (isinstance(expected, float) and math.isnan(expected)):
            assert got is None, f"{where} {name}: engine {got}, model {expected}"
        elif isinstance(expected, str):
            assert got == expected, f"{where} {name}: engine {got}, model {expected}"
        else:
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-6), (
                f"{where} {name}: engine {got}, model {expected}"
            )


def check(doc: dict[str, Any], reference: ReferenceData) -> None:
    engine = {p["project_id"]: p for p in compute(doc, reference).to_dict()["projects"]}
    model = compute_reference(doc, **reference_model_tables(reference))
    assert engine.keys() == model.keys()
    for pid, expected in model.items():
        got = engine[pid]
        assert_agree(got, expected, pid)
        for name in ("fiscal_by_agency", "costs_by_agency"):
            if name in got and name in expected:
                keys = {k for k, v in expected[name].items() if v != 0}
                assert set(got[name]) == keys, (pid, name)
                for k in keys:
                    assert got[name][k] == pytest.approx(expected[name][k], rel=1e-9, abs=1e-6)
        for name in ("years", "outcomes"):
            if name in got:
                assert len(got[name]) == len(expected[name])
                for i, (g, e) in enumerate(zip(got[name], expected[name], strict=True)):
                    assert_agree(g, e, f"{pid} {name}[{i}]")


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_samples_agree_with_reference_model(path: Path, default_reference: ReferenceData) -> None:
    check(json.loads(path.read_text()), default_reference)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=appraisal_doc())
def test_random_appraisals_agree_with_reference_model(
    doc: dict[str, Any], reference: ReferenceData
) -> None:
    check(doc, reference)


def test_sample_figures(default_reference: ReferenceData) -> None:
    def run(name: str) -> dict[str, Any]:
        doc = json.loads((SAMPLES[0].parent / name).read_text())
        return compute(doc, default_reference).to_dict()["projects"][0]

    hampshire = run("hampshire_offset.json")
    assert hampshire["pv_costs"] == pytest.approx(13224, abs=1e-9)
    assert hampshire["cost_per_participant"] == pytest.approx(4408, abs=1e-9)
    enfield = run("enfield_case_level.json")
    assert round(enfield["observed_froi"], 2) == 2.99
    assert round(enfield["sample_confidence_level"], 3) == 0.876
    low, high = enfield["observed_froi_interval"]
    assert low < enfield["observed_froi"] < high
    # the sample writes each recurring cost as one row from year 0 to end_year 4
    assert run("edge_of_care_appraisal.json")["warnings"] == []
    # a one-year appraisal: nothing could recur; a costing with no outcomes says so
    assert [w["code"] for w in hampshire["warnings"]] == ["no_outcomes"]


def test_engine_benchmark_checks_agreement_with_the_baseline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """bench/engine.py (issue 2) runs, and checks engine and baseline agree to 1e-9."""
    from bench import engine as bench_engine

    monkeypatch.setattr(
        "sys.argv", ["engine.py", "--projects", "40", "--outcomes", "5", "--runs", "1"]
    )
    assert bench_engine.main() == 0
    out = capsys.readouterr().out
    assert "agreement: worst relative difference" in out and "(limit 1e-9)" in out
    assert "x faster than the baseline" in out
