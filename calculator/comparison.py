"""Comparison mode: costs avoided against a comparison group (METHOD 3).

Both groups' service use is costed with the same unit cost table at base-year prices.
Usage is observed, so there is no optimism bias and no discounting on it; the delivery
cost it is set against is observed in the same way: the project's cost rows at
base-year prices in every year each applies, offsets subtracted, with no optimism bias
and no discounting (the project's appraisal figures keep both).

    c_I = U_I / n_I,   c_C = U_C / n_C
    R   = sum over cost rows of real x (years it applies), offsets subtracted
    costs_avoided_per_case = c_C - c_I
    delivery_cost_per_case = R / n_I
    net_saving_per_case    = costs_avoided_per_case - delivery_cost_per_case
    froi (costs-avoided ratio) = costs_avoided_per_case / delivery_cost_per_case
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .appraisal import CostRows, RebasedTable, ratio
from .arrays import FloatArray, grouped_sum
from .inputs import RunInput


@dataclass(frozen=True)
class Comparison:
    cost_per_case_intervention: FloatArray
    cost_per_case_comparison: FloatArray
    costs_avoided_per_case: FloatArray
    delivery_cost_per_case: FloatArray
    net_saving_per_case: FloatArray
    costs_avoided_total: FloatArray
    delivery_cost_total: FloatArray
    net_saving_total: FloatArray
    froi: FloatArray
    #: long table: _p, agency, cost_per_case_intervention, cost_per_case_comparison,
    #: costs_avoided_per_case, costs_avoided_total
    by_agency: pd.DataFrame
    #: each usage row with its group and value: _p, _row, group, code, quantity, v_base, cost
    usage: pd.DataFrame


def usage_rows(run: RunInput, table: RebasedTable) -> pd.DataFrame:
    """Both groups' usage rows in one table, each costed at base-year prices."""
    frames = []
    for group in ("intervention", "comparison"):
        frame = run.lists[f"{group}_usage"][["_p", "_row", "unit_cost_code", "quantity"]].copy()
        frame["group"] = group
        frames.append(frame)
    usage = pd.concat(frames, ignore_index=True)
    at = table.positions(usage["unit_cost_code"])
    usage["agency"] = table.agency[at]
    usage["v_base"] = table.v_base[at]
    usage["cost"] = usage["quantity"].to_numpy(dtype=np.float64) * usage["v_base"]
    return usage


def _none(P: int) -> Comparison:
    """A run without comparison projects: every figure blank, no rows."""
    blank = np.full(P, np.nan)
    return Comparison(
        cost_per_case_intervention=blank,
        cost_per_case_comparison=blank,
        costs_avoided_per_case=blank,
        delivery_cost_per_case=blank,
        net_saving_per_case=blank,
        costs_avoided_total=blank,
        delivery_cost_total=blank,
        net_saving_total=blank,
        froi=blank,
        by_agency=pd.DataFrame(
            columns=[
                "_p",
                "agency",
                "cost_per_case_intervention",
                "cost_per_case_comparison",
                "costs_avoided_per_case",
                "costs_avoided_total",
            ]
        ),
        usage=pd.DataFrame(
            columns=[
                "_p",
                "_row",
                "unit_cost_code",
                "quantity",
                "group",
                "agency",
                "v_base",
                "cost",
            ]
        ),
    )


def observed_delivery_costs(run: RunInput, costs: CostRows) -> FloatArray:
    """R of each project: the real cost of its cost rows in every year each applies,
    offsets subtracted, with no optimism bias and no discounting (METHOD 3)."""
    p = run.lists["costs"]["_p"].to_numpy(dtype=np.int64)
    return grouped_sum(p, costs.sign * costs.real * costs.years, len(run.projects))


def compare(run: RunInput, table: RebasedTable, costs: CostRows) -> Comparison:
    """METHOD 3 for every project at once (figures are NaN for projects without cases).

    ``table`` is the run's unit cost table rebased once (:class:`RebasedTable`) and
    ``costs`` the cost rows as appraisal costed them (their real values are used)."""
    P = len(run.projects)
    if not (run.projects["mode"] == "comparison").any():
        return _none(P)
    usage = usage_rows(run, table)
    n_i = run.projects["intervention_cases"].to_numpy(dtype=np.float64)
    n_c = run.projects["comparison_cases"].to_numpy(dtype=np.float64)
    p = usage["_p"].to_numpy(dtype=np.int64)
    is_i = (usage["group"] == "intervention").to_numpy()
    cost = usage["cost"].to_numpy(dtype=np.float64)
    u_i = grouped_sum(p[is_i], cost[is_i], P)
    u_c = grouped_sum(p[~is_i], cost[~is_i], P)
    c_i = ratio(u_i, n_i)
    c_c = ratio(u_c, n_c)
    avoided = c_c - c_i
    delivery = ratio(observed_delivery_costs(run, costs), n_i)
    net = avoided - delivery

    per_agency = usage.pivot_table(
        index=["_p", "agency"],
        columns="group",
        values="cost",
        aggfunc="sum",
        fill_value=0.0,
        observed=True,
    )
    per_agency = per_agency.reindex(columns=["intervention", "comparison"], fill_value=0.0)
    by_agency = per_agency.reset_index()
    ap = by_agency["_p"].to_numpy(dtype=np.int64)
    by_agency["cost_per_case_intervention"] = ratio(by_agency["intervention"].to_numpy(), n_i[ap])
    by_agency["cost_per_case_comparison"] = ratio(by_agency["comparison"].to_numpy(), n_c[ap])
    by_agency["costs_avoided_per_case"] = (
        by_agency["cost_per_case_comparison"] - by_agency["cost_per_case_intervention"]
    )
    by_agency["costs_avoided_total"] = by_agency["costs_avoided_per_case"] * n_i[ap]
    by_agency = by_agency.drop(columns=["intervention", "comparison"])
    by_agency.columns.name = None
    return Comparison(
        cost_per_case_intervention=c_i,
        cost_per_case_comparison=c_c,
        costs_avoided_per_case=avoided,
        delivery_cost_per_case=delivery,
        net_saving_per_case=net,
        costs_avoided_total=avoided * n_i,
        delivery_cost_total=delivery * n_i,
        net_saving_total=net * n_i,
        froi=ratio(avoided, delivery),
        by_agency=by_agency,
        usage=usage,
    )
