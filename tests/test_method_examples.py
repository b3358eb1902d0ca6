"""The worked examples of METHOD.md, each with its published figure."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from calculator.caselevel import sample_confidence_level
from calculator.discounting import discount_factors
from calculator.engine import compute
from calculator.reference import ReferenceData


def test_green_book_standard_discount_factors(reference: ReferenceData) -> None:
    rates = reference.discount_schedules.rates("standard", 80)
    df = discount_factors(rates)
    assert df[0] == 1.0
    assert df[1] == pytest.approx(1 / 1.035, rel=1e-12)
    assert df[30] == pytest.approx(1.035**-30, rel=1e-12)
    assert df[31] == pytest.approx(1.035**-30 / 1.03, rel=1e-12)
    assert df[75] == pytest.approx(1.035**-30 * 1.03**-45, rel=1e-12)
    assert df[76] == pytest.approx(1.035**-30 * 1.03**-45 / 1.025, rel=1e-12)
    # the Green Book's published four-figure factors
    assert [round(df[t], 4) for t in (1, 5, 10, 20, 30)] == [0.9662, 0.8420, 0.7089, 0.5026, 0.3563]


def test_green_book_health_discount_factors(reference: ReferenceData) -> None:
    df = discount_factors(reference.discount_schedules.rates("health", 40))
    assert df[10] == pytest.approx(1.015**-10, rel=1e-12)
    assert df[31] == pytest.approx(1.015**-30 / 1.0129, rel=1e-12)
    assert round(df[10], 4) == 0.8617


def hampshire() -> dict[str, Any]:
    """Hampshire's personal assistants for social workers (METHOD 2.1)."""
    return {
        "settings": {"apply_optimism_bias": False, "appraisal_years": 1},
        "unit_costs": [
            {
                "code": "HCC-PA",
                "name": "Personal assistant to social workers",
                "unit": "per year",
                "value": 30456,
                "price_year": "2024-25",
                "agency": "Local Authority",
                "category": "fiscal",
                "source": "Hampshire County Council evaluation",
            }
        ],
        "projects": [
            {
                "project_id": "HCC-PA",
                "name": "Personal assistants for social workers",
                "participants": 3,
                "costs": [
                    {
                        "description": "One personal assistant",
                        "unit_cost_code": "HCC-PA",
                        "quantity": 1,
                        "kind": "recurring",
                        "cost_type": "staff",
                    },
                    {
                        "description": "Admin support no longer needed",
                        "amount": 17232,
                        "kind": "offset",
                        "agency": "Local Authority",
                        "cost_type": "staff",
                    },
                ],
            }
        ],
    }


def test_hampshire_net_cost_per_social_worker(reference: ReferenceData) -> None:
    summary = compute(hampshire(), reference).summary.iloc[0]
    assert summary["pv_costs"] == pytest.approx(13224, abs=1e-9)
    assert summary["cost_per_participant"] == pytest.approx(4408, abs=1e-9)


def test_hampshire_ratios_blank_without_benefits_are_zero_not_null(
    reference: ReferenceData,
) -> None:
    # costs are positive, fiscal benefits nil: FROI is 0 (a ratio exists), band poor
    summary = compute(hampshire(), reference).summary.iloc[0]
    assert summary["froi"] == 0
    assert summary["value_for_money_band"] == "poor"


def test_enfield_sample_confidence_level() -> None:
    level = sample_confidence_level(np.array([121.0]), np.array([246.0]), np.array([0.05]))
    assert round(float(level[0]), 3) == 0.876


def enfield_like() -> dict[str, Any]:
    """121 cases costing £251k with benefits of £750.5k, as in Enfield's FASH evaluation."""
    rng = np.random.default_rng(7)
    costs = rng.uniform(1000, 3200, 121)
    costs *= 251_000 / costs.sum()
    weeks = rng.integers(0, 12, 121).astype(float)
    weeks *= 750_490 / 1_000 / weeks.sum()
    return {
        "settings": {"seed": 3},
        "unit_costs": [
            {
                "code": "ENF-W",
                "name": "Week of care avoided",
                "unit": "per week",
                "value": 1000,
                "price_year": "2024-25",
                "agency": "Local Authority",
                "category": "fiscal",
                "source": "test",
            }
        ],
        "projects": [
            {
                "project_id": "FASH",
                "mode": "case_level",
                "cases": [{"case_id": f"C{i:03d}", "cost": float(c)} for i, c in enumerate(costs)],
                "case_outcomes": [
                    {"case_id": f"C{i:03d}", "unit_cost_code": "ENF-W", "quantity": float(w)}
                    for i, w in enumerate(weeks)
                    if w > 0
                ],
                "service": {"annual_running_cost": 769_735, "annual_throughput": 246},
            }
        ],
    }


def test_enfield_observed_froi_and_confidence(reference: ReferenceData) -> None:
    results = compute(enfield_like(), reference)
    row = results.summary.iloc[0]
    assert round(row["observed_froi"], 2) == 2.99
    assert row["observed_froi"] == pytest.approx(750_490 / 251_000, rel=1e-12)
    assert row["froi"] == row["observed_froi"]
    assert round(row["sample_confidence_level"], 3) == 0.876
    assert row["mean_benefit_per_case"] == pytest.approx(750_490 / 121, rel=1e-12)
    assert row["projected_annual_froi"] == pytest.approx(750_490 / 121 * 246 / 769_735, rel=1e-12)
    low, high = row["observed_froi_interval_low"], row["observed_froi_interval_high"]
    assert low < row["observed_froi"] < high
    again = compute(enfield_like(), reference).summary.iloc[0]
    assert (again["observed_froi_interval_low"], again["observed_froi_interval_high"]) == (
        low,
        high,
    )


def test_comparison_costs_avoided(reference: ReferenceData) -> None:
    doc = {
        "settings": {"apply_optimism_bias": False},
        "projects": [
            {
                "project_id": "CMP",
                "mode": "comparison",
                "comparison": {
                    "intervention_cases": 100,
                    "comparison_cases": 80,
                    "intervention_usage": [{"unit_cost_code": "T2.0", "quantity": 200}],
                    "comparison_usage": [
                        {"unit_cost_code": "T2.0", "quantity": 400},
                        {"unit_cost_code": "T6.0", "quantity": 160},
                    ],
                },
                "costs": [{"amount": 5000, "agency": "Local Authority"}],
            }
        ],
    }
    row = compute(doc, reference).summary.iloc[0]
    c_i = 200 * 150 / 100
    c_c = (400 * 150 + 160 * 45) / 80
    assert row["costs_avoided_per_case"] == pytest.approx(c_c - c_i, rel=1e-12)
    assert row["delivery_cost_per_case"] == pytest.approx(50, rel=1e-12)
    assert row["net_saving_total"] == pytest.approx((c_c - c_i - 50) * 100, rel=1e-12)
    assert row["froi"] == pytest.approx((c_c - c_i) / 50, rel=1e-12)


# METHOD 2.1 and 3 as amended: multi-year cost rows, grades of unit-costed rows, and the
# comparison design's observed delivery cost ------------------------------------------


def _one_project(costs: list[dict[str, Any]], **project: Any) -> dict[str, Any]:
    return {
        "settings": {"base_year": "2024-25", "appraisal_years": 5},
        "unit_costs": [
            {
                "code": "SW-HOUR",
                "name": "Social worker hour",
                "unit": "per hour",
                "value": 45,
                "price_year": "2024-25",
                "agency": "Local Authority",
                "category": "fiscal",
                "confidence_grade": 3,
                "source": "Test: a grade 3 local figure",
            }
        ],
        "projects": [{"project_id": "P", "costs": costs, **project}],
    }


def test_a_five_year_respite_row(reference: ReferenceData) -> None:
    """£24k a year of respite for five years is one row (year 0, end_year 4)."""
    row = {
        "description": "Respite",
        "amount": 24000,
        "year": 0,
        "end_year": 4,
        "agency": "Local Authority",
        "kind": "recurring",
        "confidence_grade": 2,  # OB 5%: 25,200 a year
    }
    results = compute(_one_project([row]), reference)
    years = results.years
    assert years["costs"].tolist() == pytest.approx([25200.0] * 5, abs=1e-9)
    annuity = sum(1.035**-t for t in range(5))  # 4.6731 by hand
    assert round(annuity, 4) == 4.6731
    assert results.summary.at[0, "pv_costs"] == pytest.approx(25200 * annuity, rel=1e-12)
    (costed,) = results.costs.to_dict("records")
    assert (costed["year"], costed["end_year"], costed["years"]) == (0, 4, 5)
    assert costed["net_cost"] == pytest.approx(25200)
    assert costed["net_cost_total"] == pytest.approx(126000)
    assert costed["discount_factor"] == pytest.approx(annuity, rel=1e-12)
    assert costed["pv"] == pytest.approx(25200 * annuity, rel=1e-12)
    # the same as five one-year rows, to the last digit
    separate = [{**row, "year": t, "end_year": None} for t in range(5)]
    assert (
        compute(_one_project(separate), reference).summary.at[0, "pv_costs"]
        == (results.summary.at[0, "pv_costs"])
    )
    # a row from year 2 to 3 falls in those two years only
    later = compute(_one_project([{**row, "year": 2, "end_year": 3}]), reference)
    assert later.years["costs"].tolist() == pytest.approx([0, 0, 25200, 25200, 0], abs=1e-9)


def test_a_unit_costed_cost_takes_its_unit_costs_grade(reference: ReferenceData) -> None:
    """400 hours of a grade 3 unit cost (£45 an hour): 18,000 raised by 10% to 19,800."""
    row = {"description": "SW time", "unit_cost_code": "SW-HOUR", "quantity": 400}
    results = compute(_one_project([row]), reference)
    (costed,) = results.costs.to_dict("records")
    assert costed["amount"] == pytest.approx(18000)
    assert costed["confidence_grade"] == 3
    assert costed["optimism_bias"] == pytest.approx(0.10)
    assert results.summary.at[0, "pv_costs"] == pytest.approx(19800)
    # a grade the row gives itself still wins; an amount row still defaults to grade 1
    graded = compute(_one_project([{**row, "confidence_grade": 1}]), reference)
    assert graded.summary.at[0, "pv_costs"] == pytest.approx(18000)
    amount = {"description": "x", "amount": 18000, "agency": "Local Authority"}
    plain = compute(_one_project([amount]), reference)
    assert plain.costs.at[0, "confidence_grade"] == 1
    assert plain.summary.at[0, "pv_costs"] == pytest.approx(18000)


def test_a_comparison_study_whose_delivery_cost_spans_two_years(
    reference: ReferenceData,
) -> None:
    """Delivery cost per case is the observed real cost, like the usage (METHOD 3):
    £118k a year for two years plus £9k once, over 150 intervention cases."""
    doc = _one_project(
        [
            {
                "description": "Coordinators",
                "amount": 118000,
                "year": 0,
                "end_year": 1,
                "agency": "Local Authority",
                "confidence_grade": 4,  # OB would add 15%: not in the observed cost
            },
            {
                "description": "Venues",
                "amount": 9000,
                "agency": "Local Authority",
                "kind": "set_up",
            },
        ],
        mode="comparison",
        comparison={
            "intervention_cases": 150,
            "comparison_cases": 100,
            "intervention_usage": [{"unit_cost_code": "SW-HOUR", "quantity": 3000}],
            "comparison_usage": [{"unit_cost_code": "SW-HOUR", "quantity": 4000}],
        },
    )
    summary = compute(doc, reference).summary.iloc[0]
    delivery = (118000 * 2 + 9000) / 150  # £1,633.33, undiscounted and without OB
    assert summary["delivery_cost_per_case"] == pytest.approx(delivery, rel=1e-12)
    avoided = 4000 * 45 / 100 - 3000 * 45 / 150  # £1,800 - £900 = £900 a case
    assert summary["costs_avoided_per_case"] == pytest.approx(avoided, rel=1e-12)
    assert summary["net_saving_per_case"] == pytest.approx(avoided - delivery, rel=1e-12)
    assert summary["froi"] == pytest.approx(avoided / delivery, rel=1e-12)
    # the project's appraisal figure keeps OB and discounting
    assert summary["pv_costs"] == pytest.approx(118000 * 1.15 * (1 + 1 / 1.035) + 9000)
