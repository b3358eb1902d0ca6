"""Double counting (METHOD 1.1): a project that claims a unit cost and one of its
ancestors counts the ancestor's part twice."""

from __future__ import annotations

import pandas as pd

from ..errors import Problem
from ..unit_costs import ancestor_codes
from .context import CheckContext


def double_counting(ctx: CheckContext) -> list[Problem]:
    """Warn where a project claims a unit cost and one of its ancestors."""
    lists = ctx.lists
    used = (
        pd.concat([lists[name][["_p", "unit_cost_code"]] for name in ("outcomes", "case_outcomes")])
        .dropna()
        .drop_duplicates()
    )
    if used.empty:
        return []
    ancestry = pd.DataFrame(
        [
            (code, parent)
            for code in used["unit_cost_code"].unique()
            for parent in ancestor_codes(str(code))
        ],
        columns=["unit_cost_code", "parent"],
    )
    if ancestry.empty:
        return []
    pairs = used.merge(ancestry, on="unit_cost_code").merge(
        used.rename(columns={"unit_cost_code": "parent"}), on=["_p", "parent"]
    )
    return [
        ctx.places.problem(
            f"uses both {parent} and its component {code}: the parent's value already "
            f"includes {code}, so counting both double counts",
            p=int(p),
            field="unit_cost_code",
            severity="warning",
            code="double_counting",
        )
        for p, code, parent in pairs[["_p", "unit_cost_code", "parent"]].itertuples(
            index=False, name=None
        )
    ]
