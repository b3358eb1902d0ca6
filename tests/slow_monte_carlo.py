"""A slow, independent Monte Carlo of METHOD 5: one Python loop iteration per draw.

For every draw it sets each ranged input to a value drawn with the standard library's
``random.triangular`` and recomputes the project with the per-row reference model
(tests/reference_model.py).  The ranges are worked out here from METHOD 5's words, not
taken from the engine.  It is the oracle the vectorised simulation is tested against,
and the baseline bench/uncertainty.py times it against.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from .reference_model import compute_reference

WIDTH = {1: 0.05, 2: 0.10, 3: 0.15, 4: 0.25, 5: 0.35, 6: 0.50}


def _range(
    row: dict[str, Any], name: str, central: float, w: float, rate: bool, factor: float = 1.0
) -> tuple[float, float]:
    low = row.get(f"{name}_low")
    high = row.get(f"{name}_high")
    low = low * factor if low is not None else central * (1 - w)
    high = high * factor if high is not None else central * (1 + w)
    if rate:
        low, high = max(0.0, min(1.0, low)), max(0.0, min(1.0, high))
    return low, high


def simulate_slowly(
    doc: dict[str, Any], tables: dict[str, Any], draws: int, seed: int
) -> dict[str, dict[str, float]]:
    """P(FROI >= 1), P(NPV > 0) and mean FROI of each project over ``draws`` draws."""
    rng = random.Random(seed)
    unit_costs = tables["unit_costs"]
    deflators = tables["deflators"]
    base = (doc.get("settings") or {}).get("base_year") or max(deflators, key=lambda y: y[:4])
    local = {r["code"]: r for r in doc.get("unit_costs") or []}
    totals: dict[str, dict[str, float]] = {}
    for _ in range(draws):
        drawn = copy.deepcopy(doc)
        extra = []
        for project in drawn["projects"]:
            for i, row in enumerate(project.get("outcomes") or []):
                unit = local.get(row["unit_cost_code"]) or unit_costs[row["unit_cost_code"]]
                grade = row.get("confidence_grade") or unit.get("confidence_grade") or 6
                w = WIDTH[grade]
                for name in ("success", "deadweight"):
                    central = row.get(name, 0.0 if name == "deadweight" else None)
                    low, high = _range(row, name, central, w, rate=True)
                    row[name] = rng.triangular(low, high, central)
                factor = deflators[base] / deflators[unit["price_year"]]
                v = unit["value"] * factor
                low, high = _range(row, "value", v, w, rate=False, factor=factor)
                code = f"SIM-{project['project_id']}-{i}"
                extra.append(
                    {
                        **unit,
                        "code": code,
                        "value": rng.triangular(low, high, v),
                        "price_year": base,
                        "confidence_grade": grade,
                    }
                )
                row["unit_cost_code"] = code
            for row in project.get("costs") or []:
                w = WIDTH[row.get("confidence_grade", 1)]
                amount = row["amount"]  # the oracle ranges rows given as amounts only
                low = row.get("amount_low", amount * (1 - w / 2))
                high = row.get("amount_high", amount * (1 + w))
                row["amount"] = rng.triangular(low, high, amount)
        drawn["unit_costs"] = list(doc.get("unit_costs") or []) + extra
        for pid, result in compute_reference(drawn, **tables).items():
            t = totals.setdefault(pid, {"froi_at_least_1": 0, "npv_positive": 0, "froi": 0.0})
            froi = result["froi"]
            t["froi_at_least_1"] += froi is not None and froi >= 1
            t["npv_positive"] += result["npv"] > 0
            t["froi"] += froi if froi is not None else 0.0
    return {
        pid: {
            "prob_froi_at_least_1": t["froi_at_least_1"] / draws,
            "prob_npv_positive": t["npv_positive"] / draws,
            "froi_mean": t["froi"] / draws,
        }
        for pid, t in totals.items()
    }
