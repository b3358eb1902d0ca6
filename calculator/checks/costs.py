"""Rules about cost rows (METHOD 2.1): one way of costing each row, fields that do not
apply to the way chosen, years within the appraisal period, and who pays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem
from .context import CheckContext


def costing_ways(ctx: CheckContext) -> list[Problem]:
    """Each row is costed exactly one way: an amount, a unit cost, or a salary."""
    costs = ctx.lists["costs"]
    ways = (
        costs["amount"].notna().astype(int)
        + costs["unit_cost_code"].notna().astype(int)
        + costs["salary"].notna().astype(int)
    )
    return [
        *ctx.places.rows(
            costs,
            ways == 0,
            "costs",
            "amount",
            "give an amount, or a unit_cost_code with a quantity, or a salary",
            code="no_costing",
        ),
        *ctx.places.rows(
            costs,
            ways > 1,
            "costs",
            "amount",
            "give only one of amount, unit_cost_code or salary: the row would be costed twice",
            code="costed_twice",
        ),
    ]


def fields_that_do_not_apply(ctx: CheckContext) -> list[Problem]:
    """A field that the row's way of costing does not use would be silently ignored."""
    costs = ctx.lists["costs"]
    has_code = costs["unit_cost_code"].notna()
    return [
        *ctx.places.rows(
            costs,
            has_code & costs["price_year"].notna(),
            "costs",
            "price_year",
            "a row costed from a unit cost takes the unit cost's price year; "
            "leave price_year blank",
            code="field_not_used",
        ),
        *ctx.places.rows(
            costs,
            costs["productive_hours"].notna() & costs["salary"].isna(),
            "costs",
            "productive_hours",
            "productive_hours is only used with a salary",
            code="field_not_used",
        ),
        *ctx.places.rows(
            costs,
            costs["amount"].notna() & costs["quantity"].notna(),
            "costs",
            "quantity",
            "quantity is only used with a unit_cost_code or a salary; put the total in amount",
            code="field_not_used",
        ),
    ]


def cost_years(ctx: CheckContext) -> list[Problem]:
    """A cost falls in years ``year`` to ``end_year`` (default ``year``), all within the
    appraisal period 0 to T-1, and ``end_year`` is not before ``year``."""
    costs, T = ctx.lists["costs"], ctx.years
    year, end = costs["year"], costs["end_year"]

    def outside(name: str) -> Callable[[Any], str]:
        return lambda y: (
            f"{name} {y:.0f} is outside the appraisal period of {T} years (0 to {T - 1})"
        )

    def backwards(r: int) -> str:
        return (
            f"end_year ({end.iat[r]:.0f}) is before year ({year.iat[r]:.0f}); a cost runs "
            "each year from year to end_year, so end_year must be year or later"
        )

    return [
        *ctx.places.rows(
            costs, year >= T, "costs", "year", outside("year"), of=year, code="year_outside"
        ),
        *ctx.places.rows(
            costs,
            end < year,
            "costs",
            "end_year",
            backwards,
            of=pd.Series(np.arange(len(costs))),
            code="end_year_before_year",
        ),
        *ctx.places.rows(
            costs, end >= T, "costs", "end_year", outside("end_year"), of=end, code="year_outside"
        ),
    ]


def recurring_in_one_year(ctx: CheckContext) -> list[Problem]:
    """A recurring cost without ``end_year`` falls in its one year: say so plainly, since
    "recurring" suggests it repeats.  A row in the appraisal's last year could not repeat
    within it, so it is not warned about."""
    costs = ctx.lists["costs"]
    last = ctx.settings.appraisal_years - 1
    return ctx.places.rows(
        costs,
        (costs["kind"] == "recurring") & costs["end_year"].isna() & (costs["year"] < last),
        "costs",
        "end_year",
        lambda y: (
            f"a recurring cost with no end_year falls in year {y:.0f} only; "
            "give end_year to repeat it each year"
        ),
        severity="warning",
        of=costs["year"],
        code="recurring_one_year",
    )


def payer_named(ctx: CheckContext) -> list[Problem]:
    """A cost not taken from the unit cost table must say who pays (METHOD 2.1)."""
    costs = ctx.lists["costs"]
    return ctx.places.rows(
        costs,
        costs["unit_cost_code"].isna() & costs["agency"].isna(),
        "costs",
        "agency",
        "agency (who pays) is required for a cost not taken "
        "from the unit cost table, e.g. Local Authority",
        code="no_agency",
    )
