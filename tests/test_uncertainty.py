"""Monte Carlo and tornado (METHOD 5)."""

from __future__ import annotations

import copy
import json
import math
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.common import portfolio, reference_model_tables
from calculator import uncertainty
from calculator.appraisal import appraise
from calculator.engine import compute
from calculator.errors import InvalidInput
from calculator.inputs import read_input
from calculator.reference import ReferenceData
from froi.cli import main

from .slow_monte_carlo import simulate_slowly


def near_break_even() -> dict[str, Any]:
    """A project whose FROI is close to 1, with wide (grade 5-6) ranges."""
    return {
        "settings": {"appraisal_years": 4, "seed": 11},
        "projects": [
            {
                "project_id": "BE",
                "costs": [
                    {
                        "amount": 125000,
                        "agency": "Local Authority",
                        "kind": "set_up",
                        "confidence_grade": 4,
                    },
                    {
                        "amount": 30000,
                        "year": 1,
                        "agency": "Local Authority",
                        "confidence_grade": 6,
                    },
                    {"amount": 5000, "year": 2, "agency": "NHS", "kind": "offset"},
                ],
                "outcomes": [
                    {
                        "unit_cost_code": "T1.0",
                        "cohort": 12,
                        "success": 0.3,
                        "deadweight": 0.2,
                        "quantity": 52,
                        "duration": 2,
                        "confidence_grade": 6,
                    },
                    {
                        "unit_cost_code": "T3.0",
                        "cohort": 30,
                        "success": 0.25,
                        "lag": 1,
                        "confidence_grade": 5,
                        "success_low": 0.05,
                        "success_high": 0.6,
                    },
                    {
                        "unit_cost_code": "T2.0",
                        "cohort": 80,
                        "success": 0.5,
                        "quantity": 2,
                        "value_low": 100,
                        "value_high": 260,
                        "deadweight": 0.1,
                        "deadweight_low": 0,
                        "deadweight_high": 0.4,
                        "discount": "health",
                    },
                    {"unit_cost_code": "T4.0", "cohort": 10, "success": 0.2},
                ],
            }
        ],
    }


def zero_width(doc: dict[str, Any], reference: ReferenceData) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for project in doc["projects"]:
        for row in project["outcomes"]:
            for name in ("success", "deadweight"):
                row[f"{name}_low"] = row[f"{name}_high"] = row.get(name, 0.0)
            value = float(reference.unit_costs.rows.at[row["unit_cost_code"], "value"])
            row["value_low"] = row["value_high"] = value
        for row in project["costs"]:
            row["amount_low"] = row["amount_high"] = row["amount"]
    return doc


@pytest.mark.parametrize("simulations", [500, 4500])  # one chunk, and three
def test_zero_width_ranges_reproduce_the_deterministic_result_exactly(
    simulations: int, reference: ReferenceData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uncertainty, "KEEP_DRAWS", simulations)
    doc = zero_width(near_break_even(), reference)
    doc["settings"]["simulations"] = simulations
    results = compute(doc, reference)
    assert results.uncertainty is not None
    froi = results.summary.at[0, "froi"]
    npv = results.summary.at[0, "npv"]
    draws = results.uncertainty.draws
    assert len(draws) == simulations
    assert (draws["froi"] == froi).all()  # exactly, not approximately
    assert (draws["npv"] == npv).all()
    row = results.uncertainty.summary.iloc[0]
    assert row["froi_p5"] == row["froi_p50"] == row["froi_p95"] == froi
    assert row["prob_froi_at_least_1"] == float(froi >= 1)
    assert row["npv_p5"] == row["npv_p50"] == row["npv_p95"] == npv
    assert row["froi_mean"] == pytest.approx(froi, rel=1e-12)
    assert row["npv_mean"] == pytest.approx(npv, rel=1e-12)
    assert row["prob_npv_positive"] == float(npv > 0)
    # and the tornado has no swing: every end is the central figure
    tornado = results.uncertainty.tornado
    assert (tornado["swing"] == 0).all()
    ends = tornado[["froi_low", "froi_high"]].to_numpy().ravel()
    assert ends == pytest.approx([froi] * len(ends), rel=1e-12)


def test_probabilities_agree_with_a_slow_independent_implementation(
    reference: ReferenceData,
) -> None:
    doc = near_break_even()
    slow_draws = 3000
    slow = simulate_slowly(doc, reference_model_tables(reference), slow_draws, seed=5)["BE"]
    doc["settings"]["simulations"] = 20000
    fast = compute(doc, reference).to_dict()["projects"][0]["uncertainty"]
    for name in ("prob_froi_at_least_1", "prob_npv_positive"):
        p = slow[name]
        assert 0.05 < p < 0.95, f"{name}={p}: the test project should be near break-even"
        # both estimates are noisy: allow four standard errors of their difference
        error = math.sqrt(p * (1 - p) * (1 / slow_draws + 1 / 20000))
        assert abs(fast[name] - p) < 4 * error, (name, fast[name], p)
    assert fast["froi_mean"] == pytest.approx(slow["froi_mean"], rel=0.02)


def test_seeded_reproducible_and_independent_of_other_projects(
    reference: ReferenceData,
) -> None:
    doc = near_break_even()
    doc["settings"]["simulations"] = 3000
    alone = compute(doc, reference).uncertainty
    again = compute(doc, reference).uncertainty
    assert alone is not None and again is not None
    assert alone.summary.equals(again.summary)
    other = copy.deepcopy(doc["projects"][0])
    other["project_id"] = "OTHER"
    doc["projects"].insert(0, other)
    together = compute(doc, reference).uncertainty
    assert together is not None
    be = together.summary[together.summary["_p"] == 1].drop(columns="_p").reset_index(drop=True)
    assert be.equals(alone.summary.drop(columns="_p"))
    reseeded = near_break_even()
    reseeded["settings"].update(simulations=3000, seed=12)
    changed = compute(reseeded, reference).uncertainty
    assert changed is not None
    assert changed.summary.at[0, "froi_mean"] != alone.summary.at[0, "froi_mean"]


def test_tornado_ends_equal_a_recomputation(reference: ReferenceData) -> None:
    doc = near_break_even()
    doc["settings"]["simulations"] = 100
    results = compute(doc, reference)
    assert results.uncertainty is not None
    tornado = results.uncertainty.tornado
    assert list(tornado["swing"]) == sorted(tornado["swing"], reverse=True)
    assert len(tornado) == 4 * 3 + 3
    for _, entry in tornado.iterrows():
        for end in ("low", "high"):
            changed = copy.deepcopy(doc)
            changed["settings"]["simulations"] = 0
            project = changed["projects"][0]
            row = project[entry["list"]][entry["row"] - 1]
            if entry["field"] == "value":
                code = f"END-{entry['row']}"
                changed["unit_costs"] = [
                    {
                        "code": code,
                        "name": "end",
                        "unit": "x",
                        "value": entry[end],
                        "price_year": "2024-25",
                        "agency": reference.unit_costs.rows.at[row["unit_cost_code"], "agency"],
                        "category": reference.unit_costs.rows.at[row["unit_cost_code"], "category"],
                        "confidence_grade": row.get("confidence_grade")
                        or int(
                            reference.unit_costs.rows.at[row["unit_cost_code"], "confidence_grade"]
                        ),
                        "source": "test",
                    }
                ]
                row["unit_cost_code"] = code
            else:
                row[entry["field"]] = entry[end]
            for key in [k for k in row if k.endswith(("_low", "_high"))]:
                del row[key]
            summary = compute(changed, reference).summary.iloc[0]
            assert summary["froi"] == pytest.approx(entry[f"froi_{end}"], rel=1e-9), entry
            assert summary["npv"] == pytest.approx(entry[f"npv_{end}"], rel=1e-9, abs=1e-6)


def test_default_ranges_follow_the_grade(reference: ReferenceData) -> None:
    doc = near_break_even()
    doc["settings"]["simulations"] = 10
    tornado = compute(doc, reference).uncertainty.tornado  # type: ignore[union-attr]
    first = tornado[(tornado["list"] == "outcomes") & (tornado["row"] == 1)].set_index("field")
    assert first.at["success", "low"] == pytest.approx(0.3 * 0.5)  # grade 6: w = 50%
    assert first.at["success", "high"] == pytest.approx(0.45)
    fourth = tornado[(tornado["list"] == "outcomes") & (tornado["row"] == 4)].set_index("field")
    assert fourth.at["success", "high"] == pytest.approx(0.2 * 1.15)  # T4.0 is grade 3
    costs = tornado[tornado["list"] == "costs"].set_index("row")
    assert costs.at[1, "low"] == pytest.approx(125000 * (1 - 0.125))  # grade 4: w/2 below
    assert costs.at[1, "high"] == pytest.approx(125000 * 1.25)
    clipped = tornado[(tornado["row"] == 2) & (tornado["field"] == "success")]
    assert clipped["high"].iloc[0] == 0.6  # given ranges are used as they are


def test_ranges_must_hold_the_central_value(reference: ReferenceData) -> None:
    doc = near_break_even()
    doc["projects"][0]["outcomes"][0]["success_low"] = 0.5
    doc["projects"][0]["costs"][0]["amount_high"] = 100
    with pytest.raises(InvalidInput) as caught:
        compute(doc, reference)
    assert sorted(str(p) for p in caught.value.problems) == [
        "project 'BE', costs row 1, field 'amount_high' (projects[0].costs[0].amount_high): "
        "amount_high (100) is below the central amount; the range must hold it",
        "project 'BE', outcomes row 1, field 'success_low' "
        "(projects[0].outcomes[0].success_low): success_low (0.5) is above the "
        "central success; the range must hold it",
    ]


def test_cli_simulations_and_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(near_break_even()))
    fixture = str(Path(__file__).parent / "data" / "fixture_unit_costs.csv")
    assert (
        main(
            ["compute", str(path), "--unit-costs", fixture, "--simulations", "2000", "--seed", "3"]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    u = out["projects"][0]["uncertainty"]
    assert u["simulations"] == 2000 and u["seed"] == 3
    assert out["run"]["settings"]["simulations"] == 2000
    assert 0 < u["prob_froi_at_least_1"] < 1
    assert u["froi_p5"] <= u["froi_p50"] <= u["froi_p95"]
    assert len(u["tornado"]) == 15
    assert main(["compute", str(path), "--unit-costs", fixture]) == 0
    assert "uncertainty" not in json.loads(capsys.readouterr().out)["projects"][0]


def test_triangular_inverse_cdf() -> None:
    u = np.linspace(0, 1, 100001)
    x = uncertainty.triangular(np.full_like(u, 2.0), np.full_like(u, 3.0), np.full_like(u, 7.0), u)
    assert x.min() == 2.0 and x.max() == 7.0
    assert x.mean() == pytest.approx((2 + 3 + 7) / 3, rel=1e-4)
    same = uncertainty.triangular(
        np.array([4.0]), np.array([4.0]), np.array([4.0]), np.array([0.3])
    )
    assert same[0] == 4.0


def test_froi_histogram_counts_every_draw_and_straddles_break_even(
    reference: ReferenceData,
) -> None:
    doc = near_break_even()
    doc["settings"]["simulations"] = 5000
    results = compute(doc, reference)
    assert results.uncertainty is not None
    kept = results.uncertainty.draws
    bars = results.to_dict()["projects"][0]["uncertainty"]["froi_histogram"]
    froms = [b["froi_from"] for b in bars]
    tos = [b["froi_to"] for b in bars]
    assert froms[1:] == tos[:-1]  # contiguous, equal round widths
    widths = {round(b - a, 9) for a, b in zip(froms, tos, strict=True)}
    assert len(widths) == 1 and 10 <= len(bars) <= 25
    assert froms[0] <= 1.0 <= tos[-1] and 1.0 in froms  # break-even is a bar edge
    assert sum(b["simulations"] for b in bars) == 5000  # near break-even: every FROI defined
    # the first 1,000 draws are kept: those below break-even are the bars' left side
    first = kept["froi"].to_numpy()
    below = sum(b["simulations"] for b in bars if b["froi_to"] <= 1.0)
    p_below = 1 - results.uncertainty.summary["prob_froi_at_least_1"].iloc[0]
    assert below == round(p_below * 5000)
    assert np.mean(first < 1.0) == pytest.approx(p_below, abs=0.06)


def test_froi_histogram_of_no_defined_froi_is_empty() -> None:
    assert uncertainty.froi_histogram(np.array([np.nan, np.nan])).empty
    bars = uncertainty.froi_histogram(np.full(10, 2.0))  # no spread: one side of break-even
    assert bars["simulations"].sum() == 10 and bars["froi_from"].iloc[0] <= 1.0


def test_uncertainty_benchmark_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """bench/uncertainty.py (issue 5) times one project and a portfolio with peak memory."""
    from bench import uncertainty as bench_uncertainty

    argv = ["uncertainty.py", "--simulations", "600", "--baseline-draws", "5", "--portfolio", "3"]
    monkeypatch.setattr("sys.argv", argv)
    assert bench_uncertainty.main() == 0
    out = capsys.readouterr().out
    assert "one project, 20 outcomes x 5 years, 600 simulations" in out
    assert "3 projects x 20 outcomes x 5 years, 600 simulations each" in out
    assert "peak memory traced" in out


def test_memory_is_bounded_by_the_chunk_not_the_simulations(
    reference: ReferenceData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 5: memory stays bounded however many simulations are asked for.  Ten times
    the simulations may add only the per-simulation results (FROI and NPV, a few floats
    each), not another ``simulations x rows`` block of draws."""
    monkeypatch.setattr(uncertainty, "CHUNK", 200)
    run = read_input(portfolio(reference, 1, 100, 5, seed=1), reference)
    a = appraise(run, reference)

    def peak(simulations: int) -> int:
        tracemalloc.start()
        try:
            uncertainty.simulate(run, a, simulations, seed=0)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(400), peak(4000)
    # one chunk's draws of 100 outcome rows are 200 x 100 x 3 floats (480 kB); all of
    # 4,000 simulations' draws at once would be 9.6 MB
    assert large - small < 4000 * 8 * 16, (small, large)
