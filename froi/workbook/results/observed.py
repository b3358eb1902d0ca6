"""Detail tables of the observed designs: comparison (METHOD 3) and case level (METHOD 4).

Service use costs each usage row of both groups (``quantity x value at base-year
prices``, a formula); Comparison by agency divides each agency's usage by each group's
cases; Case results gives each case's FROI; Case teams counts and sums each team's cases
for the whole-service projection.  Keys and formulas as in
:mod:`froi.workbook.results.detail`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import Column, Table
from .context import COMPARISON, INTERVENTION, KEY, Context, agency_numbers, keys

USAGE = (
    *KEY,
    Column("group", "Group", "text", 13),
    Column("row", "Row on the ComparisonUsage sheet", "integer"),
    Column("unit_cost_code", "Unit cost code", "text"),
    Column("agency", "Agency", "text"),
    Column("agency_no", "Agency #", "integer"),
    Column("quantity", "Units used (whole group)", "number"),
    Column("v_base", "Unit value at base-year prices (£)", "unit_money"),
    Column("cost", "Cost (£)", "money"),
)
COMPARISON_AGENCIES = (
    *KEY,
    Column("agency", "Agency", "text", 26),
    Column("agency_no", "Agency #", "integer"),
    Column("intervention_cases", "Intervention cases", "count"),
    Column("comparison_cases", "Comparison cases", "count"),
    Column("cost_per_case_intervention", "Service cost per case, intervention (£)", "money"),
    Column("cost_per_case_comparison", "Service cost per case, comparison (£)", "money"),
    Column("costs_avoided_per_case", "Costs avoided per case (£)", "money"),
    Column("costs_avoided_total", "Costs avoided, total (£)", "money"),
)
CASES = (
    *KEY,
    Column("row", "Row on the Cases sheet", "integer"),
    Column("case_id", "Case ID", "text"),
    Column("team", "Team", "text"),
    Column("team_no", "Team #", "integer"),
    Column("cost", "Cost at base-year prices (£)", "money"),
    Column("benefit", "Benefit (£)", "money"),
    Column("case_froi", "Case FROI (£ per £1)", "ratio"),
)
TEAMS = (
    Column("team_no", "Team #", "integer"),
    *KEY,
    Column("team", "Team", "text"),
    Column("annual_throughput", "Annual throughput (cases)", "count"),
    Column("cases", "Cases", "count"),
    Column("benefits", "Benefits of the cases (£)", "money"),
    Column("mean_benefit", "Mean benefit per case (£)", "money"),
    Column("projected", "Projected annual benefits (£)", "money"),
)


def write_usage(t: Table, ctx: Context, used: Table) -> None:
    """Each usage row costed; its unit value is looked up on Unit costs used, so a unit
    cost changed on UnitCosts changes the costs avoided (the units used are values)."""
    u = ctx.usage
    keys(t, ctx, u)
    for key in ("group", "unit_cost_code", "agency"):
        t.texts(key, u[key])
    t.numbers("agency_no", agency_numbers(ctx, u))
    for key in ("sheet_row", "quantity"):
        t.numbers("row" if key == "sheet_row" else key, u[key])
    codes, values = used.named("code"), used.named("v_base")
    t.formulas(
        "v_base",
        [f"INDEX({values},MATCH({t.at('unit_cost_code', i)},{codes},0))" for i in range(len(u))],
        u["v_base"],
    )
    t.formulas(
        "cost", [f"{t.at('quantity', i)}*{t.at('v_base', i)}" for i in range(len(u))], u["cost"]
    )


def write_comparison_agencies(t: Table, ctx: Context, usage: Table) -> None:
    a = ctx.comparison_agencies
    p = keys(t, ctx, a)
    projects = ctx.run.projects
    t.texts("agency", a["agency"])
    t.numbers("agency_no", agency_numbers(ctx, a))
    for key in ("intervention_cases", "comparison_cases"):
        t.numbers(key, projects[key].to_numpy(dtype=np.float64)[p])
    rows = range(len(a))
    cost, no, ag, grp = (
        usage.range("cost"),
        usage.range("no"),
        usage.range("agency_no"),
        usage.range("group"),
    )
    for key, group, cases in (
        ("cost_per_case_intervention", INTERVENTION, "intervention_cases"),
        ("cost_per_case_comparison", COMPARISON, "comparison_cases"),
    ):
        t.formulas(
            key,
            [
                f"IF(N({t.at(cases, i)})>0,SUMIFS({cost},{no},{t.at('no', i)},{ag},"
                f'{t.at("agency_no", i)},{grp},"{group}")/{t.at(cases, i)},"")'
                for i in rows
            ],
            a[key],
        )
    ci, cc = "cost_per_case_intervention", "cost_per_case_comparison"
    t.formulas(
        "costs_avoided_per_case",
        [f'IF(OR({t.at(ci, i)}="",{t.at(cc, i)}=""),"",{t.at(cc, i)}-{t.at(ci, i)})' for i in rows],
        a["costs_avoided_per_case"],
    )
    avoided = "costs_avoided_per_case"
    t.formulas(
        "costs_avoided_total",
        [
            f'IF({t.at(avoided, i)}="","",{t.at(avoided, i)}*{t.at("intervention_cases", i)})'
            for i in rows
        ],
        a["costs_avoided_total"],
    )


def write_cases(t: Table, ctx: Context) -> None:
    c = ctx.cases
    keys(t, ctx, c)
    t.texts("case_id", c["case_id"])
    t.texts("team", c["team"])
    for key in ("sheet_row", "team_no", "cost", "benefit"):
        t.numbers("row" if key == "sheet_row" else key, c[key])
    t.formulas(
        "case_froi",
        [
            f'IF({t.at("cost", i)}>0,{t.at("benefit", i)}/{t.at("cost", i)},"")'
            for i in range(len(c))
        ],
        c["case_froi"],
    )


def team_figures(ctx: Context) -> pd.DataFrame:
    """Each team's cases, benefits, mean benefit and projection, from the engine's cases."""
    teams = ctx.teams
    k = len(teams)
    matched = ctx.cases["team_no"].notna().to_numpy()
    index = ctx.cases["team_no"].to_numpy()[matched].astype(np.int64) - 1
    count = np.bincount(index, minlength=k).astype(np.float64)
    benefits = np.bincount(
        index, weights=ctx.cases["benefit"].to_numpy(dtype=np.float64)[matched], minlength=k
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, benefits / count, np.nan)
    throughput = teams["annual_throughput"].to_numpy(dtype=np.float64)
    return teams.assign(
        cases=count,
        benefits=benefits,
        mean_benefit=mean,
        projected=np.where(count > 0, mean * throughput, 0.0),
    )


def write_teams(t: Table, ctx: Context, cases: Table) -> None:
    f = team_figures(ctx)
    keys(t, ctx, f)
    t.numbers("team_no", f["team_no"])
    t.texts("team", f["team"])
    t.numbers("annual_throughput", f["annual_throughput"])
    rows = range(len(f))
    team = cases.range("team_no")
    t.formulas("cases", [f"COUNTIFS({team},{t.at('team_no', i)})" for i in rows], f["cases"])
    t.formulas(
        "benefits",
        [f"SUMIFS({cases.range('benefit')},{team},{t.at('team_no', i)})" for i in rows],
        f["benefits"],
    )
    t.formulas(
        "mean_benefit",
        [f'IF({t.at("cases", i)}>0,{t.at("benefits", i)}/{t.at("cases", i)},"")' for i in rows],
        f["mean_benefit"],
    )
    t.formulas(
        "projected",
        [
            f"IF({t.at('cases', i)}>0,{t.at('mean_benefit', i)}*{t.at('annual_throughput', i)},0)"
            for i in rows
        ],
        f["projected"],
    )
