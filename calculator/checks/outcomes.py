"""Rules about outcome rows (METHOD 2.2) that are warnings: a benefit that starts too late
to count, and a row with no confidence grade at all."""

from __future__ import annotations

from ..errors import Problem
from .context import CheckContext


def benefits_after_the_period(ctx: CheckContext) -> list[Problem]:
    """An outcome whose benefit starts after year T-1 counts nothing: allowed, but said."""
    outcomes, T = ctx.lists["outcomes"], ctx.years
    return ctx.places.rows(
        outcomes,
        outcomes["cohort_year"] + outcomes["lag"] >= T,
        "outcomes",
        "lag",
        "the benefit starts after the appraisal period ends, so this outcome counts nothing; "
        f"raise appraisal_years (now {T}) or check cohort_year and lag",
        severity="warning",
        code="benefit_after_period",
    )


def ungraded_outcomes(ctx: CheckContext) -> list[Problem]:
    """With no grade on the row or its unit cost, the weakest grade (6) is used."""
    outcomes, rows = ctx.lists["outcomes"], ctx.table.rows
    known = outcomes["unit_cost_code"].isin(rows.index)
    grades = outcomes["unit_cost_code"].map(rows["confidence_grade"])
    return ctx.places.rows(
        outcomes,
        known & outcomes["confidence_grade"].isna() & grades.isna(),
        "outcomes",
        "confidence_grade",
        "neither the row nor its unit cost has a confidence grade, so "
        "grade 6 (the weakest) is used",
        severity="warning",
        code="no_grade",
    )
