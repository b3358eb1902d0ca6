"""Shared pieces of the benchmarks: synthetic portfolios and a best-of-N timer.

Machines here have two noisy cores, so every benchmark times its baseline in the same
run and reports ratios; absolute seconds are printed for context only.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from calculator.reference import ReferenceData

T = TypeVar("T")

#: A project's headline appraisal figures: what the benchmark and the property tests
#: compare between two computations.
HEADLINE = (
    "pv_costs",
    "pv_fiscal",
    "pv_economic",
    "pv_social",
    "froi",
    "npv",
    "payback_year",
    "pv_fiscal_cashable",
)


def best_of(runs: int, fn: Callable[[], T]) -> tuple[float, T]:
    """The fastest of ``runs`` timings of ``fn()`` and its last result."""
    best = float("inf")
    result: Any = None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def portfolio(
    reference: ReferenceData,
    projects: int,
    outcomes: int,
    years: int,
    costs: int = 3,
    seed: int = 0,
) -> dict[str, Any]:
    """A valid appraisal input of ``projects`` x ``outcomes`` rows over ``years`` years,
    drawing unit costs from the reference table and varying every field."""
    rng = np.random.default_rng(seed)
    table = reference.unit_costs.rows
    codes = table.index.to_numpy()
    n_rows = projects * outcomes
    code = rng.choice(codes, n_rows)
    cohort = rng.integers(5, 200, n_rows)
    success = rng.uniform(0.05, 0.8, n_rows).round(3)
    deadweight = rng.uniform(0, 0.4, n_rows).round(3)
    quantity = rng.choice([1, 4, 12, 26, 52], n_rows)
    lag = rng.integers(0, 2, n_rows)
    duration = rng.integers(1, years + 1, n_rows)
    drop_off = rng.choice([0, 0.1, 0.25], n_rows)
    cohort_year = rng.integers(0, max(1, years - 1), n_rows)
    grade = rng.integers(1, 7, n_rows)
    discount = rng.choice(np.array(["standard", "health"], dtype=object), n_rows, p=[0.9, 0.1])
    amount = rng.uniform(5_000, 250_000, projects * costs).round(2)
    kind = rng.choice(
        np.array(["set_up", "recurring", "offset"], dtype=object),
        projects * costs,
        p=[0.3, 0.6, 0.1],
    )
    cost_year = rng.integers(0, years, projects * costs)
    docs = []
    for p in range(projects):
        rows = range(p * outcomes, (p + 1) * outcomes)
        docs.append(
            {
                "project_id": f"P{p:05d}",
                "participants": int(cohort[p * outcomes]),
                "outcomes": [
                    {
                        "unit_cost_code": str(code[i]),
                        "cohort": int(cohort[i]),
                        "cohort_year": int(cohort_year[i]),
                        "success": float(success[i]),
                        "deadweight": float(deadweight[i]),
                        "quantity": int(quantity[i]),
                        "lag": int(lag[i]),
                        "duration": int(duration[i]),
                        "drop_off": float(drop_off[i]),
                        "confidence_grade": int(grade[i]),
                        "discount": str(discount[i]),
                    }
                    for i in rows
                ],
                "costs": [
                    {
                        "amount": float(amount[j]),
                        "agency": "Local Authority",
                        "kind": str(kind[j]) if j % costs else "set_up",
                        "year": int(cost_year[j]),
                        "confidence_grade": 2,
                    }
                    for j in range(p * costs, (p + 1) * costs)
                ],
            }
        )
    return {"settings": {"appraisal_years": years}, "projects": docs}


def reference_model_tables(reference: ReferenceData) -> dict[str, Any]:
    """The reference data as the plain dicts tests/reference_model.py takes."""
    rows = reference.unit_costs.rows
    unit_costs = {
        str(code): {
            "value": float(r["value"]),
            "price_year": r["price_year"],
            "agency": r["agency"],
            "category": r["category"],
            "cashable": bool(r["cashable"]),
            "confidence_grade": None
            if r["confidence_grade"] != r["confidence_grade"]
            else int(r["confidence_grade"]),
        }
        for code, r in rows.iterrows()
    }
    schedules = {
        name: [(b.first, b.last, b.rate) for b in bands]
        for name, bands in reference.discount_schedules.schedules.items()
    }
    return {
        "unit_costs": unit_costs,
        "deflators": dict(reference.deflators.index),
        "ob_by_grade": dict(reference.optimism_bias.by_grade),
        "schedules": schedules,
    }


def free_port(ports: range | None = None) -> int:
    """A port of 127.0.0.1 that nothing is bound to: the first of ``ports`` (a range of
    the caller's own, so benchmarks and tests on one machine keep apart), or one the
    system chooses when ``ports`` is None.  Raises RuntimeError naming the range when
    every port of it is taken."""
    if ports is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")
