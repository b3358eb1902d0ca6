"""Rules that make a spelling canonical, so every later rule and the engine see one name.

A unit cost code written in another case (``ss2.0``) is the table's code (``SS2.0``),
and an agency written another way (``LA``, ``local authority``) is the run's agency
(``Local Authority``): each is read as the canonical one, with a warning naming the row.
An agency that is neither is an error (:mod:`calculator.agencies`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem
from .context import CheckContext

#: The lists whose rows name a unit cost.
CODED_LISTS = ("costs", "outcomes", "intervention_usage", "comparison_usage", "case_outcomes")


def codes_by_upper_case(index: pd.Index) -> dict[str, str]:
    """Upper-cased code -> the table's code, for codes no other code matches in case."""
    upper = pd.Series(index.astype(str), dtype=object)
    keys = upper.str.upper()
    unique = ~keys.duplicated(keep=False)
    return dict(zip(keys[unique], upper[unique], strict=True))


def _read_as(fix: dict[str, str]) -> Callable[[Any], str]:
    def word(code: Any) -> str:
        return (
            f"unit cost code '{code}' is read as '{fix[code]}': codes are matched without "
            "regard to case"
        )

    return word


def code_case(ctx: CheckContext) -> list[Problem]:
    """Unit cost codes match without regard to case; the row then holds the table's code."""
    known = ctx.table.rows.index
    by_upper: dict[str, str] | None = None
    problems: list[Problem] = []
    for name in CODED_LISTS:
        frame = ctx.lists[name]
        codes = frame["unit_cost_code"]
        unknown = codes.notna() & ~codes.isin(known)
        if not unknown.any():
            continue
        if by_upper is None:
            by_upper = codes_by_upper_case(known)
        fix = {
            str(c): by_upper[str(c).upper()]
            for c in pd.unique(codes[unknown].to_numpy(dtype=object))
            if str(c).upper() in by_upper
        }
        hit = (unknown & codes.isin(list(fix))).to_numpy()
        if not hit.any():
            continue
        problems += ctx.places.rows(
            frame,
            hit,
            name,
            "unit_cost_code",
            _read_as(fix),
            severity="warning",
            of=codes,
            code="code_case",
        )
        frame["unit_cost_code"] = codes.where(~hit, codes.map(fix))
    return problems


def agency_names(ctx: CheckContext) -> list[Problem]:
    """A cost row's agency is one of the run's agencies: read as the canonical name when
    it is written another way (a warning), refused when it is unknown (an error)."""
    costs = ctx.lists["costs"]
    given = costs["agency"]
    canonical, readings = ctx.agencies.read_column(given)
    if not readings:
        return []
    changed = {g for g, r in readings.items() if r.agency is not None}
    unknown = {g for g, r in readings.items() if r.agency is None}
    problems = ctx.places.rows(
        costs,
        given.isin(list(changed)).to_numpy(),
        "costs",
        "agency",
        lambda g: ctx.agencies.changed(g, readings[g]),
        severity="warning",
        of=given,
        code="agency_alias",
    )
    problems += ctx.places.rows(
        costs,
        given.isin(list(unknown)).to_numpy(),
        "costs",
        "agency",
        ctx.agencies.unknown,
        of=given,
        code="unknown_agency",
    )
    costs["agency"] = np.asarray(canonical.to_numpy(dtype=object))
    return problems
