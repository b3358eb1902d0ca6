"""Hypothesis strategies for valid appraisal inputs over the fixture unit cost table."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

CODES = ["T1.0", "T1.0.1", "T2.0", "T3.0", "T4.0", "T5.0", "T6.0"]
rates = st.floats(0, 1, allow_nan=False, allow_subnormal=False)


def amounts(high: float) -> st.SearchStrategy[float]:
    """Non-negative amounts; vanishingly small ones become 0 (no overflowing ratios)."""
    return st.floats(0, high, allow_nan=False).map(lambda x: 0.0 if x < 1e-6 else x)


def outcome(years: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "unit_cost_code": st.sampled_from(CODES),
            "cohort": amounts(500),
            "success": rates,
        },
        optional={
            "cohort_year": st.integers(0, years - 1),
            "engagement": rates,
            "deadweight": rates,
            "displacement": rates,
            "attribution": rates,
            "quantity": amounts(60),
            "lag": st.integers(0, 3),
            "duration": st.integers(1, 6),
            "drop_off": rates,
            "confidence_grade": st.integers(1, 6),
            "discount": st.sampled_from(["standard", "health", 0.0, 0.05]),
        },
    )


def cost(years: int) -> st.SearchStrategy[dict[str, Any]]:
    amount = st.fixed_dictionaries(
        {
            "amount": amounts(1e6),
            "agency": st.sampled_from(["Local Authority", "NHS", "Police"]),
        },
        optional={"price_year": st.sampled_from(["2013-14", "2019-20", "2024-25"])},
    )
    unit = st.fixed_dictionaries(
        {
            "unit_cost_code": st.sampled_from(CODES),
            "quantity": amounts(500),
        }
    )
    salary = st.fixed_dictionaries(
        {
            "salary": st.floats(15000, 90000, allow_nan=False, allow_subnormal=False),
            "agency": st.just("Local Authority"),
        },
        optional={
            "on_costs": st.floats(0, 0.5),
            "overheads": st.floats(0, 0.5),
            "productive_hours": st.floats(1000, 1800),
            "quantity": st.floats(0, 3),
        },
    )
    common = st.fixed_dictionaries(
        {},
        optional={
            "year": st.integers(0, years - 1),
            "kind": st.sampled_from(["set_up", "recurring", "offset"]),
            "confidence_grade": st.integers(1, 6),
            "cost_type": st.sampled_from(["staff", "training", "other"]),
        },
    )
    return st.tuples(st.one_of(amount, unit, salary), common).flatmap(
        lambda t: _with_end_year({**t[0], **t[1]}, years)
    )


def _with_end_year(row: dict[str, Any], years: int) -> st.SearchStrategy[dict[str, Any]]:
    """The row, sometimes with an end_year from its year to the last year (METHOD 2.1)."""
    end = st.integers(row.get("year", 0), years - 1).map(lambda e: {**row, "end_year": e})
    return st.one_of(st.just(row), end)


@st.composite
def appraisal_doc(draw: st.DrawFn, max_projects: int = 4) -> dict[str, Any]:
    years = draw(st.integers(1, 8))
    settings = {
        "appraisal_years": years,
        "apply_optimism_bias": draw(st.booleans()),
        "discount": draw(st.sampled_from(["standard", "health", 0.0, 0.035])),
    }
    projects = []
    for i in range(draw(st.integers(1, max_projects))):
        project: dict[str, Any] = {
            "project_id": f"P{i}",
            "costs": draw(st.lists(cost(years), min_size=0, max_size=5)),
            "outcomes": draw(st.lists(outcome(years), min_size=0, max_size=6)),
        }
        if draw(st.booleans()):
            project["participants"] = draw(st.integers(1, 300))
        if draw(st.booleans()):
            project["discount"] = draw(st.sampled_from(["standard", "health", 0.02]))
        projects.append(project)
    # Police is not an agency of the fixture table: the input adds it on purpose
    return {"settings": settings, "agencies": ["Police"], "projects": projects}
