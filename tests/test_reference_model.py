"""The reference model against METHOD.md's worked examples and hand-computed cases.

Every input here is built by hand (no engine code, no data files), so these tests pin the
oracle to the method itself.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.reference_model import (
    compute_reference,
    discount_factors,
    sample_confidence_level,
    value_for_money_band,
)

# METHOD 1.4, the Green Book tables, written out by hand
SCHEDULES: dict[str, list[tuple[int, int | None, float]]] = {
    "standard": [
        (0, 30, 0.035),
        (31, 75, 0.03),
        (76, 125, 0.025),
        (126, 200, 0.02),
        (201, 300, 0.015),
        (301, None, 0.01),
    ],
    "health": [
        (0, 30, 0.015),
        (31, 75, 0.0129),
        (76, 125, 0.0107),
        (126, 200, 0.0086),
        (201, 300, 0.0064),
        (301, None, 0.0043),
    ],
}
OB = {1: 0.0, 2: 0.05, 3: 0.10, 4: 0.15, 5: 0.25, 6: 0.40}  # METHOD 1.3
# 2023-24 is the latest year, so the default base year; 2022-23 prices x 100/80 = x 1.25
DEFLATORS = {"2009-10": 60.0, "2022-23": 80.0, "2023-24": 100.0}


def unit_cost(
    value: float,
    price_year: str,
    agency: str,
    category: str = "fiscal",
    cashable: bool = False,
    grade: int | None = 1,
) -> dict[str, Any]:
    return {
        "value": value,
        "price_year": price_year,
        "agency": agency,
        "category": category,
        "cashable": cashable,
        "confidence_grade": grade,
    }


def run(
    doc: dict[str, Any], unit_costs: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    return compute_reference(doc, unit_costs or {}, DEFLATORS, OB, SCHEDULES)


# METHOD 1.4 ------------------------------------------------------------------------------


def test_green_book_standard_factors() -> None:
    df = discount_factors("standard", 80, SCHEDULES)
    assert df[0] == 1.0
    assert df[1] == pytest.approx(1 / 1.035, rel=1e-12)
    assert df[30] == pytest.approx(1.035**-30, rel=1e-12)
    assert df[31] == pytest.approx(1.035**-30 / 1.03, rel=1e-12)
    assert df[76] == pytest.approx(1.035**-30 * 1.03**-45 / 1.025, rel=1e-12)
    assert round(df[10], 4) == 0.7089  # the Green Book's published factor


def test_green_book_health_factors_and_flat_rates() -> None:
    df = discount_factors("health", 40, SCHEDULES)
    assert df[1] == pytest.approx(1 / 1.015, rel=1e-12)
    assert df[30] == pytest.approx(1.015**-30, rel=1e-12)
    assert df[31] == pytest.approx(1.015**-30 / 1.0129, rel=1e-12)
    assert discount_factors(0, 4, SCHEDULES) == [1.0, 1.0, 1.0, 1.0]
    assert discount_factors(0.25, 3, SCHEDULES) == [1.0, 0.8, 0.64]


# METHOD 2.1: Hampshire ---------------------------------------------------------------------


def test_hampshire_personal_assistants() -> None:
    # a £30,456 PA, less £17,232 of admin support no longer needed, OB off:
    # net 13,224, or 4,408 for each of the 3 social workers supported
    doc = {
        "settings": {"apply_optimism_bias": False},
        "unit_costs": [{"code": "PA", **unit_cost(30456, "2023-24", "Hampshire CC")}],
        "projects": [
            {
                "project_id": "hampshire",
                "participants": 3,
                "costs": [
                    {
                        "description": "PA",
                        "unit_cost_code": "PA",
                        "quantity": 1,
                        "kind": "recurring",
                        "confidence_grade": 6,
                    },
                    {
                        "description": "admin support",
                        "amount": 17232,
                        "agency": "Hampshire CC",
                        "kind": "offset",
                        "confidence_grade": 6,
                    },
                ],
            }
        ],
    }
    result = run(doc)["hampshire"]
    assert result["pv_costs"] == pytest.approx(13224, rel=1e-12)
    assert result["cost_per_participant"] == pytest.approx(4408, rel=1e-12)
    assert result["costs_by_agency"] == {"Hampshire CC": pytest.approx(13224, rel=1e-12)}
    assert result["froi"] == 0.0
    assert result["payback_year"] is None


def test_staff_builder_cost_rows() -> None:
    # annual = 30,000 x 1.3 x 1.2 = 46,800; 0.5 FTE = 23,400; 100 of 1,560 hours = 3,000
    costs = [
        {
            "description": "FTE",
            "salary": 30000,
            "on_costs": 0.3,
            "overheads": 0.2,
            "quantity": 0.5,
            "agency": "LA",
            "kind": "set_up",
        },
        {
            "description": "hours",
            "salary": 30000,
            "on_costs": 0.3,
            "overheads": 0.2,
            "productive_hours": 1560,
            "quantity": 100,
            "agency": "LA",
            "kind": "set_up",
        },
    ]
    doc = {"projects": [{"project_id": "p", "costs": costs}]}
    assert run(doc)["p"]["pv_costs"] == pytest.approx(26400, rel=1e-12)


# METHOD 2.2 / 2.3: a small appraisal worked by hand --------------------------------------


def small_appraisal() -> dict[str, Any]:
    """T = 3, project discount flat 25% so DF = 1, 0.8, 0.64; base year 2023-24."""
    return {
        "settings": {"appraisal_years": 3, "discount": "health"},
        "unit_costs": [
            # 400 at 2022-23 -> v_base 500; grade 2 -> OB 5%
            {"code": "FIS", **unit_cost(400, "2022-23", "Local Authority", cashable=True, grade=2)},
            # 1,000 at base; no grade -> outcome grade 6 -> OB 40%
            {"code": "NHS", **unit_cost(1000, "2023-24", "NHS", grade=None)},
        ],
        "projects": [
            {
                "project_id": "p",
                "participants": 50,
                "discount": 0.25,
                "costs": [
                    # 18,400 at 2022-23 -> 23,000 real; grade 3 -> x 1.1 = 25,300 in year 0
                    {
                        "description": "set up",
                        "year": 0,
                        "amount": 18400,
                        "price_year": "2022-23",
                        "agency": "Local Authority",
                        "kind": "set_up",
                        "confidence_grade": 3,
                    },
                    # 5,000 in years 1 and 2, grade 1 -> no OB
                    {
                        "description": "running",
                        "year": 1,
                        "amount": 5000,
                        "agency": "Local Authority",
                        "kind": "recurring",
                    },
                    {
                        "description": "running",
                        "year": 2,
                        "amount": 5000,
                        "agency": "Local Authority",
                        "kind": "recurring",
                    },
                    # offset 2,000 in year 2, grade 2 -> 2,000 x 0.95 = 1,900 subtracted
                    {
                        "description": "saved",
                        "year": 2,
                        "amount": 2000,
                        "agency": "NHS",
                        "kind": "offset",
                        "confidence_grade": 2,
                    },
                ],
                "outcomes": [
                    # n = 100 x 0.5 x 0.4 x (1 - 0.25) = 15; B(t) = 15 x 2 x 500 x 0.95 = 14,250
                    # in t = 0, 1, 2 (duration 3); PV at 25% = 14,250 x 2.44 = 34,770
                    {
                        "unit_cost_code": "FIS",
                        "cohort": 100,
                        "engagement": 0.5,
                        "success": 0.4,
                        "deadweight": 0.25,
                        "quantity": 2,
                        "duration": 3,
                    },
                    # n = 10 x 1 x 0.8 x 0.5 = 4; b = 1; f = 1, 0.5; B = 4 x 1,000 x 0.6 x f
                    # = 2,400 (t=1), 1,200 (t=2); row discount 0 -> PV 3,600
                    {
                        "unit_cost_code": "NHS",
                        "cohort": 10,
                        "success": 1,
                        "displacement": 0.2,
                        "attribution": 0.5,
                        "lag": 1,
                        "duration": 5,
                        "drop_off": 0.5,
                        "discount": 0,
                    },
                ],
            }
        ],
    }


def test_small_appraisal_by_hand() -> None:
    r = run(small_appraisal())["p"]
    approx = pytest.approx
    # C = 25,300, 5,000, 3,100; PV_costs = 25,300 + 0.8 x 5,000 + 0.64 x 3,100 = 31,284
    assert [y["costs"] for y in r["years"]] == approx([25300, 5000, 3100], rel=1e-12)
    assert [y["discount_factor"] for y in r["years"]] == approx([1, 0.8, 0.64], rel=1e-12)
    assert r["pv_costs"] == approx(31284, rel=1e-12)
    # LA: 25,300 + 4,000 + 0.64 x 5,000 = 32,500; NHS: -0.64 x 1,900 = -1,216
    assert r["costs_by_agency"] == {
        "Local Authority": approx(32500, rel=1e-12),
        "NHS": approx(-1216, rel=1e-12),
    }
    # PV_fiscal = 34,770 + 3,600 = 38,370; froi = 38,370 / 31,284
    assert r["pv_fiscal"] == approx(38370, rel=1e-12)
    assert r["pv_economic"] == 0.0 and r["pv_social"] == 0.0
    assert r["froi"] == approx(38370 / 31284, rel=1e-12)
    assert r["public_value_roi"] == approx(1.2265055619, rel=1e-9)
    assert r["value_for_money_band"] == "low"
    assert r["net_fiscal_benefit"] == approx(7086, rel=1e-12)
    assert r["npv"] == approx(7086, rel=1e-12)
    assert r["fiscal_by_agency"] == {
        "Local Authority": approx(34770, rel=1e-12),
        "NHS": approx(3600, rel=1e-12),
    }
    assert r["pv_fiscal_cashable"] == approx(34770, rel=1e-12)
    assert [y["fiscal"] for y in r["years"]] == approx([14250, 16650, 15450], rel=1e-12)
    # discounted fiscal by year 14,250, 11,400 + 2,400, 9,120 + 1,200; less DF x C:
    # -11,050, -1,250, 7,086 -> payback in year 2
    assert [y["cumulative_fiscal_net"] for y in r["years"]] == approx(
        [-11050, -1250, 7086], rel=1e-12
    )
    assert r["payback_year"] == 2
    # undiscounted: 14,250 < 25,300; 30,900 >= 30,300 -> year 1
    assert r["payback_year_undiscounted"] == 1
    first, second = r["outcomes"]
    assert (first["n"], first["v_base"], first["optimism_bias"]) == approx((15, 500, 0.05))
    assert (second["n"], second["v_base"], second["optimism_bias"]) == approx((4, 1000, 0.4))
    # s* = 0.4 x (31,284 - 3,600) / 34,770; the second row's s* = -0.968 is outside [0, 1]
    assert first["switching_value"] == approx(0.4 * 27684 / 34770, rel=1e-12)
    assert second["switching_value"] is None
    assert r["cost_per_participant"] == approx(31284 / 50, rel=1e-12)
    assert r["net_fiscal_benefit_per_participant"] == approx(7086 / 50, rel=1e-12)


def test_switching_value_brings_froi_to_one() -> None:
    doc = small_appraisal()
    s_star = run(doc)["p"]["outcomes"][0]["switching_value"]
    moved = copy.deepcopy(doc)
    moved["projects"][0]["outcomes"][0]["success"] = s_star
    assert run(moved)["p"]["froi"] == pytest.approx(1.0, rel=1e-12)


def test_categories_ratios_and_null_ratios() -> None:
    table = {
        "ECO": unit_cost(100, "2023-24", "Individuals", category="economic"),
        "SOC": unit_cost(100, "2023-24", "Individuals", category="social"),
        "FIS": unit_cost(100, "2023-24", "LA"),
    }
    outcomes = [
        {"unit_cost_code": code, "cohort": 10, "success": 1, "discount": 0}
        for code in ("FIS", "ECO", "SOC")
    ]
    cost = {"description": "c", "amount": 500, "agency": "LA", "kind": "set_up"}
    doc = {
        "projects": [
            {"project_id": "p", "outcomes": outcomes, "costs": [cost]},
            {"project_id": "free", "outcomes": outcomes},
        ]
    }
    results = run(doc, table)
    r = results["p"]
    assert (r["froi"], r["economic_roi"], r["public_value_roi"]) == pytest.approx((2, 4, 6))
    assert r["value_for_money_band"] == "very high"
    assert r["cost_per_participant"] is None
    free = results["free"]
    assert free["froi"] is None and free["public_value_roi"] is None
    assert free["value_for_money_band"] is None
    assert free["outcomes"][0]["switching_value"] is None
    assert free["npv"] == pytest.approx(3000)


def test_value_for_money_bands() -> None:
    assert [value_for_money_band(x) for x in (0.99, 1, 1.49, 1.5, 2, 3.99, 4)] == [
        "poor",
        "low",
        "low",
        "medium",
        "high",
        "high",
        "very high",
    ]


# METHOD 3: comparison ----------------------------------------------------------------------


def test_comparison_costs_avoided() -> None:
    table = {"CIN": unit_cost(500, "2023-24", "LA"), "AE": unit_cost(100, "2022-23", "NHS")}
    doc = {
        "projects": [
            {
                "project_id": "c",
                "mode": "comparison",
                # delivery observed like the usage (METHOD 3): 1,200 a year in years 0-1
                # less a 400 offset = 2,000 real, with no optimism bias (grade 4 would add
                # 15%) and no discounting
                "costs": [
                    {
                        "description": "d",
                        "amount": 1200,
                        "year": 0,
                        "end_year": 1,
                        "agency": "LA",
                        "kind": "recurring",
                        "confidence_grade": 4,
                    },
                    {
                        "description": "saved",
                        "amount": 400,
                        "year": 1,
                        "agency": "LA",
                        "kind": "offset",
                        "confidence_grade": 4,
                    },
                ],
                "comparison": {
                    "intervention_cases": 10,
                    "comparison_cases": 20,
                    # U_I = 4 x 500 + 8 x 125 = 3,000 -> cI = 300 (LA 200, NHS 100)
                    "intervention_usage": [
                        {"unit_cost_code": "CIN", "quantity": 4},
                        {"unit_cost_code": "AE", "quantity": 8},
                    ],
                    # U_C = 16 x 500 + 40 x 125 = 13,000 -> cC = 650 (LA 400, NHS 250)
                    "comparison_usage": [
                        {"unit_cost_code": "CIN", "quantity": 16},
                        {"unit_cost_code": "AE", "quantity": 40},
                    ],
                },
            }
        ]
    }
    r = run(doc, table)["c"]
    approx = pytest.approx
    assert r["cost_per_case_intervention"] == approx(300)
    assert r["cost_per_case_comparison"] == approx(650)
    assert r["costs_avoided_per_case"] == approx(350)
    assert r["delivery_cost_per_case"] == approx(200)  # 2,000 / 10
    assert r["net_saving_per_case"] == approx(150)
    assert (r["costs_avoided_total"], r["delivery_cost_total"], r["net_saving_total"]) == (
        approx(3500),
        approx(2000),
        approx(1500),
    )
    assert r["costs_avoided_per_case_by_agency"] == {"LA": approx(200), "NHS": approx(150)}
    assert r["costs_avoided_total_by_agency"] == {"LA": approx(2000), "NHS": approx(1500)}
    assert r["froi"] == approx(350 / 200)
    # the project's appraisal figures keep OB and discounting: 1,200 x 1.15 in year 0,
    # (1,200 x 1.15 - 400 x 0.85) / 1.035 in year 1
    assert r["pv_costs"] == approx(1380 + (1380 - 340) / 1.035)
    # docs/method.md choice 2: observed designs are banded on their headline ratio (1.75)
    assert r["value_for_money_band"] == "medium"


# METHOD 4: case level ----------------------------------------------------------------------


def test_enfield_sample_confidence() -> None:
    assert round(sample_confidence_level(121, 246, 0.05), 3) == 0.876
    assert sample_confidence_level(246, 246, 0.05) == 1.0


def test_case_level_observed_and_projected() -> None:
    table = {"CIN": unit_cost(500, "2023-24", "LA"), "AE": unit_cost(100, "2022-23", "NHS")}
    project: dict[str, Any] = {
        "project_id": "k",
        "mode": "case_level",
        "case_cost_price_year": "2022-23",
        # costs 1,000 and 3,000 at 2022-23 -> 1,250 + 3,750 = 5,000
        "cases": [
            {"case_id": "c1", "cost": 1000, "team": "East"},
            {"case_id": "c2", "cost": 3000, "team": "West"},
        ],
        # c1: 2 x 500 = 1,000; c2: 10 x 500 + 8 x 125 = 6,000
        "case_outcomes": [
            {"case_id": "c1", "unit_cost_code": "CIN", "quantity": 2},
            {"case_id": "c2", "unit_cost_code": "CIN", "quantity": 10},
            {"case_id": "c2", "unit_cost_code": "AE", "quantity": 8},
        ],
        # 56,000 at 2022-23 -> 70,000 a year
        "service": {"annual_running_cost": 56000, "price_year": "2022-23", "annual_throughput": 40},
    }
    r = run({"projects": [project]}, table)["k"]
    assert r["total_case_benefits"] == pytest.approx(7000)
    assert r["total_case_costs"] == pytest.approx(5000)
    assert r["observed_froi"] == r["froi"] == pytest.approx(1.4)
    assert r["value_for_money_band"] == "low"
    assert (r["mean_benefit_per_case"], r["mean_cost_per_case"]) == pytest.approx((3500, 2500))
    assert r["projected_annual_froi"] == pytest.approx(3500 * 40 / 70000)
    assert r["sample_confidence_level"] == pytest.approx(
        sample_confidence_level(2, 40, 0.05), rel=1e-12
    )
    # with teams: (1,000 x 10 + 6,000 x 30) / 70,000
    project["service"]["teams"] = [
        {"team": "East", "annual_throughput": 10},
        {"team": "West", "annual_throughput": 30},
    ]
    r = run({"projects": [project]}, table)["k"]
    assert r["projected_annual_froi"] == pytest.approx(190000 / 70000)
