"""The long detail tables of the results workbook: one row per item, keyed by project.

Each table has ``Project #`` (the project's position in the run, 1-based) as its first
column and the project's ID beside it.  Formulas find a project's rows with
``SUMIFS(... , Project # range, n)``: a number, because SUMIFS reads text criteria as
patterns (``*``, ``?``, ``~``, leading ``<``, ``>``, ``=``) and ignores case, so keying
on a project ID such as ``A*`` would also sum the rows of ``AB``.  Agencies and teams
are numbered for the same reason (``Agency #``, ``Team #``).  Because every formula
selects rows by key rather than by position, sorting or filtering a table never changes
a figure.

Every figure is a formula over the workbook's input and reference sheets (:mod:`.live`;
the observed designs in :mod:`.observed`), cached with the engine's figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calculator.appraisal import appraise
from calculator.fields import COST_TYPES
from calculator.reference import ReferenceData

from .cells import Book, Column, Table, is_blank
from .context import KEY, Context, agency_numbers, keys
from .live import Model, financial_year, schedule_rows
from .observed import (
    CASE_OUTCOMES,
    CASES,
    COMPARISON_AGENCIES,
    TEAMS,
    USAGE,
    case_outcome_rows,
    write_case_outcomes,
    write_cases,
    write_comparison_agencies,
    write_teams,
    write_usage,
)

YEARS = (
    *KEY,
    Column("t", "Year (t)", "integer"),
    Column("financial_year", "Financial year", "text", 10),
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
    Column("first_paid_back", "Payback year (1 = the first paid back)", "integer"),
    Column("cum_costs", "Cumulative net costs, undiscounted (£)", "money"),
    Column("cum_fiscal", "Cumulative fiscal benefits, undiscounted (£)", "money"),
    Column("paid_back_undiscounted", "Paid back, undiscounted (1 = yes)", "integer"),
    Column("first_paid_back_undiscounted", "Payback year, undiscounted (1 = the first)", "integer"),
)
OUTCOMES_HEAD = (
    *KEY,
    Column("row", "Row on the Outcomes sheet", "integer"),
    Column("description", "Description", "text", 36),
    Column("unit_cost_code", "Unit cost code", "text"),
    Column("outcome_theme", "Outcome theme", "integer"),
    Column("unit_cost_no", "Row of Unit costs used", "integer"),
    Column("category", "Category", "text"),
    Column("agency", "Agency (who saves)", "text"),
    Column("agency_no", "Agency #", "integer"),
    Column("cashable", "Cashable", "text", 10),
    Column("n", "Net outcomes (n)", "number"),
    Column("v_base", "Unit value at base-year prices (£)", "unit_money"),
    Column("confidence_grade", "Confidence grade", "integer"),
    Column("optimism_bias", "Optimism bias (%)", "percent"),
    Column("discount", "Discount (schedule or rate)", "general", 12),
    Column("schedule_row", "Schedule row (0 = flat rate)", "integer"),
    Column("first_year", "First benefit year b (cohort year + lag)", "integer"),
    Column("end_year", "Benefits end before year (b + duration)", "integer"),
    Column("retained", "Share kept each later year (1 - drop-off)", "percent"),
    Column("yearly", "Benefit a year at full level, after OB (£)", "money"),
)
OUTCOMES_TAIL = (
    Column("pv_fiscal", "PV fiscal benefits (£)", "money"),
    Column("pv_economic", "PV economic benefits (£)", "money"),
    Column("pv_social", "PV social benefits (£)", "money"),
    Column("switching_value", "Switching value of success (%)", "percent"),
)


def outcome_columns(years: int) -> tuple[Column, ...]:
    """Outcome values' columns: the row's figures, B(t) and DF(t) B(t) for each year, PVs."""
    return (
        *OUTCOMES_HEAD,
        *(Column(f"b{t}", f"Benefit B(t), t = {t} (£, real)", "money") for t in range(years)),
        *(Column(f"d{t}", f"Discounted benefit, t = {t} (£)", "money") for t in range(years)),
        *OUTCOMES_TAIL,
    )


OUTCOMES = outcome_columns(5)  # the default appraisal period, for readers of the layout
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
    Column("unit_cost_no", "Row of Unit costs used (0 = none)", "integer"),
    Column("unit_value", "Unit value (£; staff: salary build-up)", "unit_money"),
    Column("amount", "Amount a year at its price year (£)", "money"),
    Column("price_year", "Price year", "text", 10),
    Column("factor", "Rebasing factor D(base)/D(price year)", "factor"),
    Column("real", "Amount a year at base-year prices (£)", "money"),
    Column("confidence_grade", "Confidence grade", "integer"),
    Column("optimism_bias", "Optimism bias (%)", "percent"),
    Column("net_cost", "Net cost a year with optimism bias (£; offsets negative)", "money"),
    Column("net_cost_total", "Net cost over its years (£)", "money"),
    Column("real_total", "Real cost over its years, no OB (£; offsets negative)", "money"),
    Column("discount", "Project's discount (schedule or rate)", "general", 12),
    Column("schedule_row", "Schedule row (0 = flat rate)", "integer"),
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
    case_outcomes: Table | None = None
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
        outcomes=Table(
            book,
            "Outcome values",
            outcome_columns(ctx.run.settings.appraisal_years),
            len(ctx.outcomes),
            freeze_cols=2,
        )
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
        case_outcomes=Table(
            book,
            "Case outcome values",
            CASE_OUTCOMES,
            int(
                (
                    ctx.modes[ctx.run.lists["case_outcomes"]["_p"].to_numpy(np.int64)]
                    == "case_level"
                ).sum()
            ),
            freeze_cols=2,
        )
        if "case_level" in has
        else None,
        teams=Table(book, "Case teams", TEAMS, len(ctx.teams)) if len(ctx.teams) else None,
    )


@dataclass(frozen=True)
class Live:
    """What the live formulas need beyond the context: the model's addresses
    (:mod:`.live`), the tables they look in, and the engine's row-by-year figures that
    the formulas' cached values are (so the file opens showing the engine's numbers)."""

    model: Model
    reference: ReferenceData
    summary: Table
    used: Table  # Unit costs used
    used_rows: dict[str, int]  # code -> its row of Unit costs used (1-based)
    benefits: np.ndarray  # B(t) of ctx.outcomes' rows, rows x years
    discounted: np.ndarray  # DF(t) B(t)
    outcome_discount: np.ndarray  # the discount in force for each outcome row
    cost_discount: np.ndarray  # ... for each cost row (its project's)


def live_figures(
    ctx: Context,
    reference: ReferenceData,
    model: Model,
    summary: Table,
    used: Table,
    used_codes: list[str],
) -> Live:
    """The engine's row-by-year figures of the run (calculator.appraisal, as computed)."""
    run = ctx.run
    a = appraise(run, reference)
    modes = ctx.modes
    keep_o = modes[run.lists["outcomes"]["_p"].to_numpy(dtype=np.int64)] == "appraisal"
    keep_c = np.isin(
        modes[run.lists["costs"]["_p"].to_numpy(dtype=np.int64)], ["appraisal", "comparison"]
    )
    project = run.projects["discount"].to_numpy(dtype=object)
    setting = run.settings.discount
    in_force = np.array([setting if is_blank(d) else d for d in project], dtype=object)
    own = run.lists["outcomes"]["discount"].to_numpy(dtype=object)
    op = run.lists["outcomes"]["_p"].to_numpy(dtype=np.int64)
    outcome_discount = np.array(
        [in_force[p] if is_blank(d) else d for d, p in zip(own, op, strict=True)], dtype=object
    )
    cp = run.lists["costs"]["_p"].to_numpy(dtype=np.int64)
    return Live(
        model=model,
        reference=reference,
        summary=summary,
        used=used,
        used_rows={code: k for k, code in enumerate(used_codes, start=1)},
        benefits=a.outcomes.benefits[keep_o],
        discounted=a.outcomes.discounted[keep_o],
        outcome_discount=outcome_discount[keep_o],
        cost_discount=in_force[cp][keep_c],
    )


def _write_years(t: Table, ctx: Context, d: Detail, live: Live) -> None:
    """Each project's years, every figure a formula over Cost rows and Outcome values."""
    y = ctx.years
    m = live.model
    p = keys(t, ctx, y)
    years = y["t"].to_numpy(dtype=np.int64)
    t.numbers("t", years)
    rows = range(len(y))
    base = ctx.run.settings.base_year
    t.formulas(
        "financial_year",
        [m.financial_year(t.at("t", i)) for i in rows],
        [financial_year(base, int(k)) for k in years],
    )
    names = m.schedule_names

    def factor(i: int) -> str:
        disc, k = m.project_discount(int(p[i])), int(years[i])
        return (
            f"IF(ISNUMBER({disc}),1/(1+{disc})^{k},"
            f"INDEX({m.factor_columns[k]},MATCH({disc},{names},0)))"
        )

    t.formulas("discount_factor", [factor(i) for i in rows], y["discount_factor"])
    assert d.costs is not None  # years exist only for projects with cost rows
    c = d.costs
    no_c, first_c, last_c, net_c = (c.named(k) for k in ("no", "year", "end_year", "net_cost"))
    t.formulas(
        "costs",
        [
            f'SUMIFS({net_c},{no_c},{t.at("no", i)},{first_c},"<="&{t.at("t", i)},'
            f'{last_c},">="&{t.at("t", i)})'
            for i in rows
        ],
        y["costs"],
    )
    o = d.outcomes
    if o is None:  # no appraisal project: no benefits in any year
        for key in ("fiscal", "economic", "social", "pv_fiscal"):
            t.numbers(key, y[key])
    else:
        no_o, cat_o = o.named("no"), o.named("category")
        for key, prefix in (
            ("fiscal", "b"),
            ("economic", "b"),
            ("social", "b"),
            ("pv_fiscal", "d"),
        ):
            category = "fiscal" if key == "pv_fiscal" else key
            ranges = [o.named(f"{prefix}{k}") for k in range(m.years)]
            t.formulas(
                key,
                [
                    f'SUMIFS({ranges[years[i]]},{no_o},{t.at("no", i)},{cat_o},"{category}")'
                    for i in rows
                ],
                y[key],
            )
    t.formulas(
        "pv_costs",
        [f"{t.at('discount_factor', i)}*{t.at('costs', i)}" for i in rows],
        y["pv_costs"],
    )
    no, tt = t.range("no", local=True), t.range("t", local=True)

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
    for flag, first, fiscal, cost in (
        ("paid_back", "first_paid_back", "cum_pv_fiscal", "cum_pv_costs"),
        ("paid_back_undiscounted", "first_paid_back_undiscounted", "cum_fiscal", "cum_costs"),
    ):
        t.formulas(
            flag,
            [f"IF(AND({t.at(fiscal, i)}>={t.at(cost, i)},{t.at(fiscal, i)}>0),1,0)" for i in rows],
            y[flag],
        )
        # the payback year is the first paid-back year: no earlier year of the project
        # paid back (COUNTIFS, so Excel 2010 needs no MINIFS)
        flags = t.range(flag, local=True)
        t.formulas(
            first,
            [
                f'IF(AND({t.at(flag, i)}=1,COUNTIFS({no},{t.at("no", i)},{tt},"<"&{t.at("t", i)},'
                f"{flags},1)=0),1,0)"
                for i in rows
            ],
            y[first],
        )


def _write_outcomes(t: Table, ctx: Context, live: Live) -> None:
    """Each outcome row valued from its inputs (METHOD 2.2), every figure a formula."""
    o = ctx.outcomes
    m, used = live.model, live.used
    inputs = m.inputs
    p = keys(t, ctx, o)
    sheet_row = o["sheet_row"].to_numpy(dtype=np.int64)
    t.numbers("row", sheet_row)
    t.texts("description", o["description"])
    t.numbers("outcome_theme", o["outcome_theme"])
    t.texts("agency", o["agency"])
    t.numbers("agency_no", agency_numbers(ctx, o))
    rows = range(len(o))
    cell = inputs.cells("Outcomes", sheet_row.tolist())
    at = t.refs()

    t.formulas("unit_cost_code", cell["unit_cost_code"], o["unit_cost_code"])
    codes = used.named("code")
    t.formulas(
        "unit_cost_no",
        [f"MATCH({at['unit_cost_code'][i]},{codes},0)" for i in rows],
        [live.used_rows.get(str(c), np.nan) for c in o["unit_cost_code"]],
    )

    def of_unit_cost(key: str) -> list[str | None]:
        return [f"INDEX({used.named(key)},{at['unit_cost_no'][i]})" for i in rows]

    t.formulas("category", of_unit_cost("category"), o["category"])
    t.formulas(
        "cashable",
        of_unit_cost("cashable"),
        np.where(o["cashable"].to_numpy(dtype=bool), "yes", "no"),
    )
    t.formulas("v_base", of_unit_cost("v_base"), o["v_base"])

    def given(field: str, i: int, default: float) -> str:
        x = cell[field][i]
        return f"N({x})" if default == 0 else f"IF(ISBLANK({x}),{default!r},{x})"

    t.formulas(
        "n",
        [
            f"{cell['cohort'][i]}*{given('engagement', i, 1)}*{cell['success'][i]}"
            f"*(1-{given('deadweight', i, 0)})*(1-{given('displacement', i, 0)})"
            f"*{given('attribution', i, 1)}"
            for i in rows
        ],
        o["n"],
    )
    grade_of_table = of_unit_cost("confidence_grade")
    t.formulas(
        "confidence_grade",
        [
            f"IF(ISNUMBER({cell['confidence_grade'][i]}),{cell['confidence_grade'][i]},"
            f"IF(ISNUMBER({grade_of_table[i]}),{grade_of_table[i]},6))"
            for i in rows
        ],
        o["confidence_grade"],
    )
    t.formulas("optimism_bias", [m.ob(at["confidence_grade"][i]) for i in rows], o["optimism_bias"])
    t.formulas(
        "discount",
        [
            f"IF(ISBLANK({cell['discount'][i]}),{m.project_discount(int(p[i]))},"
            f"{cell['discount'][i]})"
            for i in rows
        ],
        live.outcome_discount,
    )
    t.formulas(
        "schedule_row",
        [m.schedule_row(at["discount"][i]) for i in rows],
        schedule_rows(live.outcome_discount, m.schedules),
    )
    source = ctx.run.lists["outcomes"].iloc[o["_source"].to_numpy(dtype=np.int64)]
    t.formulas(
        "first_year",
        [f"{given('cohort_year', i, 0)}+{given('lag', i, 0)}" for i in rows],
        source[["cohort_year", "lag"]].fillna(0.0).sum(axis=1).to_numpy(),
    )
    quantity = source["quantity"].fillna(1.0).to_numpy()
    yearly = (
        o["n"].to_numpy() * quantity * o["v_base"].to_numpy() * (1 - o["optimism_bias"].to_numpy())
    )
    t.formulas(
        "yearly",
        [
            f"{at['n'][i]}*{given('quantity', i, 1)}*{at['v_base'][i]}*(1-{at['optimism_bias'][i]})"
            for i in rows
        ],
        yearly,
    )
    t.formulas(
        "end_year",
        [f"{at['first_year'][i]}+{given('duration', i, 1)}" for i in rows],
        (
            source[["cohort_year", "lag"]].fillna(0.0).sum(axis=1) + source["duration"].fillna(1.0)
        ).to_numpy(),
    )
    t.formulas(
        "retained",
        [f"1-{given('drop_off', i, 0)}" for i in rows],
        1.0 - source["drop_off"].fillna(0.0).to_numpy(),
    )
    b, e, r, yr = at["first_year"], at["end_year"], at["retained"], at["yearly"]
    for k in range(m.years):  # f(t) = (1 - drop_off)^(t - b) for b <= t < b + duration
        t.formulas(
            f"b{k}",
            [
                f"IF(AND({k}>={b[i]},{k}<{e[i]}),IF({k}={b[i]},{yr[i]},{yr[i]}*{r[i]}^({k}-{b[i]})),0)"
                for i in rows
            ],
            live.benefits[:, k],
        )
    for k in range(m.years):
        bk = at[f"b{k}"]
        t.formulas(
            f"d{k}",
            [f"{bk[i]}*{m.factor(at['discount'][i], at['schedule_row'][i], k)}" for i in rows],
            live.discounted[:, k],
        )
    first, last = t.letter("d0"), t.letter(f"d{m.years - 1}")
    spans = [f"${first}{t.row(i) + 1}:${last}{t.row(i) + 1}" for i in rows]
    for category in ("fiscal", "economic", "social"):
        t.formulas(
            f"pv_{category}",
            [f'IF({at["category"][i]}="{category}",SUM({spans[i]}),0)' for i in rows],
            o[f"pv_{category}"],
        )
    s = live.summary
    s_no = s.named("no")

    def of_project(key: str, i: int) -> str:
        return f"INDEX({s.named(key)},MATCH({at['no'][i]},{s_no},0))"

    def switching(i: int) -> str:
        f_o, costs = at["pv_fiscal"][i], of_project("pv_costs", i)
        s_star = f"{cell['success'][i]}*({costs}-({of_project('pv_fiscal', i)}-{f_o}))/{f_o}"
        return f'IF(OR({f_o}=0,N({costs})<=0),"",IF(ABS({s_star}-0.5)<=0.5,{s_star},""))'

    t.formulas("switching_value", [switching(i) for i in rows], o["switching_value"])


def _write_costs(t: Table, ctx: Context, live: Live) -> None:
    """Each cost row costed from its inputs (METHOD 2.1), every figure a formula."""
    c = ctx.costs
    m, used = live.model, live.used
    inputs = m.inputs
    p = keys(t, ctx, c)
    t.texts("mode", ctx.modes[p])
    sheet_row = c["sheet_row"].to_numpy(dtype=np.int64)
    t.numbers("row", sheet_row)
    t.texts("description", c["description"])
    t.texts("agency", c["agency"])
    t.numbers("agency_no", agency_numbers(ctx, c))
    rows = range(len(c))
    cell = inputs.cells("Costs", sheet_row.tolist())
    at = t.refs()

    t.formulas("year", cell["year"], c["year"])
    t.formulas(
        "end_year",
        [
            f"IF(ISNUMBER({cell['end_year'][i]}),{cell['end_year'][i]},{cell['year'][i]})"
            for i in rows
        ],
        c["end_year"],
    )
    t.formulas("years", [f"{at['end_year'][i]}-{at['year'][i]}+1" for i in rows], c["years"])
    t.formulas("kind", cell["kind"], c["kind"])
    t.formulas("cost_type", cell["cost_type"], c["cost_type"])
    codes = used.named("code")
    t.formulas(
        "unit_cost_code",
        [f'IF(ISBLANK({x}),"",{x})' for x in cell["unit_cost_code"]],
        c["unit_cost_code"].fillna(""),
    )
    t.formulas(
        "unit_cost_no",
        [
            f'IF({at["unit_cost_code"][i]}="",0,MATCH({at["unit_cost_code"][i]},{codes},0))'
            for i in rows
        ],
        [0 if is_blank(x) else live.used_rows.get(str(x), np.nan) for x in c["unit_cost_code"]],
    )
    uc = at["unit_cost_no"]

    def of_unit_cost(key: str, i: int) -> str:
        return f"INDEX({used.named(key)},{uc[i]})"

    def staff(i: int) -> str:
        salary, hours = cell["salary"][i], cell["productive_hours"][i]
        return (
            f"{salary}*(1+N({cell['on_costs'][i]}))*(1+N({cell['overheads'][i]}))"
            f"/IF(ISNUMBER({hours}),{hours},1)"
        )

    t.formulas(
        "unit_value",
        [
            f"IF(ISNUMBER({cell['salary'][i]}),{staff(i)},"
            f'IF({uc[i]}>0,{of_unit_cost("value", i)},""))'
            for i in rows
        ],
        c["unit_value"],
    )
    t.formulas(
        "amount",
        [
            f"IF(ISNUMBER({at['unit_value'][i]}),IF(ISNUMBER({cell['quantity'][i]}),"
            f"{cell['quantity'][i]},1)*{at['unit_value'][i]},{cell['amount'][i]})"
            for i in rows
        ],
        c["amount"],
    )
    base = m.base_year
    t.formulas(
        "price_year",
        [
            f"IF({uc[i]}>0,{of_unit_cost('price_year', i)},"
            f"IF(ISBLANK({cell['price_year'][i]}),{base},{cell['price_year'][i]}))"
            for i in rows
        ],
        c["price_year"],
    )
    factors = c["real"].to_numpy() / c["amount"].to_numpy()
    t.formulas("factor", [m.rebasing(at["price_year"][i]) for i in rows], factors)
    t.formulas("real", [f"{at['amount'][i]}*{at['factor'][i]}" for i in rows], c["real"])
    t.formulas(
        "confidence_grade",
        [
            f"IF(ISNUMBER({cell['confidence_grade'][i]}),{cell['confidence_grade'][i]},"
            f"IF({uc[i]}>0,IF(ISNUMBER({of_unit_cost('confidence_grade', i)}),"
            f"{of_unit_cost('confidence_grade', i)},1),1))"
            for i in rows
        ],
        c["confidence_grade"],
    )
    t.formulas("optimism_bias", [m.ob(at["confidence_grade"][i]) for i in rows], c["optimism_bias"])
    t.formulas(
        "net_cost",
        [
            f'IF({at["kind"][i]}="offset",-{at["real"][i]}*(1-{at["optimism_bias"][i]}),'
            f"{at['real'][i]}*(1+{at['optimism_bias'][i]}))"
            for i in rows
        ],
        c["net_cost"],
    )
    t.formulas(
        "net_cost_total",
        [f"{at['net_cost'][i]}*{at['years'][i]}" for i in rows],
        c["net_cost_total"],
    )
    t.formulas(
        "real_total",
        [f'IF({at["kind"][i]}="offset",-1,1)*{at["real"][i]}*{at["years"][i]}' for i in rows],
        c["real_total"],
    )
    t.formulas("discount", [m.project_discount(int(p[i])) for i in rows], live.cost_discount)
    t.formulas(
        "schedule_row",
        [m.schedule_row(at["discount"][i]) for i in rows],
        schedule_rows(live.cost_discount, m.schedules),
    )
    t.formulas(
        "discount_factor",
        [
            m.factor_sum(at["discount"][i], at["schedule_row"][i], at["year"][i], at["end_year"][i])
            for i in rows
        ],
        c["discount_factor"],
    )
    t.formulas("pv", [f"{at['net_cost'][i]}*{at['discount_factor'][i]}" for i in rows], c["pv"])


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


def write_detail(detail: Detail, ctx: Context, live: Live) -> None:
    """Fill every planned detail table and finish it (table, widths, frozen header)."""
    if detail.years is not None:
        _write_years(detail.years, ctx, detail, live)
    if detail.outcomes is not None:
        _write_outcomes(detail.outcomes, ctx, live)
    if detail.costs is not None:
        _write_costs(detail.costs, ctx, live)
        if detail.cost_types is not None:
            _write_cost_types(detail.cost_types, ctx, detail.costs)
    if detail.project_agencies is not None:
        _write_project_agencies(detail.project_agencies, ctx, detail)
    if detail.usage is not None:
        write_usage(detail.usage, ctx, live.model, live.used, live.used_rows)
        if detail.comparison_agencies is not None:
            write_comparison_agencies(detail.comparison_agencies, ctx, detail.usage, live.model)
    if detail.case_outcomes is not None:
        frame = case_outcome_rows(ctx, live.reference)
        write_case_outcomes(detail.case_outcomes, frame, ctx, live.model, live.used, live.used_rows)
    if detail.cases is not None:
        write_cases(detail.cases, ctx, detail.case_outcomes, live.model, live.reference)
        if detail.teams is not None:
            write_teams(detail.teams, ctx, detail.cases, live.model)
    for table in detail.tables():
        table.finish()
