"""Writes the sample input workbooks.  Run: python sample_workbooks/make_xlsx_samples.py

- one workbook per JSON sample (an appraisal, a cost with an offset, a case-level study
  and a comparison study), written by the project's own writer from the JSON, so the
  workbook and the JSON are the same input (tests/test_workbook_reader.py checks they
  give the same results);
- ``portfolio_50_projects.xlsx``: 50 varied projects from a seeded generator
  (:func:`portfolio`), every mode, every kind of cost row, optional fields and
  uncertainty ranges, local unit costs, teams; the tests rebuild the document from the
  same seed and compare.

Every workbook is the template filled in: Instructions first, dropdowns on every sheet.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from calculator.engine import compute  # noqa: E402
from calculator.reference import ReferenceData, load_reference  # noqa: E402
from froi.workbook.template import write_input_workbook  # noqa: E402

JSON_SAMPLES = (
    "edge_of_care_appraisal",
    "hampshire_offset",
    "enfield_case_level",
    "comparison_group_study",
)
PORTFOLIO = "portfolio_50_projects"
SEED = 50
ORGANISATIONS = ("Anytown Council", "Northshire County Council", "Riverside Borough", "Eastbury")
LOCAL_UNIT_COSTS = [
    {
        "code": "LOCAL-FSW",
        "name": "Family support worker (local pay scale)",
        "unit": "per year",
        "value": 41850,
        "price_year": "2024-25",
        "agency": "Local Authority",
        "agency_detail": "Children's Services",
        "category": "fiscal",
        "cashable": True,
        "confidence_grade": 2,
        "source": "Anytown Council payroll, 2024-25 (illustrative)",
    },
    {
        "code": "LOCAL-RESPITE",
        "name": "Respite night, local provider",
        "unit": "per night",
        "value": 310,
        "price_year": "2023-24",
        "agency": "Local Authority",
        "category": "fiscal",
        "cashable": True,
        "confidence_grade": 3,
        "source": "Anytown Council framework contract 2023 (illustrative)",
    },
]


def code_pool(reference: ReferenceData) -> list[str]:
    """Top-level codes only (one dot), so no project claims a cost and one of its parts."""
    return sorted(str(c) for c in reference.unit_costs.rows.index if str(c).count(".") == 1)


def quantity(rng: np.random.Generator, unit: str) -> float:
    """Units avoided per outcome per year that suit a unit cost's unit."""
    unit = unit.lower()
    for word, choices in (
        ("week", (4, 8, 13)),
        ("day", (3, 7, 14)),
        ("night", (3, 7, 14)),
        ("hour", (2, 5, 10)),
        ("month", (1, 3, 6)),
    ):
        if word in unit:
            return float(rng.choice(choices))
    return 1.0


def _appraisal(
    rng: np.random.Generator, codes: list[str], units: dict[str, str], years: int
) -> dict[str, Any]:
    costs: list[dict[str, Any]] = [
        {
            "description": "Set-up: recruitment and training",
            "year": 0,
            "amount": float(rng.integers(20, 150) * 1000),
            "agency": "Local Authority",
            "kind": "set_up",
            "cost_type": "training",
            "confidence_grade": int(rng.integers(1, 4)),
        }
    ]
    for t in range(years):
        costs.append(
            {
                "description": "Family support workers",
                "year": t,
                "salary": float(rng.choice([29000, 31500, 34000])),
                "on_costs": 0.28,
                "overheads": float(rng.choice([0.1, 0.15, 0.2])),
                "quantity": int(rng.integers(1, 5)),
                "agency": "Local Authority",
                "cost_type": "staff",
            }
        )
    if rng.random() < 0.5:
        costs.append(
            {
                "description": "Local respite nights",
                "year": int(rng.integers(0, years)),
                "unit_cost_code": "LOCAL-RESPITE",
                "quantity": int(rng.integers(20, 120)),
                "cost_type": "accommodation_respite",
            }
        )
    if rng.random() < 0.3:
        costs.append(
            {
                "description": "Admin support no longer needed",
                "year": 1,
                "amount": float(rng.integers(5, 20) * 1000),
                "price_year": "2023-24",
                "agency": "Local Authority",
                "kind": "offset",
                "cost_type": "staff",
            }
        )
    outcomes = []
    for code in rng.choice(codes, int(rng.integers(2, 7)), replace=False):
        success = round(float(rng.uniform(0.05, 0.4)), 3)
        row: dict[str, Any] = {
            "description": f"Avoided: {code}",
            "unit_cost_code": str(code),
            "cohort": int(rng.integers(20, 120)),
            "cohort_year": int(rng.integers(0, max(1, years - 2))),
            "engagement": float(rng.choice([1.0, 0.9, 0.75])),
            "success": success,
            "deadweight": float(rng.choice([0.1, 0.25, 0.4])),
            "quantity": quantity(rng, units[str(code)]),
            "lag": int(rng.integers(0, 2)),
            "duration": int(rng.integers(1, 4)),
            "drop_off": float(rng.choice([0.0, 0.1, 0.2])),
            "outcome_theme": int(rng.integers(1, 25)),
        }
        if rng.random() < 0.3:
            row["displacement"] = 0.1
            row["attribution"] = 0.8
        if rng.random() < 0.3:
            row["confidence_grade"] = int(rng.integers(1, 7))
        if str(code).startswith("HE"):
            row["discount"] = "health"
        if rng.random() < 0.25:
            row["success_low"] = round(success * 0.7, 3)
            row["success_high"] = round(min(1.0, success * 1.3), 3)
        outcomes.append(row)
    return {"costs": costs, "outcomes": outcomes}


def _comparison(
    rng: np.random.Generator, codes: list[str], units: dict[str, str]
) -> dict[str, Any]:
    used = [str(c) for c in rng.choice(codes, int(rng.integers(2, 5)), replace=False)]
    n_i, n_c = int(rng.integers(60, 200)), int(rng.integers(60, 200))
    base = {c: quantity(rng, units[c]) * float(rng.integers(5, 40)) for c in used}
    return {
        "comparison": {
            "intervention_cases": n_i,
            "comparison_cases": n_c,
            "intervention_usage": [
                {"unit_cost_code": c, "quantity": round(q * n_i / 100 * 0.8, 1)}
                for c, q in base.items()
            ],
            "comparison_usage": [
                {"unit_cost_code": c, "quantity": round(q * n_c / 100, 1)} for c, q in base.items()
            ],
        },
        "costs": [
            {
                "description": "Service delivery",
                "year": t,
                "amount": float(rng.integers(40, 160) * 1000),
                "agency": "Local Authority",
                "cost_type": "staff",
            }
            for t in range(2)
        ],
    }


def _case_level(
    rng: np.random.Generator, codes: list[str], units: dict[str, str], name: str
) -> dict[str, Any]:
    n = int(rng.integers(20, 60))
    teams = rng.random() < 0.5
    cases = []
    outcomes = []
    for i in range(n):
        case = {"case_id": f"{name}-C{i + 1:03d}", "cost": round(float(rng.gamma(4, 500)), 2)}
        if teams:
            case["team"] = "North" if i % 2 else "South"
        cases.append(case)
        for code in rng.choice(codes, int(rng.choice([0, 0, 1, 1, 2])), replace=False):
            outcomes.append(
                {
                    "case_id": case["case_id"],
                    "unit_cost_code": str(code),
                    "quantity": max(1.0, quantity(rng, units[str(code)]) // 4),
                }
            )
    service: dict[str, Any] = {
        "annual_running_cost": float(rng.integers(300, 900) * 1000),
        "margin_of_error": 0.05,
        "price_year": "2023-24",
    }
    if teams:
        service["teams"] = [
            {"team": "North", "annual_throughput": int(rng.integers(60, 150))},
            {"team": "South", "annual_throughput": int(rng.integers(60, 150))},
        ]
    else:
        service["annual_throughput"] = int(n * rng.uniform(1.5, 3))
    return {
        "case_cost_price_year": "2023-24",
        "cases": cases,
        "case_outcomes": outcomes,
        "service": service,
    }


def portfolio(reference: ReferenceData, seed: int = SEED) -> dict[str, Any]:
    """50 varied projects: 34 appraisals, 8 comparison studies, 8 case-level studies."""
    rng = np.random.default_rng(seed)
    codes = code_pool(reference)
    units = {c: str(reference.unit_costs.rows.at[c, "unit"]) for c in codes}
    years = 5
    modes = ["appraisal"] * 34 + ["comparison"] * 8 + ["case_level"] * 8
    projects = []
    for i, mode in enumerate(modes):
        pid = f"PF-{i + 1:02d}"
        project: dict[str, Any] = {
            "project_id": pid,
            "name": f"{mode.replace('_', '-').capitalize()} project {i + 1}",
            "organisation": str(rng.choice(ORGANISATIONS)),
            "mode": mode,
        }
        if mode == "appraisal":
            project["participants"] = int(rng.integers(20, 300))
            if rng.random() < 0.2:
                project["discount"] = 0.035
            project.update(_appraisal(rng, codes, units, years))
        elif mode == "comparison":
            project.update(_comparison(rng, codes, units))
        else:
            project.update(_case_level(rng, codes, units, pid))
        projects.append(project)
    return {
        "settings": {"appraisal_years": years, "discount": "standard", "seed": seed},
        "unit_costs": LOCAL_UNIT_COSTS,
        "projects": projects,
    }


def main() -> None:
    reference = load_reference()
    for name in JSON_SAMPLES:
        doc = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
        write_input_workbook(doc, HERE / f"{name}.xlsx", reference)
        print(f"wrote {name}.xlsx")
    doc = portfolio(reference)
    results = compute(doc, reference)  # refuses an invalid portfolio before it is written
    write_input_workbook(doc, HERE / f"{PORTFOLIO}.xlsx", reference)
    print(f"wrote {PORTFOLIO}.xlsx ({len(results.summary)} projects)")


if __name__ == "__main__":
    main()
