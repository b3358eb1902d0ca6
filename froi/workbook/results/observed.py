"""Detail tables of the observed designs: comparison (METHOD 3) and case level (METHOD 4).

Both are live, like the appraisal's Outcome values and Cost rows: every figure is a
formula over the workbook's own input sheets (ComparisonUsage, Cases, CaseOutcomes,
Teams, Projects) and its reference sheets (Unit costs used, Deflators).

- Service use costs each usage row of both groups: its unit cost code and units are the
  ComparisonUsage cells, its value at base-year prices is looked up on Unit costs used,
  and the cost is ``quantity x value`` (METHOD 3).
- Comparison by agency divides each agency's usage by each group's cases (the Projects
  cells intervention_cases and comparison_cases).
- Case outcome values values each row of CaseOutcomes (``quantity x value at base-year
  prices``, METHOD 4); Case results gives each case its cost (the Cases cell rebased
  from the project's case_cost_price_year), its benefit (the sum of its outcomes' values)
  and its FROI; Case teams counts and sums each team's cases for the whole-service
  projection, with the team's throughput from the Teams sheet.

What is not live is the structure: which rows exist, which group a usage row is in, which
case an outcome belongs to (a case outcome's row of Cases) and each row's agency are
values, so adding a row or moving it to another case needs the workbook uploaded again.
The observed FROI interval is a bootstrap (2,000 resamples of the cases): a value that
does not follow a changed input (Summary and Case results say so).  Keys and formulas as
in :mod:`froi.workbook.results.detail`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calculator.reference import ReferenceData

from .cells import Column, Table, is_blank
from .context import COMPARISON, INTERVENTION, KEY, Context, agency_numbers, keys, sheet_rows
from .live import Model

USAGE = (
    *KEY,
    Column("group", "Group", "text", 13),
    Column("row", "Row on the ComparisonUsage sheet", "integer"),
    Column("unit_cost_code", "Unit cost code", "text"),
    Column("unit_cost_no", "Row of Unit costs used", "integer"),
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
    Column("cost_given", "Cost at its price year (£)", "money"),
    Column("price_year", "Price year of the cost", "text", 11),
    Column("factor", "Rebasing factor", "factor"),
    Column("cost", "Cost at base-year prices (£)", "money"),
    Column("benefit", "Benefit (£)", "money"),
    Column("case_froi", "Case FROI (£ per £1)", "ratio"),
)
CASE_OUTCOMES = (
    *KEY,
    Column("row", "Row on the CaseOutcomes sheet", "integer", 14),
    Column("case_id", "Case ID", "text"),
    Column("case_row", "Row of its case on Cases", "integer", 11),
    Column("unit_cost_code", "Unit cost code", "text"),
    Column("unit_cost_no", "Row of Unit costs used", "integer"),
    Column("quantity", "Quantity (units avoided)", "number"),
    Column("v_base", "Unit value at base-year prices (£)", "unit_money"),
    Column("benefit", "Benefit (£)", "money"),
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


def write_costed_rows(
    t: Table,
    sheet: str,
    frame: pd.DataFrame,
    total: str,
    model: Model,
    used: Table,
    used_rows: dict[str, int],
) -> None:
    """Cost each row of ``frame`` from its cells on input sheet ``sheet`` (METHOD 3 and 4):
    its row there, its unit cost code and quantity are those cells, its unit cost's row of
    Unit costs used is a MATCH by that code (change the code and the value follows), its
    value at base-year prices is that row's, and column ``total`` is ``quantity x value``."""
    sheet_row = frame["sheet_row"].to_numpy(dtype=np.int64)
    t.numbers("row", sheet_row)
    rows = range(len(frame))
    cell, at = model.inputs.cells(sheet, sheet_row.tolist()), t.refs()
    codes = frame["unit_cost_code"]
    t.formulas("unit_cost_code", cell["unit_cost_code"], codes)
    t.formulas(
        "unit_cost_no",
        [f"MATCH({at['unit_cost_code'][i]},{used.named('code')},0)" for i in rows],
        [used_rows.get(str(c), np.nan) for c in codes],
    )
    t.formulas("quantity", [f"N({cell['quantity'][i]})" for i in rows], frame["quantity"])
    t.formulas(
        "v_base",
        [f"INDEX({used.named('v_base')},{at['unit_cost_no'][i]})" for i in rows],
        frame["v_base"],
    )
    t.formulas(total, [f"{at['quantity'][i]}*{at['v_base'][i]}" for i in rows], frame[total])


def write_usage(
    t: Table, ctx: Context, model: Model, used: Table, used_rows: dict[str, int]
) -> None:
    """Each usage row costed from its ComparisonUsage cells: change the units used or the
    unit cost code there, or a unit cost on UnitCosts, and the costs avoided follow."""
    u = ctx.usage
    keys(t, ctx, u)
    for key in ("group", "agency"):
        t.texts(key, u[key])
    t.numbers("agency_no", agency_numbers(ctx, u))
    write_costed_rows(t, "ComparisonUsage", u, "cost", model, used, used_rows)


def cases_cell(model: Model, field: str, p: int) -> str:
    """A number of project ``p`` on the Projects sheet (blank reads as 0 in ``N``)."""
    return model.inputs.project(field, p)


def write_comparison_agencies(t: Table, ctx: Context, usage: Table, model: Model) -> None:
    a = ctx.comparison_agencies
    p = keys(t, ctx, a)
    projects = ctx.run.projects
    t.texts("agency", a["agency"])
    t.numbers("agency_no", agency_numbers(ctx, a))
    for key in ("intervention_cases", "comparison_cases"):
        t.formulas(
            key,
            [cases_cell(model, key, int(k)) for k in p],
            projects[key].to_numpy(dtype=np.float64)[p],
        )
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


def case_outcome_rows(ctx: Context, reference: ReferenceData) -> pd.DataFrame:
    """The case-level projects' CaseOutcomes rows: their row there, their case's row on
    Cases, value at base-year prices and value (the engine's figures, METHOD 4: quantity x
    value at base-year prices)."""
    run = ctx.run
    outcomes, cases = run.lists["case_outcomes"], run.lists["cases"]
    owner = pd.MultiIndex.from_frame(cases[["_p", "case_id"]]).get_indexer(
        pd.MultiIndex.from_frame(outcomes[["_p", "case_id"]])
    )
    case_rows = sheet_rows(cases).astype(np.float64)
    frame = outcomes.assign(
        sheet_row=sheet_rows(outcomes),
        case_row=np.where(owner >= 0, case_rows[np.maximum(owner, 0)], np.nan)
        if len(case_rows)
        else np.nan,
    )
    frame = frame[ctx.modes[frame["_p"].to_numpy(dtype=np.int64)] == "case_level"]
    codes = [str(c) for c in frame["unit_cost_code"]]
    table, base = run.unit_costs.rows, run.settings.base_year
    value = table["value"].to_dict()
    v_base = {
        code: float(value[code])
        * reference.deflators.factor(str(table.at[code, "price_year"]), base)
        for code in set(codes)
    }
    values = np.array([v_base[c] for c in codes], dtype=np.float64)
    out: pd.DataFrame = frame.reset_index(drop=True).assign(
        v_base=values,
        benefit=frame["quantity"].to_numpy(dtype=np.float64) * values,
    )
    return out


def write_case_outcomes(
    t: Table,
    frame: pd.DataFrame,
    ctx: Context,
    model: Model,
    used: Table,
    used_rows: dict[str, int],
) -> None:
    """Each case outcome valued from its CaseOutcomes cells (see the module docstring)."""
    keys(t, ctx, frame)
    t.texts("case_id", frame["case_id"])
    t.numbers("case_row", frame["case_row"])
    write_costed_rows(t, "CaseOutcomes", frame, "benefit", model, used, used_rows)


def write_cases(
    t: Table, ctx: Context, outcomes: Table | None, model: Model, reference: ReferenceData
) -> None:
    """Each case: cost rebased from its Cases cell, benefit summed from Case outcome values."""
    c = ctx.cases
    p = keys(t, ctx, c)
    t.texts("case_id", c["case_id"])
    t.texts("team", c["team"])
    sheet_row = c["sheet_row"].to_numpy(dtype=np.int64)
    t.numbers("row", sheet_row)
    t.numbers("team_no", c["team_no"])
    rows = range(len(c))
    inputs = model.inputs
    listed = ctx.run.lists["cases"]  # the cost as given, by its row on Cases
    cost_rows = dict(
        zip(
            sheet_rows(listed).tolist(),
            listed["cost"].to_numpy(dtype=np.float64).tolist(),
            strict=True,
        )
    )
    t.formulas(
        "cost_given",
        [f"N({inputs.cell('Cases', 'cost', int(r))})" for r in sheet_row],
        [cost_rows[int(r)] for r in sheet_row],
    )
    base = ctx.run.settings.base_year
    years = ctx.run.projects["case_cost_price_year"].to_numpy(dtype=object)
    price_years = [base if is_blank(years[k]) else str(years[k]) for k in p]
    t.formulas(
        "price_year",
        [
            f"IF(ISBLANK({inputs.project('case_cost_price_year', int(k))}),{model.base_year},"
            f"{inputs.project('case_cost_price_year', int(k))})"
            for k in p
        ],
        price_years,
    )
    factor = reference.deflators.factors(np.array(price_years, dtype=object), base)
    t.formulas("factor", [model.rebasing(t.at("price_year", i)) for i in rows], factor)
    t.formulas("cost", [f"{t.at('cost_given', i)}*{t.at('factor', i)}" for i in rows], c["cost"])
    if outcomes is None:
        t.numbers("benefit", c["benefit"])
    else:
        benefit, no, case = (outcomes.range(k) for k in ("benefit", "no", "case_row"))
        t.formulas(
            "benefit",
            [f"SUMIFS({benefit},{no},{t.at('no', i)},{case},{t.at('row', i)})" for i in rows],
            c["benefit"],
        )
    t.formulas(
        "case_froi",
        [f'IF({t.at("cost", i)}>0,{t.at("benefit", i)}/{t.at("cost", i)},"")' for i in rows],
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


def write_teams(t: Table, ctx: Context, cases: Table, model: Model) -> None:
    f = team_figures(ctx)
    keys(t, ctx, f)
    t.numbers("team_no", f["team_no"])
    t.texts("team", f["team"])
    t.formulas(
        "annual_throughput",
        [
            model.inputs.cell("Teams", "annual_throughput", int(r))
            for r in f["sheet_row"].to_numpy(dtype=np.int64)
        ],
        f["annual_throughput"],
    )
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
