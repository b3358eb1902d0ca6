"""Writes the sample inputs in this folder.  Run: python sample_workbooks/make_samples.py

The samples use codes from the default national unit cost table so they show the
standard at work.  The case-level sample is shaped like Enfield's FASH evaluation (121
cases costing £251k; a service costing £769,735 a year seeing 246 cases) but its case
records are synthetic: the real ones are not public.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def edge_of_care() -> dict:
    """Five-year appraisal of an edge-of-care hub (the README's worked example)."""
    return {
        "settings": {"appraisal_years": 5, "discount": "standard", "apply_optimism_bias": True},
        "projects": [
            {
                "project_id": "EOC-HUB",
                "name": "Edge of care hub",
                "organisation": "Anytown Council",
                "participants": 120,
                "costs": [
                    {
                        "description": "Set-up: recruitment, training, case system",
                        "year": 0,
                        "amount": 85000,
                        "agency": "Local Authority",
                        "kind": "set_up",
                        "cost_type": "training",
                        "confidence_grade": 2,
                    },
                    {
                        "description": "Hub team: 4 family support workers",
                        "year": 0,
                        "end_year": 4,
                        "salary": 31000,
                        "on_costs": 0.28,
                        "overheads": 0.15,
                        "quantity": 4,
                        "agency": "Local Authority",
                        "kind": "recurring",
                        "cost_type": "staff",
                    },
                    {
                        "description": "Social worker time (400 hours a year)",
                        "year": 0,
                        "end_year": 4,
                        "unit_cost_code": "SS18.2",
                        "quantity": 400,
                        "kind": "recurring",
                        "cost_type": "staff",
                    },
                    {
                        "description": "Respite placements bought in (£24k a year)",
                        "year": 0,
                        "end_year": 4,
                        "amount": 24000,
                        "agency": "Local Authority",
                        "kind": "recurring",
                        "cost_type": "accommodation_respite",
                        "confidence_grade": 2,
                    },
                ],
                "outcomes": [
                    {
                        "description": "Entries to residential care avoided (26 weeks each)",
                        "unit_cost_code": "SS3.0",
                        "cohort": 24,
                        "cohort_year": t,
                        "success": 0.12,
                        "deadweight": 0.35,
                        "quantity": 26,
                        "duration": 1,
                        "outcome_theme": 4,
                    }
                    for t in range(5)
                ]
                + [
                    {
                        "description": "Entries to foster care avoided (a year each)",
                        "unit_cost_code": "SS2.0",
                        "cohort": 24,
                        "cohort_year": t,
                        "success": 0.2,
                        "deadweight": 0.35,
                        "quantity": 52,
                        "lag": 1,
                        "duration": 2,
                        "drop_off": 0.2,
                        "outcome_theme": 1,
                    }
                    for t in range(4)  # a year-4 cohort would start benefiting after year 4
                ]
                + [
                    {
                        "description": "A&E attendances avoided",
                        "unit_cost_code": "HE4.0",
                        "cohort": 120,
                        "success": 0.4,
                        "deadweight": 0.2,
                        "quantity": 1.5,
                        "duration": 5,
                        "drop_off": 0.1,
                        "discount": "health",
                        "outcome_theme": 11,
                    },
                    {
                        "description": "First-time youth offending avoided",
                        "unit_cost_code": "CR4.0",
                        "cohort": 60,
                        "success": 0.15,
                        "deadweight": 0.25,
                        "attribution": 0.8,
                        "lag": 1,
                        "duration": 1,
                        "outcome_theme": 7,
                    },
                    {
                        "description": "Young people kept in education (NEET avoided)",
                        "unit_cost_code": "E&E10.0.1",
                        "cohort": 40,
                        "success": 0.2,
                        "deadweight": 0.3,
                        "lag": 2,
                        "duration": 3,
                        "outcome_theme": 13,
                    },
                ],
            }
        ],
    }


def hampshire() -> dict:
    """Hampshire's personal assistants for social workers: a cost with an offset."""
    return {
        "settings": {"appraisal_years": 1, "apply_optimism_bias": False},
        "unit_costs": [
            {
                "code": "HCC-PA1",
                "name": "Personal assistant supporting three social workers",
                "unit": "per year",
                "value": 30456,
                "price_year": "2024-25",
                "agency": "Local Authority",
                "agency_detail": "Children's Services",
                "category": "fiscal",
                "cashable": False,
                "confidence_grade": 2,
                "source": "Hampshire County Council, Social Care Innovation evaluation: personal "
                "assistants for social workers (illustrative local unit cost)",
            }
        ],
        "projects": [
            {
                "project_id": "HCC-PA",
                "name": "Personal assistants for social workers",
                "organisation": "Hampshire County Council",
                "participants": 3,
                "costs": [
                    {
                        "description": "Personal assistant",
                        "unit_cost_code": "HCC-PA1",
                        "quantity": 1,
                        "kind": "recurring",
                        "cost_type": "staff",
                    },
                    {
                        "description": "Admin support no longer needed",
                        "amount": 17232,
                        "agency": "Local Authority",
                        "kind": "offset",
                        "cost_type": "staff",
                    },
                ],
            }
        ],
    }


def enfield_like() -> dict:
    """Case-level evaluation shaped like Enfield's FASH (synthetic case records)."""
    rng = np.random.default_rng(2016)
    n = 121
    costs = rng.gamma(4.0, 1.0, n)
    costs = np.round(costs * 251_000 / costs.sum(), 2)
    costs[-1] = round(251_000 - costs[:-1].sum(), 2)
    cases = [
        {"case_id": f"FASH-{i + 1:03d}", "cost": float(c), "team": "Hub" if i % 3 else "Outreach"}
        for i, c in enumerate(costs)
    ]
    outcomes = []
    for i in range(n):
        case = f"FASH-{i + 1:03d}"
        if rng.random() < 0.18:
            outcomes.append(
                {"case_id": case, "unit_cost_code": "SS2.0", "quantity": int(rng.integers(8, 30))}
            )
        if rng.random() < 0.05:
            outcomes.append(
                {"case_id": case, "unit_cost_code": "SS3.0", "quantity": int(rng.integers(4, 12))}
            )
        if rng.random() < 0.3:
            outcomes.append(
                {"case_id": case, "unit_cost_code": "HE4.0", "quantity": int(rng.integers(1, 4))}
            )
        if rng.random() < 0.12:
            outcomes.append({"case_id": case, "unit_cost_code": "CR7.0", "quantity": 1})
    # scale the weeks and counts so the cases' benefits total about £750,490 at 2016-17
    # prices, as Enfield reported (observed FROI 2.99 on £251k of case costs)
    from calculator.reference import load_reference

    reference = load_reference()
    table = reference.unit_costs.rows
    value = {
        code: table.at[code, "value"]
        * reference.deflators.factor(table.at[code, "price_year"], "2016-17")
        for code in {o["unit_cost_code"] for o in outcomes}
    }
    total = sum(o["quantity"] * value[o["unit_cost_code"]] for o in outcomes)
    for o in outcomes:
        o["quantity"] = round(o["quantity"] * 750_490 / total, 2)
    return {
        "settings": {"base_year": "2016-17", "seed": 2016},
        "projects": [
            {
                "project_id": "ENF-FASH",
                "name": "Family and Adolescent Support Hub (shape of)",
                "organisation": "Enfield (illustrative)",
                "mode": "case_level",
                "case_cost_price_year": "2016-17",
                "cases": cases,
                "case_outcomes": outcomes,
                "service": {
                    "annual_running_cost": 769_735,
                    "annual_throughput": 246,
                    "margin_of_error": 0.05,
                    "price_year": "2016-17",
                },
            }
        ],
    }


def comparison_study() -> dict:
    """Costs avoided by a family group conferencing service against a matched group."""
    return {
        "settings": {"appraisal_years": 2},
        "projects": [
            {
                "project_id": "FGC-CMP",
                "name": "Family group conferencing",
                "organisation": "Anytown Council",
                "mode": "comparison",
                "comparison": {
                    "intervention_cases": 150,
                    "comparison_cases": 142,
                    "intervention_usage": [
                        {"unit_cost_code": "SS2.0", "quantity": 1460},
                        {"unit_cost_code": "SS3.0", "quantity": 96},
                        {"unit_cost_code": "SS4.1", "quantity": 6},
                        {"unit_cost_code": "HE4.0", "quantity": 70},
                    ],
                    "comparison_usage": [
                        {"unit_cost_code": "SS2.0", "quantity": 2210},
                        {"unit_cost_code": "SS3.0", "quantity": 180},
                        {"unit_cost_code": "SS4.1", "quantity": 11},
                        {"unit_cost_code": "HE4.0", "quantity": 95},
                    ],
                },
                "costs": [
                    {
                        "description": "Conference coordinators (£118k a year)",
                        "year": 0,
                        "end_year": 1,
                        "amount": 118000,
                        "agency": "Local Authority",
                        "kind": "recurring",
                        "cost_type": "staff",
                    },
                    {
                        "description": "Venues and travel",
                        "year": 0,
                        "amount": 9000,
                        "agency": "Local Authority",
                        "kind": "set_up",
                        "cost_type": "travel",
                    },
                ],
            }
        ],
    }


SAMPLES = {
    "edge_of_care_appraisal.json": edge_of_care,
    "hampshire_offset.json": hampshire,
    "enfield_case_level.json": enfield_like,
    "comparison_group_study.json": comparison_study,
}

if __name__ == "__main__":
    for name, build in SAMPLES.items():
        (HERE / name).write_text(json.dumps(build(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {name}")
