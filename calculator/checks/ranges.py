"""Uncertainty ranges (METHOD 5) must hold their central value: low <= central <= high."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import Problem
from .context import CheckContext


def _outside(end: str, name: str, side: str) -> Callable[[Any], str]:
    def word(v: Any) -> str:
        return f"{name}_{end} ({v:g}) is {side} the central {name}; the range must hold it"

    return word


def ranges_hold_the_central_value(ctx: CheckContext) -> list[Problem]:
    """Each ``*_low`` is at most, and each ``*_high`` at least, its central value; cost
    ranges apply only to rows given as an amount."""
    outcomes, costs = ctx.lists["outcomes"], ctx.lists["costs"]
    value = outcomes["unit_cost_code"].map(ctx.table.rows["value"]).astype(float)
    centrals = [
        (outcomes, "outcomes", "success", outcomes["success"]),
        (outcomes, "outcomes", "deadweight", outcomes["deadweight"]),
        (outcomes, "outcomes", "value", value),
        (costs, "costs", "amount", costs["amount"]),
    ]
    problems: list[Problem] = []
    for frame, list_name, name, central in centrals:
        low, high = frame[f"{name}_low"], frame[f"{name}_high"]
        problems += ctx.places.rows(
            frame,
            (low > central).to_numpy(),
            list_name,
            f"{name}_low",
            _outside("low", name, "above"),
            of=low,
            code="range_excludes_central",
        )
        problems += ctx.places.rows(
            frame,
            (high < central).to_numpy(),
            list_name,
            f"{name}_high",
            _outside("high", name, "below"),
            of=high,
            code="range_excludes_central",
        )
    ranged = costs["amount_low"].notna() | costs["amount_high"].notna()
    problems += ctx.places.rows(
        costs,
        (ranged & costs["amount"].isna()).to_numpy(),
        "costs",
        "amount_low",
        "amount_low and amount_high can only range a row given as an amount",
        code="field_not_used",
    )
    return problems
