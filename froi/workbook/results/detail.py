"""The long detail tables of the results workbook: one row per item, keyed by project.

Each table has ``Project #`` (the project's position in the run, 1-based) as its first
column and the project's ID beside it.  Formulas find a project's rows with
``SUMIFS(... , Project # range, n)``: a number, because SUMIFS reads text criteria as
patterns (``*``, ``?``, ``~``, leading ``<``, ``>``, ``=``) and ignores case, so keying
on a project ID such as ``A*`` would also sum the rows of ``AB``.  Agencies and teams
are numbered for the same reason (``Agency #``, ``Team #``).  Because every formula
selects rows by key rather than by position, sorting or filtering a table never changes
a figure.

Detail figures are the engine's numbers, written as values; the aggregations over them
(cumulative sums, paid-back flags, totals by type, agency and team, a usage row's cost,
a case's FROI) are formulas with the engine's figures cached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calculator.fields import COST_TYPES

from .cells import Book, Column, Table
from .context import KEY, Context, agency_numbers, keys
from .observed import (
    CASES,
    COMPARISON_AGENCIES,
    TEAMS,
    USAGE,
    write_cases,
    write_comparison_agencies,
    write_teams,
    write_usage,
)

YEARS = (
    *KEY,
    Column("t", "Year (t)", "integer"),
    Column("discount_factor", "Discount factor", "discount_factor"),
    Column("costs", "Net costs (£, real)", "money"),
    Column("fiscal", "Fiscal benefits (£, real)", "money"),
    Column("economic", "Economic benefits (£, real)", "money"),
    Column("social", "Social benefits (£, real)", "money"),
    Column("pv_costs", "Discounted costs (£)", "money"),
    Column("pv_fiscal", "Discounted fiscal benefits (£)", "money"),
    Column("cum_pv_costs", "Cumulative discounted costs (£)", "money"),
    Column("cum_pv_fiscal", "Cumulative discounted fiscal benefits (£)", "money"),
    Column("cumulative_fiscal_net", "Cumulative discounted fiscal net (£)", "money"),
    Column("paid_back", "Paid back (1 = yes)", "integer"),
    Column("cum_costs", "Cumulative net costs, undiscounted (£)", "money"),
    Column("cum_fiscal", "Cumulative fiscal benefits, undiscounted (£)", "money"),
    Column("paid_back_undiscounted", "Paid back, undiscounted (1 = yes)", "integer"),
)
OUTCOMES = (
    *KEY,
    Column("row", "Row on the Outcomes sheet", "integer"),
    Column("description", "Description", "text", 36),
    Column("unit_cost_code", "Unit cost code", "text"),
    Column("outcome_theme", "Outcome theme", "integer"),
    Column("category", "Category", "text"),
    Column("agency", "Agency (who saves)", "text"),
    Column("agency_no", "Agency #", "integer"),
    Column("cashable", "Cashable", "text", 10),
    Column("n", "Net outcomes (n)", "number"),
    Column("v_base", "Unit value at base-year prices (£)", "unit_money"),
    Column("confidence_grade", "Confidence grade", "integer"),
    Column("optimism_bias", "Optimism bias (%)", "percent"),
    Column("pv_fiscal", "PV fiscal benefits (£)", "money"),
    Column("pv_economic", "PV economic benefits (£)", "money"),
    Column("pv_social", "PV social benefits (£)", "money"),
    Column("switching_value", "Switching value of success (%)", "percent"),
)
COSTS = (
    *KEY,
    Column("row", "Row on the Costs sheet", "integer"),
    Column("description", "Description", "text", 36),
    Column("year", "First year (t)", "integer"),
    Column("end_year", "Last year (t)", "integer"),
    Column("years", "Years it applies", "integer"),
    Column("kind", "Kind", "text"),
    Column("cost_type", "Cost type", "text"),
    Column("agency", "Agency (who pays)", "text"),
    Column("agency_no", "Agency #", "integer"),
    Column("unit_cost_code", "Unit cost code", "text"),
    Column("quantity", "Quantity", "number"),
    Column("salary", "Salary (£ a year)", "money"),
    Column("on_costs", "On-costs (%)", "percent"),
    Column("overheads", "Overheads (%)", "percent"),
    Column("productive_hours", "Productive hours a year", "count"),
    Column("unit_value", "Unit value (£)", "unit_money"),
    Column("amount", "Amount at its price year (£)", "money"),
    Column("price_year", "Price year", "text", 10),
    Column("real", "Amount at base-year prices (£)", "money"),
    Column("confidence_grade", "Confidence grade", "integer"),
    Column("optimism_bias", "Optimism bias (%)", "percent"),
    Column("net_cost", "Net cost a year with optimism bias (£; offsets negative)", "money"),
    Column("net_cost_total", "Net cost over its years (£)", "money"),
    Column("real_total", "Real cost over its years, no OB (£; offsets negative)", "money"),
    Column("discount_factor", "Discount factor (sum over its years)", "discount_factor"),
    Column("pv", "Present value (£)", "money"),
    Column("mode", "Project mode", "text", 12),
)
COST_TYPES_COLUMNS = (
    *KEY,
    Column("cost_type", "Cost type", "text", 22),
    Column("net_cost_total", "Net costs, undiscounted (£)", "money"),
    Column("pv", "PV costs (£)", "money"),
)
PROJECT_AGENCIES = (
    *KEY,
    Column("agency", "Agency", "text", 26),
    Column("agency_no", "Agency #", "integer"),
    Column("pv_fiscal", "PV fiscal benefits: saves (£)", "money"),
    Column("pv_fiscal_cashable", "of which cashable (£)", "money"),
    Column("pv_costs", "PV costs: pays (£)", "money"),
    Column("net_fiscal_benefit", "Net fiscal benefit (£)", "money"),
)


@dataclass
class Detail:
    """The detail tables of a run (a table is None when no project reports it)."""

    years: Table | None = None
    outcomes: Table | None = None
    costs: Table | None = None
    cost_types: Table | None = None
    project_agencies: Table | None = None
    usage: Table | None = None
    comparison_agencies: Table | None = None
    cases: Table | None = None
    teams: Table | None = None

    def tables(self) -> list[Table]:
        return [t for t in vars(self).values() if isinstance(t, Table)]


def cost_type_rows(ctx: Context) -> pd.DataFrame:
    """Each project's costs summed by type (``_p``, cost_type, net_cost_total, pv)."""
    frame = ctx.costs.assign(order=ctx.costs["cost_type"].map(COST_TYPES.index))
    sums = frame.groupby(["_p", "order", "cost_type"], sort=True)[["net_cost_total", "pv"]].sum()
    return sums.reset_index().drop(columns="order")


def plan_detail(book: Book, ctx: Context) -> Detail:
    """Size every detail table (no writing yet), so formulas can refer to their ranges."""
    has = set(ctx.modes)
    forecast = bool(has & {"appraisal", "comparison"})
    return Detail(
        years=Table(book, "Years", YEARS, len(ctx.years), freeze_cols=3) if forecast else None,
        outcomes=Table(book, "Outcome values", OUTCOMES, len(ctx.outcomes), freeze_cols=2)
        if "appraisal" in has
        else None,
        costs=Table(book, "Cost rows", COSTS, len(ctx.costs), freeze_cols=2) if forecast else None,
        cost_types=Table(book, "Costs by type", COST_TYPES_COLUMNS, len(cost_type_rows(ctx)))
        if forecast
        else None,
        project_agencies=Table(book, "Project agencies", PROJECT_AGENCIES, len(ctx.agencies))
        if forecast
        else None,
        usage=Table(book, "Service use", USAGE, len(ctx.usage), freeze_cols=2)
        if "comparison" in has
        else None,
        comparison_agencies=Table(
            book, "Comparison by agency", COMPARISON_AGENCIES, len(ctx.comparison_agencies)
        )
        if "comparison" in has
        else None,
        cases=Table(book, "Case results", CASES, len(ctx.cases), freeze_cols=2)
        if "case_level" in has
        else None,
        teams=Table(book, "Case teams", TEAMS, len(ctx.teams)) if len(ctx.teams) else None,
    )


def _write_years(t: Table, ctx: Context) -> None:
    y = ctx.years
    keys(t, ctx, y)
    for column in YEARS[2:10]:  # the engine's year table, as values
        t.numbers(column.key, y[column.key])
    no, tt = t.range("no", local=True), t.range("t", local=True)
    rows = range(len(y))

    def cumulative(source: str) -> list[str | None]:
        src = t.range(source, local=True)
        return [f'SUMIFS({src},{no},{t.at("no", i)},{tt},"<="&{t.at("t", i)})' for i in rows]

    for key, source in (
        ("cum_pv_costs", "pv_costs"),
        ("cum_pv_fiscal", "pv_fiscal"),
        ("cum_costs", "costs"),
        ("cum_fiscal", "fiscal"),
    ):
        t.formulas(key, cumulative(source), y[key])
    t.formulas(
        "cumulative_fiscal_net",
        [f"{t.at('cum_pv_fiscal', i)}-{t.at('cum_pv_costs', i)}" for i in rows],
        y["cumulative_fiscal_net"],
    )
    for flag, fiscal, cost in (
        ("paid_back", "cum_pv_fiscal", "cum_pv_costs"),
        ("paid_back_undiscounted", "cum_fiscal", "cum_costs"),
    ):
        t.formulas(
            flag,
            [f"IF(AND({t.at(fiscal, i)}>={t.at(cost, i)},{t.at(fiscal, i)}>0),1,0)" for i in rows],
            y[flag],
        )


def _write_outcomes(t: Table, ctx: Context) -> None:
    o = ctx.outcomes
    keys(t, ctx, o)
    for key in ("description", "unit_cost_code", "category", "agency"):
        t.texts(key, o[key])
    t.texts("cashable", np.where(o["cashable"].to_numpy(dtype=bool), "yes", "no"))
    t.numbers("agency_no", agency_numbers(ctx, o))
    for column in OUTCOMES:
        if column.style != "text" and column.key not in ("no", "agency_no"):
            t.numbers(column.key, o["sheet_row" if column.key == "row" else column.key])


def _write_costs(t: Table, ctx: Context) -> None:
    c = ctx.costs
    p = keys(t, ctx, c)
    t.texts("mode", ctx.modes[p])
    rows = range(len(c))
    t.formulas("years", [f"{t.at('end_year', i)}-{t.at('year', i)}+1" for i in rows], c["years"])
    t.formulas(
        "net_cost_total",
        [f"{t.at('net_cost', i)}*{t.at('years', i)}" for i in rows],
        c["net_cost_total"],
    )
    t.formulas(
        "real_total",
        [f'IF({t.at("kind", i)}="offset",-1,1)*{t.at("real", i)}*{t.at("years", i)}' for i in rows],
        c["real_total"],
    )
    for col in COSTS[2:]:
        if col.key in ("years", "net_cost_total", "real_total", "mode"):
            continue
        if col.key == "agency_no":
            t.numbers("agency_no", agency_numbers(ctx, c))
        elif col.style == "text":
            t.texts(col.key, c[col.key])
        else:
            t.numbers(col.key, c["sheet_row" if col.key == "row" else col.key])


def _write_cost_types(t: Table, ctx: Context, costs: Table) -> None:
    sums = cost_type_rows(ctx)
    keys(t, ctx, sums)
    t.texts("cost_type", sums["cost_type"])
    no, kind = costs.range("no"), costs.range("cost_type")
    for key in ("net_cost_total", "pv"):
        source = costs.range(key)
        t.formulas(
            key,
            [
                f'SUMIFS({source},{no},{t.at("no", i)},{kind},"{k}")'
                for i, k in enumerate(sums["cost_type"])
            ],
            sums[key],
        )


def _write_project_agencies(t: Table, ctx: Context, detail: Detail) -> None:
    a = ctx.agencies
    keys(t, ctx, a)
    t.texts("agency", a["agency"])
    t.numbers("agency_no", agency_numbers(ctx, a))
    rows = range(len(a))

    def by_agency(source: Table, key: str, extra: str = "") -> list[str | None]:
        s, no, ag = source.range(key), source.range("no"), source.range("agency_no")
        return [
            f"SUMIFS({s},{no},{t.at('no', i)},{ag},{t.at('agency_no', i)}{extra})" for i in rows
        ]

    o = detail.outcomes
    if o is None:  # no appraisal project: nobody saves anything in this run
        t.numbers("pv_fiscal", a["pv_fiscal"])
        t.numbers("pv_fiscal_cashable", a["pv_fiscal_cashable"])
    else:
        t.formulas("pv_fiscal", by_agency(o, "pv_fiscal"), a["pv_fiscal"])
        cashable = f',{o.range("cashable")},"yes"'
        t.formulas(
            "pv_fiscal_cashable", by_agency(o, "pv_fiscal", cashable), a["pv_fiscal_cashable"]
        )
    assert detail.costs is not None  # agencies exist only with forecast projects
    t.formulas("pv_costs", by_agency(detail.costs, "pv"), a["pv_costs"])
    t.formulas(
        "net_fiscal_benefit",
        [f"{t.at('pv_fiscal', i)}-{t.at('pv_costs', i)}" for i in rows],
        a["net_fiscal_benefit"],
    )


def write_detail(detail: Detail, ctx: Context) -> None:
    """Fill every planned detail table and finish it (table, widths, frozen header)."""
    if detail.years is not None:
        _write_years(detail.years, ctx)
    if detail.outcomes is not None:
        _write_outcomes(detail.outcomes, ctx)
    if detail.costs is not None:
        _write_costs(detail.costs, ctx)
        if detail.cost_types is not None:
            _write_cost_types(detail.cost_types, ctx, detail.costs)
    if detail.project_agencies is not None:
        _write_project_agencies(detail.project_agencies, ctx, detail)
    if detail.usage is not None:
        write_usage(detail.usage, ctx)
        if detail.comparison_agencies is not None:
            write_comparison_agencies(detail.comparison_agencies, ctx, detail.usage)
    if detail.cases is not None:
        write_cases(detail.cases, ctx)
        if detail.teams is not None:
            write_teams(detail.teams, ctx, detail.cases)
    for table in detail.tables():
        table.finish()
