"""What every sheet of the results workbook needs to know about a run, derived once.

Project, agency and team numbers (the keys every formula uses, see
:mod:`froi.workbook.results.detail`) and the engine's detail frames restricted to the
projects whose mode reports them (METHOD: years, outcomes and cost rows for forecasts;
service use for comparisons; cases and teams for case-level projects).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calculator.engine import Results
from calculator.inputs import RunInput

from .cells import Column, Table

INTERVENTION, COMPARISON = "intervention", "comparison"
KEY = [Column("no", "Project #", "integer"), Column("project_id", "Project ID", "text")]


@dataclass(frozen=True)
class Context:
    """What every sheet needs to know about a run, derived once."""

    results: Results
    run: RunInput
    ids: np.ndarray
    modes: np.ndarray
    agency_no: dict[str, int]
    #: detail frames restricted to the projects whose mode reports them
    years: pd.DataFrame
    outcomes: pd.DataFrame
    costs: pd.DataFrame
    agencies: pd.DataFrame
    usage: pd.DataFrame
    comparison_agencies: pd.DataFrame
    cases: pd.DataFrame
    teams: pd.DataFrame
    has_teams: np.ndarray

    @property
    def projects(self) -> int:
        return len(self.ids)


def _cumulate(years: pd.DataFrame) -> pd.DataFrame:
    """Cumulative positions within each project, in year order, and the paid-back flags
    (METHOD 2.3: cumulative fiscal benefit covers cumulative cost and is above 0)."""
    years = years.copy()
    for name in ("pv_costs", "pv_fiscal", "costs", "fiscal"):
        years[f"cum_{name}"] = years.groupby("_p", sort=False)[name].cumsum()
    for flag, fiscal, cost in (
        ("paid_back", "cum_pv_fiscal", "cum_pv_costs"),
        ("paid_back_undiscounted", "cum_fiscal", "cum_costs"),
    ):
        years[flag] = ((years[fiscal] >= years[cost]) & (years[fiscal] > 0)).astype(float)
        # the payback year: the first year paid back (METHOD 2.3)
        before = years.groupby("_p", sort=False)[flag].cumsum()
        years[f"first_{flag}"] = ((years[flag] == 1) & (before == 1)).astype(float)
    return years


def sheet_rows(frame: pd.DataFrame) -> np.ndarray:
    """The row (1-based, below the header) each row of a list takes on its input sheet of
    the results workbook, which holds the lists project by project in input order
    (:func:`froi.workbook.writer.write_input_sheets`): the "Row on the ... sheet" columns
    and the live formulas refer to it."""
    p = frame["_p"].to_numpy(dtype=np.int64)
    order = np.argsort(p, kind="stable")
    rows = np.empty(len(p), dtype=np.int64)
    rows[order] = np.arange(len(p), dtype=np.int64) + 2
    return rows


def context(results: Results) -> Context:
    """Derive the numbering and the per-mode detail frames of a run's results."""
    if results.run is None:
        raise ValueError("the results carry no run (compute them with calculator.engine)")
    run = results.run
    modes = results.summary["mode"].to_numpy(dtype=object)
    ids = results.summary["project_id"].to_numpy(dtype=object)

    def of_modes(frame: pd.DataFrame, *wanted: str) -> pd.DataFrame:
        keep = np.isin(modes[frame["_p"].to_numpy(dtype=np.int64)], wanted)
        return frame[keep].reset_index(drop=True)

    outcomes = of_modes(
        results.outcomes.assign(
            sheet_row=sheet_rows(run.lists["outcomes"]),
            _source=np.arange(len(results.outcomes), dtype=np.int64),
        ),
        "appraisal",
    )
    costs = of_modes(
        results.costs.assign(sheet_row=sheet_rows(run.lists["costs"])), "appraisal", "comparison"
    )
    agencies = of_modes(results.agencies, "appraisal", "comparison")
    groups = (results.usage["group"] == COMPARISON).to_numpy(dtype=np.int64)
    order = np.lexsort((np.arange(len(groups)), groups, results.usage["_p"].to_numpy(np.int64)))
    usage_rows = np.empty(len(groups), dtype=np.int64)
    usage_rows[order] = np.arange(len(groups), dtype=np.int64) + 2  # as on ComparisonUsage
    usage = of_modes(results.usage.assign(sheet_row=usage_rows), "comparison")
    comparison_agencies = of_modes(results.comparison_agencies, "comparison")
    names = pd.concat(
        [f["agency"] for f in (outcomes, costs, agencies, usage, comparison_agencies)]
    )
    agency_no = {a: k for k, a in enumerate(sorted({str(a) for a in names}), start=1)}

    cases = of_modes(results.cases.assign(sheet_row=sheet_rows(run.lists["cases"])), "case_level")
    teams = of_modes(
        run.lists["teams"].assign(sheet_row=sheet_rows(run.lists["teams"])), "case_level"
    )
    teams = teams.assign(team_no=np.arange(1, len(teams) + 1, dtype=float))
    match = pd.MultiIndex.from_frame(teams[["_p", "team"]]).get_indexer(
        pd.MultiIndex.from_frame(cases[["_p", "team"]])
    )
    cases = cases.assign(team_no=np.where(match >= 0, match + 1.0, np.nan))
    return Context(
        results=results,
        run=run,
        ids=ids,
        modes=modes,
        agency_no=agency_no,
        years=_cumulate(of_modes(results.years, "appraisal", "comparison")),
        outcomes=outcomes,
        costs=costs,
        agencies=agencies,
        usage=usage,
        comparison_agencies=comparison_agencies,
        cases=cases,
        teams=teams,
        has_teams=np.bincount(teams["_p"].to_numpy(dtype=np.int64), minlength=len(ids)) > 0,
    )


def keys(t: Table, ctx: Context, frame: pd.DataFrame) -> np.ndarray:
    """Write the Project # and ID columns of ``frame``'s rows; return their positions."""
    p = frame["_p"].to_numpy(dtype=np.int64)
    t.numbers("no", p + 1)
    t.texts("project_id", ctx.ids[p])
    return p


def agency_numbers(ctx: Context, frame: pd.DataFrame) -> list[int]:
    """The Agency # of each row of ``frame``."""
    return [ctx.agency_no[str(a)] for a in frame["agency"]]
