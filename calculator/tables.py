"""The tables a run reports, built once from the engine's arrays (METHOD 6).

The summary has one row per project (METHOD's names, blank where a mode does not
report a figure); the detail tables (years, outcome rows, cost rows, agencies) let a
person trace any figure.  Each table is built in one ``pd.DataFrame`` call from arrays
that already have their final types: text columns are taken (``take``) from a short
array of distinct names, not inferred over every row, and the input's own columns are
passed as Series, so pandas shares them copy-on-write instead of copying them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .appraisal import Appraisal, ratio, value_for_money_band
from .arrays import grouped_sum, where_else_zero
from .caselevel import CaseLevel
from .comparison import Comparison
from .fields import CATEGORIES
from .inputs import RunInput

#: Summary columns, in the order they are reported.
SUMMARY_COLUMNS = (
    "project_id",
    "name",
    "organisation",
    "mode",
    "participants",
    "pv_costs",
    "pv_fiscal",
    "pv_economic",
    "pv_social",
    "pv_benefits",
    "froi",
    "economic_roi",
    "public_value_roi",
    "net_fiscal_benefit",
    "npv",
    "payback_year",
    "payback_year_undiscounted",
    "pv_fiscal_cashable",
    "pv_fiscal_non_cashable",
    "value_for_money_band",
    "cost_per_participant",
    "fiscal_benefit_per_participant",
    "net_fiscal_benefit_per_participant",
    # comparison mode
    "intervention_cases",
    "comparison_cases",
    "cost_per_case_intervention",
    "cost_per_case_comparison",
    "costs_avoided_per_case",
    "delivery_cost_per_case",
    "net_saving_per_case",
    "costs_avoided_total",
    "delivery_cost_total",
    "net_saving_total",
    # case-level mode
    "cases",
    "total_case_benefits",
    "total_case_costs",
    "observed_froi",
    "observed_froi_interval_low",
    "observed_froi_interval_high",
    "mean_benefit_per_case",
    "mean_cost_per_case",
    "annual_running_cost",
    "annual_throughput",
    "projected_annual_benefits",
    "projected_annual_froi",
    "sample_confidence_level",
)
COMPARISON_ONLY = SUMMARY_COLUMNS[
    SUMMARY_COLUMNS.index("intervention_cases") : SUMMARY_COLUMNS.index("cases")
]
CASE_ONLY = SUMMARY_COLUMNS[SUMMARY_COLUMNS.index("cases") :]
#: Forecast figures that only an appraisal has; blank for the observed designs.
APPRAISAL_ONLY = tuple(
    c
    for c in SUMMARY_COLUMNS[
        SUMMARY_COLUMNS.index("pv_fiscal") : SUMMARY_COLUMNS.index("intervention_cases")
    ]
    if c not in ("froi", "value_for_money_band", "cost_per_participant")
)
#: Which summary columns and detail lists each mode reports.
NOT_REPORTED = {
    "appraisal": COMPARISON_ONLY + CASE_ONLY,
    "comparison": APPRAISAL_ONLY + CASE_ONLY,
    "case_level": APPRAISAL_ONLY + COMPARISON_ONLY + ("pv_costs", "cost_per_participant"),
}
DETAIL_LISTS = {
    "appraisal": ("years", "outcomes", "costs"),
    "comparison": ("costs",),
    "case_level": (),
}


SUMMARY_NUMERIC = frozenset(SUMMARY_COLUMNS) - {
    "project_id",
    "name",
    "organisation",
    "mode",
    "value_for_money_band",
}


def summary_table(run: RunInput, a: Appraisal, c: Comparison, k: CaseLevel) -> pd.DataFrame:
    projects = run.projects
    mode = projects["mode"].to_numpy(dtype=object)
    pv_fiscal, pv_economic, pv_social = a.pv_by_category.T
    pv_benefits = pv_fiscal + pv_economic + pv_social
    appraisal_froi = ratio(pv_fiscal, a.pv_costs)
    public_value_roi = ratio(pv_benefits, a.pv_costs)
    participants = projects["participants"].to_numpy(dtype=np.float64)
    net_fiscal = pv_fiscal - a.pv_costs
    # the headline FROI of each mode (docs/method.md): appraisal PV fiscal / PV costs,
    # comparison the costs-avoided ratio, case level the observed FROI
    froi = np.select(
        [mode == "comparison", mode == "case_level"], [c.froi, k.observed_froi], appraisal_froi
    )
    band_ratio = np.where(mode == "appraisal", public_value_roi, froi)
    columns: dict[str, Any] = {
        "project_id": projects["project_id"],
        "name": projects["name"],
        "organisation": projects["organisation"],
        "mode": mode,
        "participants": participants,
        "pv_costs": a.pv_costs,
        "pv_fiscal": pv_fiscal,
        "pv_economic": pv_economic,
        "pv_social": pv_social,
        "pv_benefits": pv_benefits,
        "froi": froi,
        "economic_roi": ratio(pv_fiscal + pv_economic, a.pv_costs),
        "public_value_roi": public_value_roi,
        "net_fiscal_benefit": net_fiscal,
        "npv": pv_benefits - a.pv_costs,
        "payback_year": a.payback_year,
        "payback_year_undiscounted": a.payback_year_undiscounted,
        "pv_fiscal_cashable": a.pv_fiscal_cashable,
        "pv_fiscal_non_cashable": pv_fiscal - a.pv_fiscal_cashable,
        "value_for_money_band": value_for_money_band(band_ratio),
        "cost_per_participant": ratio(a.pv_costs, participants),
        "fiscal_benefit_per_participant": ratio(pv_fiscal, participants),
        "net_fiscal_benefit_per_participant": ratio(net_fiscal, participants),
        "intervention_cases": projects["intervention_cases"],
        "comparison_cases": projects["comparison_cases"],
        "cost_per_case_intervention": c.cost_per_case_intervention,
        "cost_per_case_comparison": c.cost_per_case_comparison,
        "costs_avoided_per_case": c.costs_avoided_per_case,
        "delivery_cost_per_case": c.delivery_cost_per_case,
        "net_saving_per_case": c.net_saving_per_case,
        "costs_avoided_total": c.costs_avoided_total,
        "delivery_cost_total": c.delivery_cost_total,
        "net_saving_total": c.net_saving_total,
        "cases": k.cases,
        "total_case_benefits": k.total_case_benefits,
        "total_case_costs": k.total_case_costs,
        "observed_froi": k.observed_froi,
        "observed_froi_interval_low": k.interval_low,
        "observed_froi_interval_high": k.interval_high,
        "mean_benefit_per_case": k.mean_benefit_per_case,
        "mean_cost_per_case": k.mean_cost_per_case,
        "annual_running_cost": k.annual_running_cost,
        "annual_throughput": projects["annual_throughput"],
        "projected_annual_benefits": k.projected_annual_benefits,
        "projected_annual_froi": k.projected_annual_froi,
        "sample_confidence_level": k.sample_confidence_level,
    }
    # figures a mode does not report stay blank
    blank = {c: np.zeros(len(mode), dtype=bool) for c in SUMMARY_NUMERIC}
    for name, names in NOT_REPORTED.items():
        rows = mode == name
        for column in names:
            if column in blank:
                blank[column] |= rows
    arrays = {}
    for name in SUMMARY_COLUMNS:
        value = np.asarray(columns[name])
        if name in blank and blank[name].any():
            value = np.where(blank[name], np.nan, value)
        arrays[name] = value
    return pd.DataFrame(arrays)


def years_table(run: RunInput, a: Appraisal) -> pd.DataFrame:
    P, T = a.costs_by_year.shape
    discounted_costs = a.costs_by_year * a.project_df
    frame = pd.DataFrame(
        {
            "_p": np.repeat(np.arange(P), T),
            "t": np.tile(np.arange(T), P),
            "discount_factor": a.project_df.ravel(),
            "costs": a.costs_by_year.ravel(),
            "fiscal": a.benefits_by_year[:, 0, :].ravel(),
            "economic": a.benefits_by_year[:, 1, :].ravel(),
            "social": a.benefits_by_year[:, 2, :].ravel(),
            "pv_costs": discounted_costs.ravel(),
            "pv_fiscal": a.fiscal_pv_by_year.ravel(),
            "cumulative_fiscal_net": (
                a.fiscal_pv_by_year.cumsum(axis=1) - discounted_costs.cumsum(axis=1)
            ).ravel(),
        }
    )
    return frame


def _text(names: Any, codes: npt.NDArray[np.int64]) -> Any:
    """``names[codes]`` as the column pandas would infer from it, without inferring.

    A column of text is pandas' ``str`` type: taken from the few distinct names it is
    one pass over the codes, where inferring it from 200,000 objects is a scan of each.
    Anything else (a missing name, no rows) is left for pandas to infer, as before.
    """
    names = np.asarray(names, dtype=object)
    if len(codes) and all(isinstance(n, str) for n in names) and codes.min() >= 0:
        return pd.array(names, dtype="str").take(codes)
    return names[codes] if len(codes) else np.array([], dtype=object)


def outcomes_table(run: RunInput, a: Appraisal) -> pd.DataFrame:
    o = a.outcomes
    src = run.lists["outcomes"].reset_index(drop=True)
    pv = {name: where_else_zero(o.category == i, o.pv) for i, name in enumerate(CATEGORIES)}
    known = (o.agency_code >= 0).all()
    agency = _text(a.table.agency_names, o.agency_code) if known else a.table.agency[o.position]
    return pd.DataFrame(
        {
            "_p": src["_p"],
            "row": src["_row"],
            "description": src["description"],
            "unit_cost_code": src["unit_cost_code"],
            "outcome_theme": src["outcome_theme"],
            "category": _text(CATEGORIES, o.category),
            "agency": agency,
            "cashable": o.cashable,
            "n": o.n,
            "v_base": o.v_base,
            "confidence_grade": o.grade,
            "optimism_bias": o.optimism_bias,
            "pv_fiscal": pv["fiscal"],
            "pv_economic": pv["economic"],
            "pv_social": pv["social"],
            "switching_value": a.switching_value,
        },
        copy=False,
    )


def costs_table(run: RunInput, a: Appraisal) -> pd.DataFrame:
    c = a.costs
    src = run.lists["costs"].reset_index(drop=True)
    return pd.DataFrame(
        {
            "_p": src["_p"],
            "row": src["_row"],
            "description": src["description"],
            "year": c.first_year,
            "end_year": c.last_year,
            "years": c.years,
            "kind": src["kind"],
            "cost_type": src["cost_type"],
            "agency": c.agency,
            "unit_cost_code": src["unit_cost_code"],
            "quantity": src["quantity"],
            "salary": src["salary"],
            "on_costs": src["on_costs"],
            "overheads": src["overheads"],
            "productive_hours": src["productive_hours"],
            "unit_value": c.unit_value,
            "amount": c.amount,
            "price_year": c.price_year,
            "real": c.real,
            "confidence_grade": c.grade,
            "optimism_bias": c.optimism_bias,
            "net_cost": c.net,
            "net_cost_total": c.net * c.years,
            "real_total": c.sign * c.real * c.years,
            "discount_factor": c.discount_factor,
            "pv": c.pv,
        },
        copy=False,
    )


def agencies_table(run: RunInput, a: Appraisal) -> pd.DataFrame:
    """Per project and agency: PV fiscal benefit (who saves), cashable, PV costs (who pays).

    Agencies are numbered once (``pd.factorize``), in name order, and summed with
    ``bincount`` over ``project x agency`` cells; only the cells that hold something are
    kept, and read in cell order they are already sorted by project, then agency.
    """
    o = a.outcomes
    op = run.lists["outcomes"]["_p"].to_numpy(dtype=np.int64)
    cp = run.lists["costs"]["_p"].to_numpy(dtype=np.int64)
    fiscal = np.flatnonzero(o.category == 0)
    # outcome rows carry the table's agency numbers; number the (fewer) cost agencies
    # together with the table's names so both share one numbering
    K = len(a.table.agency_names)
    codes, agencies = pd.factorize(np.concatenate([a.table.agency_names, a.costs.agency]))
    names = np.asarray(agencies, dtype=object)
    in_order = len(names) > 0 and all(isinstance(n, str) for n in names)
    if in_order:  # renumber by name, so cell order is (project, agency) order
        order = np.argsort(names, kind="stable")
        rank = np.empty(len(names), dtype=np.int64)
        rank[order] = np.arange(len(names))
        codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], codes)
        names = names[order]
    outcome_codes = codes[:K][o.agency_code[fiscal]]
    cost_codes = codes[K:]
    A = max(len(names), 1)
    P = len(run.projects)
    benefit_cell = op[fiscal] * A + outcome_codes
    cost_cell = cp * A + cost_codes
    pv_fiscal = grouped_sum(benefit_cell, o.pv[fiscal], P * A)
    cashable = grouped_sum(benefit_cell, where_else_zero(o.cashable[fiscal], o.pv[fiscal]), P * A)
    pv_costs = grouped_sum(cost_cell, a.costs.pv, P * A)
    used = np.zeros(P * A, dtype=bool)
    used[benefit_cell] = True
    used[cost_cell] = True
    cells = np.flatnonzero(used)
    frame = pd.DataFrame(
        {
            "_p": cells // A,
            "agency": _text(names, cells % A) if len(names) else [],
            "pv_fiscal": pv_fiscal[cells],
            "pv_fiscal_cashable": cashable[cells],
            "pv_costs": pv_costs[cells],
            "net_fiscal_benefit": pv_fiscal[cells] - pv_costs[cells],
        },
        copy=False,
    )
    if in_order:
        return frame
    return frame.sort_values(["_p", "agency"], kind="stable", ignore_index=True)
