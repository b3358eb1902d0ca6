"""The Summary sheet (a row per project) and the portfolio Agencies sheet.

Every headline figure on Summary is a live formula over the detail tables, written with
the engine's figure as its cached value, so a person can click a cell and follow it:
``PV costs = SUMIFS(Years discounted costs, Years Project #, this project's #)``, FROI
``= IF(PV costs > 0, PV fiscal / PV costs, "")`` and so on down METHOD.  Inputs (case
counts, participants, the service's running cost, throughput and margin of error) are
read from the project's row of the Projects sheet, so changing them there moves the
figures; only the bootstrap interval (a resampling, not a formula) is a value, and its
header says so.  A figure a mode does not report (engine.NOT_REPORTED) is left empty.

Ratios follow METHOD 2.3: blank ("") when the denominator is not positive.  ``N(x)``
guards each comparison with a number, because in Excel the empty text "" compares as
greater than every number.

A run with warnings shows them above the table, before any figure is read: each with
its cell (``Outcomes!X1: column 'notes' is not an input field...``), or, past
:data:`WARNINGS_SHOWN`, their count with a link to the Warnings sheet.  The table then
starts lower; every formula finds its cells through the table, so none changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from calculator.appraisal import VFM_BANDS, VFM_EDGES
from calculator.engine import NOT_REPORTED, SUMMARY_COLUMNS
from calculator.errors import Problem

from .cells import Book, Column, Table
from .context import COMPARISON, INTERVENTION, Context
from .detail import Detail
from .live import Model

SUMMARY = (
    Column("no", "Project #", "integer"),
    Column("project_id", "Project ID", "text"),
    Column("name", "Name", "text"),
    Column("organisation", "Organisation", "text"),
    Column("mode", "Mode", "text", 12),
    Column("participants", "Participants", "count"),
    Column("pv_costs", "PV costs (£)", "money"),
    Column("pv_fiscal", "PV fiscal benefits (£)", "money"),
    Column("pv_economic", "PV economic benefits (£)", "money"),
    Column("pv_social", "PV social benefits (£)", "money"),
    Column("pv_benefits", "PV all benefits (£)", "money"),
    Column("froi", "FROI (£ per £1)", "ratio"),
    Column("economic_roi", "Economic ROI (£ per £1)", "ratio"),
    Column("public_value_roi", "Public value ROI (£ per £1)", "ratio"),
    Column("net_fiscal_benefit", "Net fiscal benefit (£)", "money"),
    Column("npv", "NPV (£)", "money"),
    Column("payback_year", "Payback year (t)", "integer"),
    Column("payback_year_undiscounted", "Payback year, undiscounted (t)", "integer"),
    Column("pv_fiscal_cashable", "PV fiscal benefits, cashable (£)", "money"),
    Column("pv_fiscal_non_cashable", "PV fiscal benefits, non-cashable (£)", "money"),
    Column("value_for_money_band", "Value for money band", "text", 12),
    Column("cost_per_participant", "PV costs per participant (£)", "money"),
    Column("fiscal_benefit_per_participant", "PV fiscal benefits per participant (£)", "money"),
    Column("net_fiscal_benefit_per_participant", "Net fiscal benefit per participant (£)", "money"),
    Column("intervention_cases", "Intervention cases", "count"),
    Column("comparison_cases", "Comparison cases", "count"),
    Column("cost_per_case_intervention", "Service cost per case, intervention (£)", "money"),
    Column("cost_per_case_comparison", "Service cost per case, comparison (£)", "money"),
    Column("costs_avoided_per_case", "Costs avoided per case (£)", "money"),
    Column("delivery_cost_per_case", "Delivery cost per case (£)", "money"),
    Column("net_saving_per_case", "Net saving per case (£)", "money"),
    Column("costs_avoided_total", "Costs avoided, total (£)", "money"),
    Column("delivery_cost_total", "Delivery cost, total (£)", "money"),
    Column("net_saving_total", "Net saving, total (£)", "money"),
    Column("cases", "Cases", "count"),
    Column("total_case_benefits", "Benefits of the cases (£)", "money"),
    Column("total_case_costs", "Costs of the cases (£)", "money"),
    Column("observed_froi", "Observed FROI (£ per £1)", "ratio"),
    Column(
        "observed_froi_interval_low",
        "Observed FROI, 2.5th percentile (£ per £1; bootstrap value)",
        "ratio",
        12,
    ),
    Column(
        "observed_froi_interval_high",
        "Observed FROI, 97.5th percentile (£ per £1; bootstrap value)",
        "ratio",
        12,
    ),
    Column("mean_benefit_per_case", "Mean benefit per case (£)", "money"),
    Column("mean_cost_per_case", "Mean cost per case (£)", "money"),
    Column("annual_running_cost", "Annual running cost (£)", "money"),
    Column("annual_throughput", "Annual throughput (cases)", "count"),
    Column("projected_annual_benefits", "Projected annual benefits (£)", "money"),
    Column("projected_annual_froi", "Projected annual FROI (£ per £1)", "ratio"),
    Column("sample_confidence_level", "Sample confidence level (%)", "percent"),
)
#: Summary figures that are a resampling (the bootstrap), written as values, not formulas.
VALUE_KEYS = ("observed_froi_interval_low", "observed_froi_interval_high")
#: Summary figures that are inputs, read from the project's Projects cells by formulas.
INPUT_KEYS = ("participants", "intervention_cases", "comparison_cases", "annual_throughput")
TEXT_KEYS = ("project_id", "name", "organisation", "mode")
assert [c.key for c in SUMMARY[1:]] == list(SUMMARY_COLUMNS), "Summary must follow the engine"

AGENCIES_KEY = (Column("agency", "Agency", "text", 28), Column("agency_no", "Agency #", "integer"))
#: Comparison projects' columns, first when the run has any: costs avoided are the
#: headline of that design (METHOD 3), set against the delivery cost each agency bears.
AGENCIES_COMPARISON = (
    Column("costs_avoided_total", "Costs avoided against comparison groups (£)", "money"),
    Column("delivery_cost_total", "Delivery cost of comparison projects (£, real, no OB)", "money"),
    Column("net_saving_total", "Net saving against comparison groups (£)", "money"),
)
#: Appraisal projects' columns: who saves (PV fiscal benefits) and who pays (PV costs).
AGENCIES_APPRAISAL = (
    Column("pv_fiscal", "PV fiscal benefits: saves (£)", "money"),
    Column("pv_fiscal_cashable", "of which cashable (£)", "money"),
    Column("pv_costs", "PV costs: pays (£)", "money"),
    Column("net_fiscal_benefit", "Net fiscal benefit (£)", "money"),
)


def band_formula(ratio: str) -> str:
    """METHOD 2.3's value-for-money band of the ratio in cell ``ratio`` ("" when blank)."""
    inner = f'"{VFM_BANDS[-1]}"'
    for edge, band in zip(VFM_EDGES[::-1], VFM_BANDS[-2::-1], strict=True):
        inner = f'IF({ratio}<{float(edge)!r},"{band}",{inner})'
    return f'IF(ISNUMBER({ratio}),{inner},"")'


def _per(value: str, count: str) -> str:
    return f'IF(N({count})>0,{value}/{count},"")'


def _both(a: str, b: str, expr: str) -> str:
    return f'IF(OR({a}="",{b}=""),"",{expr})'


def _appraisal(at: Callable[[str], str], d: Detail) -> dict[str, str]:
    assert d.years is not None and d.outcomes is not None
    y, o, no = d.years, d.outcomes, at("no")
    costs, fiscal, econ = at("pv_costs"), at("pv_fiscal"), at("pv_economic")

    def payback(flag: str) -> str:
        # the year marked as the first paid back (Years), so no MINIFS (Excel 2019+)
        where = f"{y.range('no')},{no},{y.range('first_' + flag)},1"
        return f'IF(COUNTIFS({where})=0,"",SUMIFS({y.range("t")},{where}))'

    return {
        "pv_costs": f"SUMIFS({y.range('pv_costs')},{y.range('no')},{no})",
        **{
            f"pv_{c}": f"SUMIFS({o.range(f'pv_{c}')},{o.range('no')},{no})"
            for c in ("fiscal", "economic", "social")
        },
        "pv_benefits": f"{fiscal}+{econ}+{at('pv_social')}",
        "froi": _per(fiscal, costs),
        "economic_roi": _per(f"({fiscal}+{econ})", costs),
        "public_value_roi": _per(at("pv_benefits"), costs),
        "net_fiscal_benefit": f"{fiscal}-{costs}",
        "npv": f"{at('pv_benefits')}-{costs}",
        "payback_year": payback("paid_back"),
        "payback_year_undiscounted": payback("paid_back_undiscounted"),
        "pv_fiscal_cashable": (
            f'SUMIFS({o.range("pv_fiscal")},{o.range("no")},{no},{o.range("cashable")},"yes")'
        ),
        "pv_fiscal_non_cashable": f"{fiscal}-{at('pv_fiscal_cashable')}",
        "value_for_money_band": band_formula(at("public_value_roi")),
        "cost_per_participant": _per(costs, at("participants")),
        "fiscal_benefit_per_participant": _per(fiscal, at("participants")),
        "net_fiscal_benefit_per_participant": _per(at("net_fiscal_benefit"), at("participants")),
    }


def _comparison(at: Callable[[str], str], d: Detail) -> dict[str, str]:
    assert d.years is not None and d.usage is not None and d.costs is not None
    y, u, c, no = d.years, d.usage, d.costs, at("no")
    ic, cc = at("intervention_cases"), at("comparison_cases")
    ci, cp = at("cost_per_case_intervention"), at("cost_per_case_comparison")
    avoided, delivery = at("costs_avoided_per_case"), at("delivery_cost_per_case")
    net = at("net_saving_per_case")

    def group_cost(group: str) -> str:
        return f'SUMIFS({u.range("cost")},{u.range("no")},{no},{u.range("group")},"{group}")'

    return {
        "pv_costs": f"SUMIFS({y.range('pv_costs')},{y.range('no')},{no})",
        "cost_per_case_intervention": _per(group_cost(INTERVENTION), ic),
        "cost_per_case_comparison": _per(group_cost(COMPARISON), cc),
        "costs_avoided_per_case": _both(ci, cp, f"{cp}-{ci}"),
        # observed like the usage: real cost over the years, no OB, no discounting
        "delivery_cost_per_case": _per(f"SUMIFS({c.range('real_total')},{c.range('no')},{no})", ic),
        "net_saving_per_case": _both(avoided, delivery, f"{avoided}-{delivery}"),
        "costs_avoided_total": f'IF({avoided}="","",{avoided}*{ic})',
        "delivery_cost_total": f'IF({delivery}="","",{delivery}*{ic})',
        "net_saving_total": f'IF({net}="","",{net}*{ic})',
        "froi": f'IF(AND(ISNUMBER({avoided}),N({delivery})>0),{avoided}/{delivery},"")',
        "value_for_money_band": band_formula(at("froi")),
        "cost_per_participant": _per(at("pv_costs"), at("participants")),
    }


def _case_level(at: Callable[[str], str], d: Detail, margin: str, teams: bool) -> dict[str, str]:
    assert d.cases is not None
    k, no = d.cases, at("no")
    n, benefits, costs = at("cases"), at("total_case_benefits"), at("total_case_costs")
    mean, projected, throughput = (
        at("mean_benefit_per_case"),
        at("projected_annual_benefits"),
        at("annual_throughput"),
    )
    population = throughput
    if teams:  # the service's throughput, or the sum of its teams' (as the engine does)
        assert d.teams is not None
        team_total = f"SUMIFS({d.teams.range('annual_throughput')},{d.teams.range('no')},{no})"
        population = f"IF(ISNUMBER({throughput}),{throughput},{team_total})"
        projection = f"SUMIFS({d.teams.range('projected')},{d.teams.range('no')},{no})"
    else:
        projection = f'IF(AND(ISNUMBER({mean}),ISNUMBER({throughput})),{mean}*{throughput},"")'
    z = f"{margin}*SQRT({n}*({population}-1)/(0.25*({population}-{n})))"
    return {
        "cases": f"COUNTIFS({k.range('no')},{no})",
        "total_case_benefits": f"SUMIFS({k.range('benefit')},{k.range('no')},{no})",
        "total_case_costs": f"SUMIFS({k.range('cost')},{k.range('no')},{no})",
        "observed_froi": _per(benefits, costs),
        "froi": f'IF({at("observed_froi")}="","",{at("observed_froi")})',
        "value_for_money_band": band_formula(at("froi")),
        "mean_benefit_per_case": _per(benefits, n),
        "mean_cost_per_case": _per(costs, n),
        "projected_annual_benefits": projection,
        "projected_annual_froi": (
            f"IF(AND(ISNUMBER({projected}),N({at('annual_running_cost')})>0),"
            f'{projected}/{at("annual_running_cost")},"")'
        ),
        "sample_confidence_level": (
            f"IF(AND(ISNUMBER({population}),N({population})>0,{n}>0),"
            f'IF({n}>={population},1,2*NORMSDIST({z})-1),"")'
        ),
    }


#: The most warnings listed above the Summary table; more are counted, with a link.
WARNINGS_SHOWN = 20


def warnings_rows(warnings: Sequence[Problem]) -> int:
    """The rows the warnings take above the Summary table (with a blank row after)."""
    if not warnings:
        return 0
    return (1 + len(warnings) if len(warnings) <= WARNINGS_SHOWN else 2) + 1


#: Summary's column widths (characters) by style, and the widest its texts may take.
COMPACT_WIDTHS = {"money": 11.5, "ratio": 8.5, "integer": 8.0, "count": 9.0, "percent": 9.0}
TEXT_CAP = {"name": 26.0, "organisation": 18.0, "project_id": 12.0, "mode": 10.0}


def summary_columns(modes: Sequence[str]) -> tuple[Column, ...]:
    """Summary's columns for a run of projects in ``modes``: the keys and every figure
    that at least one of those modes reports (a run of appraisals has no comparison or
    case-level columns), in METHOD's order."""
    keys = set(TEXT_KEYS) | {"no"}
    shown = [
        c for c in SUMMARY if c.key in keys or any(c.key not in NOT_REPORTED[m] for m in modes)
    ]
    return tuple(shown)


def plan_summary(book: Book, ctx: Context) -> Table:
    top = warnings_rows(ctx.results.warnings)
    columns = summary_columns(sorted(set(map(str, ctx.modes))))
    return Table(book, "Summary", columns, ctx.projects, top=top, freeze_cols=3)


def write_summary_warnings(t: Table, warnings: Sequence[Problem]) -> None:
    """The run's warnings above the Summary table (see the module docstring)."""
    if not warnings:
        return
    book, ws, count = t.book, t.ws, len(warnings)
    title = f"Warnings: {count:,} (read {'it' if count == 1 else 'them'} before the figures)"
    ws.write_string(0, 0, title, book.title)
    if count <= WARNINGS_SHOWN:
        for i, warning in enumerate(warnings, 1):
            book.text(ws, i, 0, str(warning))
    else:
        ws.write_url(
            1, 0, "internal:Warnings!A1", string=f"See the {count:,} warnings on the Warnings sheet"
        )


def _inputs(model: Model, p: int, mode: str) -> dict[str, str]:
    """The Summary figures that are the project's inputs, read from its Projects row (the
    annual running cost rebased from the service's price year, as METHOD 4)."""
    cell = model.inputs.project
    row = {key: f'IF(ISNUMBER({cell(key, p)}),{cell(key, p)},"")' for key in INPUT_KEYS}
    cost, year = cell("annual_running_cost", p), cell("service_price_year", p)
    rebase = model.rebasing(f"IF(ISBLANK({year}),{model.base_year},{year})")
    row["annual_running_cost"] = f'IF(ISNUMBER({cost}),{cost}*{rebase},"")'
    blank = set(NOT_REPORTED[mode])
    return {k: f for k, f in row.items() if k not in blank}


def write_summary(t: Table, ctx: Context, d: Detail, model: Model) -> None:
    """A row per project: every reported figure a formula (the bootstrap interval aside)."""
    summary = ctx.results.summary
    t.numbers("no", np.arange(1, ctx.projects + 1))
    for key in TEXT_KEYS:
        t.texts(key, summary[key])
    for key in VALUE_KEYS:
        if key in t.index:
            t.numbers(key, summary[key])
    formulas: dict[str, list[str | None]] = {}
    for p, mode in enumerate(ctx.modes):

        def at(key: str, p: int = p) -> str:
            return t.at(key, p)

        if mode == "appraisal":
            row = _appraisal(at, d)
        elif mode == "comparison":
            row = _comparison(at, d)
        else:
            given = model.inputs.project("margin_of_error", p)
            margin = f"IF(ISNUMBER({given}),{given},0.05)"
            row = _case_level(at, d, margin, bool(ctx.has_teams[p]))
        row = {**_inputs(model, p, str(mode)), **row}
        blank = set(NOT_REPORTED[mode])
        for key, formula in row.items():
            if key in blank:  # never write a figure the mode does not report
                raise AssertionError(f"{mode} does not report {key}")
            formulas.setdefault(key, [None] * ctx.projects)[p] = formula
    for key, column in formulas.items():
        t.formulas(key, column, summary[key])
    # compact: figures as narrow as their formats allow, long names capped (the header
    # wraps), so the sheet printed one A4 landscape page wide stays legible
    for i, col in enumerate(t.columns):
        if col.width is not None:
            t.widths[i] = col.width
        elif col.style in COMPACT_WIDTHS:
            t.widths[i] = COMPACT_WIDTHS[col.style]
        else:
            t.widths[i] = min(t.widths[i], TEXT_CAP.get(col.key, 14.0))
    t.finish()
    # printed: A4 landscape one page wide (Book.sheet), the header row on every page
    # (under the warnings too)
    t.ws.set_row(t.top, 78)
    t.ws.repeat_rows(t.top)


def plan_agencies(book: Book, ctx: Context) -> Table | None:
    """Portfolio totals by agency (no sheet when no project has agencies: case level only);
    the costs-avoided column only when the run has comparison projects."""
    if not ctx.agency_no:
        return None
    modes = set(ctx.modes)
    columns = [*AGENCIES_KEY]
    if "comparison" in modes:
        columns += AGENCIES_COMPARISON
    if "appraisal" in modes:
        columns += AGENCIES_APPRAISAL
    return Table(book, "Agencies", columns, len(ctx.agency_no))


def agency_totals(ctx: Context) -> dict[str, np.ndarray]:
    """The engine's per-project agency figures summed over the portfolio, by agency #."""
    size = len(ctx.agency_no) + 1
    out: dict[str, np.ndarray] = {}
    for frame, keys in (
        (ctx.agencies, ("pv_fiscal", "pv_fiscal_cashable", "pv_costs", "net_fiscal_benefit")),
        (ctx.comparison_agencies, ("costs_avoided_total",)),
        (
            ctx.costs[ctx.modes[ctx.costs["_p"].to_numpy(dtype=np.int64)] == "comparison"],
            ("real_total",),
        ),
    ):
        index = np.array([ctx.agency_no[str(a)] for a in frame["agency"]], dtype=np.int64)
        for key in keys:
            values = np.nan_to_num(frame[key].to_numpy(dtype=np.float64))
            out[key] = np.bincount(index, weights=values, minlength=size)[1:]
    out["delivery_cost_total"] = out.pop("real_total")
    out["net_saving_total"] = out["costs_avoided_total"] - out["delivery_cost_total"]
    return out


def write_agencies(t: Table, ctx: Context, d: Detail) -> None:
    """Who saves and who pays across the portfolio: sums of the Project agencies rows."""
    names = list(ctx.agency_no)
    t.texts("agency", names)
    t.numbers("agency_no", list(ctx.agency_no.values()))
    totals = agency_totals(ctx)
    rows = range(len(names))
    assert d.project_agencies is not None  # agencies exist only with forecast projects
    sources = {"costs_avoided_total": d.comparison_agencies}
    for key in ("pv_fiscal", "pv_fiscal_cashable", "pv_costs", "costs_avoided_total"):
        source = sources.get(key, d.project_agencies)
        if key not in t.index or source is None:
            continue
        s, a = source.range(key), source.range("agency_no")
        t.formulas(key, [f"SUMIFS({s},{a},{t.at('agency_no', i)})" for i in rows], totals[key])
    if "delivery_cost_total" in t.index:
        assert d.costs is not None  # comparison projects have cost rows
        c = d.costs
        t.formulas(
            "delivery_cost_total",
            [
                f"SUMIFS({c.range('real_total')},{c.range('agency_no')},{t.at('agency_no', i)},"
                f'{c.range("mode")},"comparison")'
                for i in rows
            ],
            totals["delivery_cost_total"],
        )
        t.formulas(
            "net_saving_total",
            [f"{t.at('costs_avoided_total', i)}-{t.at('delivery_cost_total', i)}" for i in rows],
            totals["net_saving_total"],
        )
    if "net_fiscal_benefit" in t.index:
        t.formulas(
            "net_fiscal_benefit",
            [f"{t.at('pv_fiscal', i)}-{t.at('pv_costs', i)}" for i in rows],
            totals["net_fiscal_benefit"],
        )
    t.finish()
