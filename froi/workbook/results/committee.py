"""The Project summary sheet: a page or two per project for a committee, figures as rows.

One block per project (the first :data:`LIMIT` projects of a run; Summary and Portfolio
have a row for every project, and a larger portfolio gets a lookup of any project's
headline figures by its number at the top), each starting on a new printed page, its
charts on a page of their own:

- the headline figures the project's mode reports, as rows (label, figure, what it
  means): FROI, economic and public value ROI, present values, NPV, net fiscal benefit,
  the net budget impact (undiscounted fiscal benefits less costs), payback as a
  financial year, the value-for-money band, and P(FROI >= 1) when the run was simulated;
- costs and benefits by agency (who pays, who saves, cashable and not);
- cash flows by financial year: costs, fiscal benefits cashable and not, the net budget
  impact and its cumulative position, then each agency's costs and benefits by year;
- the switching value of each outcome row's success rate beside the rate itself;
- native charts: the cumulative cash flow with the payback year, benefits and costs by
  agency, and the tornado of a simulated project.

Every figure is a formula over Summary and the detail sheets (so it follows the inputs),
cached with the engine's figure.  Years are labelled as financial years: year 0 is the
base year (Settings base_year), year t the t-th year after it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from calculator.engine import NOT_REPORTED

from ..xmlrows import Block, formula_cells, number_cells
from .cells import Book, Table, cached_list, neutralise
from .context import Context
from .detail import Detail, Live
from .live import financial_year
from .provenance import TORNADO
from .summary import VALUE_KEYS

SHEET = "Project summary"
#: Projects given a page (a larger portfolio's other projects are on Summary and
#: Portfolio, and the lookup at the top of the sheet shows any project's figures): a
#: committee pack of 50 projects is already more than a meeting reads, and every page
#: adds charts, the heaviest part of a file to open and to write.
LIMIT = 50
#: Blocks with charts: every block.
CHART_LIMIT = LIMIT
#: Summary columns that are not figures of the block (keys and texts).
NOT_FIGURES = ("no", "project_id", "name", "organisation", "mode")
MEANING = {
    "froi": "£ back to public budgets for each £1 spent",
    "economic_roi": "Fiscal and economic benefits per £1 of cost",
    "public_value_roi": "All benefits (fiscal, economic, social) per £1 of cost",
    "npv": "All benefits less costs, present values",
    "net_fiscal_benefit": "Fiscal benefits less costs, present values",
    "value_for_money_band": "Public value ROI: poor < 1 ≤ low < 1.5 ≤ medium < 2 ≤ high < 4",
    "pv_fiscal_cashable": "Fiscal benefits that can be released as cash",
    "payback_year": "First year discounted fiscal benefits cover costs",
    "costs_avoided_per_case": "Service cost per case, comparison less intervention group",
}


#: The fewest figure columns (B onwards) a page is printed with, so "What it means" fits.
COLUMNS = 6
#: Rows the legend takes at the top of the first sheet (and a blank row).
LEGEND_ROWS = 4
#: Rows a chart takes on the sheet.
CHART_ROWS = 16


def write_legend(book: Book, ws: Any) -> None:
    """What the cell styles mean, at the top of the workbook's first sheet (short lines,
    so the printed page keeps its width)."""
    ws.write_string(0, 0, "Input (yellow): change it and the figures follow", book.selector)
    book.text(ws, 1, 0, "Other cells: formulas, locked (Review > Unprotect Sheet, no password)")
    book.text(ws, 2, 0, "Inputs are on Settings to Teams; Checks lists the cross-checks")


def print_scale(width: float, *, landscape: bool) -> int:
    """The print scale (%) that fits columns ``width`` characters wide on A4 (portrait or
    landscape) inside the default margins.  A character of Calibri 11 is 7 pixels at 96
    per inch, but where Calibri and its metric twin Carlito are missing LibreOffice
    prints in a wider font (about 10 pixels a character): the scale fits that, so the
    page is never cut, at the price of a margin on the right in Excel."""
    printable = ((11.69 if landscape else 8.27) - 1.4) * 96
    return max(10, min(100, int(100 * printable / (width * 10))))


def summary_projects(ctx: Context) -> list[int]:
    return list(range(min(ctx.projects, LIMIT)))


def write_committee(
    book: Book,
    ctx: Context,
    summary: Table,
    detail: Detail,
    live: Live | None,
    uncertainty: Table | None,
) -> None:
    """A block per project (see the module docstring), each on its own printed page."""
    ws = book.sheets[SHEET]
    T = ctx.run.settings.appraisal_years
    ws.set_column(0, 0, 42)
    ws.set_column(1, max(T + 1, COLUMNS), 12.5)
    if T > 6:
        ws.set_landscape()
    else:
        ws.set_portrait()
    # a print scale that fits the width, not "fit to page": Excel, LibreOffice and
    # XlsxWriter drop manual page breaks under fit to page, and each project (and its
    # charts) must start a page
    ws.set_print_scale(print_scale(42 + 12.5 * max(T + 1, COLUMNS), landscape=T > 6))
    breaks: list[int] = []
    write_legend(book, ws)
    row = LEGEND_ROWS
    if ctx.projects > LIMIT:
        row = _lookup(book, ws, ctx, summary, detail.years, row)
        breaks.append(row)
    for p in summary_projects(ctx):
        if p:  # each project after the first starts a printed page
            breaks.append(row)
        row = _block(book, ws, ctx, summary, detail, live, uncertainty, p, row, breaks) + 2
    if ctx.projects > LIMIT:
        book.text(
            ws,
            row,
            0,
            f"The first {LIMIT} of {ctx.projects:,} projects have a page here; Summary and "
            "Portfolio have every project, and the lookup at the top shows any of them.",
        )
    if breaks:
        ws.set_h_pagebreaks(sorted(set(breaks)))
    # the columns the scale fits: a long explanation running past them is not printed
    # on a page of its own
    ws.print_area(0, 0, row, max(T + 1, COLUMNS))


def _lookup(
    book: Book, ws: Any, ctx: Context, summary: Table, years: Table | None, top: int
) -> int:
    """A lookup of any project's headline figures, yearly cash flows and cumulative cash
    flow chart by its number (an input cell): a portfolio larger than :data:`LIMIT` has
    a page for its first projects only."""
    s = ctx.results.summary
    book.text(ws, top, 0, "Any project: type its number (Summary, column A)", book.title)
    book.text(
        ws,
        top + 1,
        0,
        f"This workbook has {ctx.projects:,} projects; the first {LIMIT} have a page of "
        "their own below.",
    )
    row = top + 2
    ws.write_string(row, 0, "Project #", book.bold)
    ws.write_number(row, 1, 1, book.selector)
    ws.data_validation(
        row,
        1,
        row,
        1,
        {
            "validate": "integer",
            "criteria": "between",
            "minimum": 1,
            "maximum": ctx.projects,
            "input_title": "Project to show",
            "input_message": "Type a project's number (Summary, column A).",
        },
    )
    selector = f"$B${row + 1}"
    match = f"MATCH({selector},{summary.named('no')},0)"
    for key in ("project_id", "name", "mode"):
        row += 1
        label = next(c.header for c in summary.columns if c.key == key)
        book.text(ws, row, 0, label)
        value = s.at[0, key]
        book.formula(
            ws,
            row,
            1,
            f'IFERROR(INDEX({summary.named(key)},{match})&"","no project with this number")',
            None,
            neutralise(str(value)) if isinstance(value, str) else value,
        )
    row += 1
    ws.write_row(row, 0, ["Figure", "Value", "What it means"], book.header)
    for column in summary.columns:
        if column.key in NOT_FIGURES:
            continue
        row += 1
        book.text(ws, row, 0, column.header)
        figure = f"INDEX({summary.named(column.key)},{match})"
        book.formula(
            ws,
            row,
            1,
            f'IFERROR(IF({figure}="","",{figure}),"")',
            book.fmt(column.style),
            s.at[0, column.key],
        )
        if column.key in MEANING:
            book.text(ws, row, 2, MEANING[column.key])
    book.text(ws, row + 1, 0, "Blank: the project's mode does not report the figure.")
    row += 3
    if years is not None:
        row = _lookup_flows(book, ws, ctx, years, selector, row)
    return row + 1


def _lookup_flows(book: Book, ws: Any, ctx: Context, yr: Table, selector: str, row: int) -> int:
    """The looked-up project's cash flows by financial year and their chart (all zero for
    a case-level project, which has no years)."""
    T = ctx.run.settings.appraisal_years
    money = book.fmt("money")
    head = row = _years_header(book, ws, ctx, row)
    y = ctx.years[ctx.years["_p"] == 0]  # project 1, the lookup's first number
    figures = {
        key: dict(zip(y["t"].astype(int), y[key].to_numpy(dtype=np.float64), strict=True))
        for key in ("costs", "fiscal", "cumulative_fiscal_net")
    }

    def of(key: str, t: int) -> float:
        return float(figures[key].get(t, 0.0))

    def sumifs(key: str, t: int) -> str:
        return f"SUMIFS({yr.named(key)},{yr.named('no')},{selector},{yr.named('t')},{t})"

    for label, key in (
        ("Costs, net of offsets", "costs"),
        ("Fiscal benefits", "fiscal"),
        ("Cumulative discounted fiscal net (payback when ≥ 0)", "cumulative_fiscal_net"),
    ):
        row += 1
        book.text(ws, row, 0, label)
        for t in range(T):
            book.formula(ws, row, 1 + t, sumifs(key, t), money, of(key, t))
    cumulative_chart(book, (head, row), T, "Cumulative cash flow of the project looked up", row + 2)
    return row + 2 + CHART_ROWS


def _years_header(book: Book, ws: Any, ctx: Context, row: int) -> int:
    """The title of a block of cash flows at ``row`` and, on the row below (returned), its
    header: the financial year of each appraisal year in columns 1 to T."""
    base = ctx.run.settings.base_year
    book.text(ws, row, 0, "Cash flows by financial year (£, real, undiscounted)", book.bold)
    row += 1
    book.text(ws, row, 0, "", book.header)
    for t in range(ctx.run.settings.appraisal_years):
        ws.write_string(row, 1 + t, financial_year(base, t), book.header)
    return row


def cumulative_chart(book: Book, rows: tuple[int, int], years: int, title: str, at: int) -> None:
    """A line chart of the cumulative discounted fiscal net by financial year, inserted on
    Project summary at row ``at``: ``rows`` are its rows there of the financial years
    (the categories) and of the cumulative figures, in columns 1 to ``years``."""
    head, cumulative = rows
    chart: Any = book.workbook.add_chart({"type": "line"})
    chart.add_series(
        {
            "name": "Cumulative discounted fiscal net (£)",
            "categories": [SHEET, head, 1, head, years],
            "values": [SHEET, cumulative, 1, cumulative, years],
            "line": {"color": "#1F4E78", "width": 2.25},
            "marker": {"type": "circle", "size": 5},
        }
    )
    chart.set_title({"name": title})
    chart.set_y_axis({"num_format": "£#,##0", "major_gridlines": {"visible": True}})
    chart.set_x_axis({"name": "Financial year"})
    chart.set_legend({"position": "bottom"})
    book.sheets[SHEET].insert_chart(
        at, 0, chart, {"x_scale": 1.6, "y_scale": 1.0, "object_position": 1}
    )


def _block(
    book: Book,
    ws: Any,
    ctx: Context,
    summary: Table,
    detail: Detail,
    live: Live | None,
    uncertainty: Table | None,
    p: int,
    top: int,
    breaks: list[int],
) -> int:
    """One project's block from row ``top``; returns the row after it.  Its charts start
    a printed page of their own (added to ``breaks``), so neither part splits a chart."""
    s = ctx.results.summary
    mode = str(ctx.modes[p])
    T = ctx.run.settings.appraisal_years
    base = ctx.run.settings.base_year
    no = p + 1
    name, organisation = str(s.at[p, "name"] or ""), str(s.at[p, "organisation"] or "")
    title = f"Project summary: {ctx.ids[p]}: {name}"
    book.text(ws, top, 0, title, book.title)
    book.text(
        ws,
        top + 1,
        0,
        f"Project # {no}, {organisation}; {mode.replace('_', ' ')} mode; "
        f"£ at {base} prices; years {financial_year(base, 0)} to {financial_year(base, T - 1)}",
    )
    row = top + 3
    ws.write_row(row, 0, ["Figure", "Value", "What it means"], book.header)
    row += 1
    match = f"MATCH({no},{summary.named('no')},0)"
    money = book.fmt("money")
    blank = set(NOT_REPORTED[mode])
    for column in summary.columns:
        if column.key in NOT_FIGURES or column.key in blank:
            continue
        value: Any = s.at[p, column.key]
        book.text(ws, row, 0, column.header)
        figure = f"INDEX({summary.named(column.key)},{match})"
        if column.key in VALUE_KEYS:  # the bootstrap: a value, as on Summary
            book.value(ws, row, 1, value, book.fmt(column.style))
        else:
            book.formula(ws, row, 1, f'IF({figure}="","",{figure})', book.fmt(column.style), value)
        if column.key in MEANING:
            book.text(ws, row, 2, MEANING[column.key])
        row += 1
        if column.key.startswith("payback_year") and live is not None:  # as a year
            at = f"$B${row}"
            book.text(ws, row, 0, column.header.replace("(t)", "(financial year)"))
            paid = value == value and value is not None
            ws.write_formula(
                row,
                1,
                f'IF(ISNUMBER({at}),{live.model.financial_year(at)},"not within the period")',
                None,
                financial_year(base, int(value)) if paid else "not within the period",
            )
            row += 1
    y = ctx.years[ctx.years["_p"] == p]
    if detail.years is not None and len(y):
        yr = detail.years
        impact = float(y["fiscal"].sum() - y["costs"].sum())
        book.text(ws, row, 0, "Net budget impact, undiscounted (£, real)")
        book.formula(
            ws,
            row,
            1,
            f"SUMIFS({yr.named('fiscal')},{yr.named('no')},{no})"
            f"-SUMIFS({yr.named('costs')},{yr.named('no')},{no})",
            money,
            impact,
        )
        book.text(ws, row, 2, "Fiscal benefits less costs over the years, not discounted")
        row += 1
    u = ctx.results.uncertainty
    if uncertainty is not None and u is not None and (u.summary["_p"] == p).any():
        record = u.summary[u.summary["_p"] == p].iloc[0]
        find = f"MATCH({no},{uncertainty.range('no')},0)"
        for key, label, style in (
            ("prob_froi_at_least_1", "P(FROI ≥ 1) (%)", "percent"),
            ("froi_p5", "FROI, 5th percentile (£ per £1)", "ratio"),
            ("froi_p95", "FROI, 95th percentile (£ per £1)", "ratio"),
        ):
            book.text(ws, row, 0, label)
            book.formula(
                ws,
                row,
                1,
                f"INDEX({uncertainty.range(key)},{find})",
                book.fmt(style),
                record[key],
            )
            row += 1
        book.text(
            ws,
            row,
            0,
            "Simulated figures are values from the Monte Carlo (Uncertainty sheet): they do "
            "not follow a changed input until the workbook is uploaded again.",
        )
        row += 1
    if mode == "case_level":
        for line in (
            "The observed FROI interval is a bootstrap (resamples of the cases): a value that",
            "does not follow a changed input until the workbook is uploaded again. Every",
            "other figure follows the Cases, CaseOutcomes, Teams and Projects sheets.",
        ):
            book.text(ws, row, 0, line)
            row += 1
    row += 1
    agencies_top = None
    if detail.project_agencies is not None and mode in ("appraisal", "comparison"):
        agencies_top, row = _agencies(book, ws, ctx, detail.project_agencies, p, row)
        row += 1
    flows_top = None
    if detail.years is not None and live is not None and mode in ("appraisal", "comparison"):
        flows_top, row = _cash_flows(book, ws, ctx, detail, live, p, row)
        row += 1
    if live is not None and detail.outcomes is not None and mode == "appraisal":
        row = _switching(book, ws, ctx, detail.outcomes, live, p, row) + 1
    if p < CHART_LIMIT:
        start = row
        row = _charts(book, ctx, p, row, agencies_top, flows_top, uncertainty)
        if row > start:
            breaks.append(start)
    return row


def _agencies(
    book: Book, ws: Any, ctx: Context, pa: Table, p: int, row: int
) -> tuple[tuple[int, int], int]:
    """Costs and benefits by agency; returns ((header row, agencies), next row)."""
    book.text(ws, row, 0, "Costs and benefits by agency (present values)", book.bold)
    row += 1
    head = row
    ws.write_row(
        row,
        0,
        [
            "Agency",
            "Saves: PV fiscal benefits (£)",
            "of which cashable (£)",
            "non-cashable (£)",
            "Pays: PV costs (£)",
            "Net fiscal benefit (£)",
        ],
        book.header,
    )
    ws.set_row(row, 45)
    a = ctx.agencies[ctx.agencies["_p"] == p]
    money = book.fmt("money")
    for record in a.to_dict("records"):
        row += 1
        number = ctx.agency_no[str(record["agency"])]
        book.text(ws, row, 0, record["agency"])

        def of(key: str, number: int = number) -> str:
            return (
                f"SUMIFS({pa.named(key)},{pa.named('no')},{p + 1},{pa.named('agency_no')},{number})"
            )

        r = row + 1
        book.formula(ws, row, 1, of("pv_fiscal"), money, record["pv_fiscal"])
        book.formula(ws, row, 2, of("pv_fiscal_cashable"), money, record["pv_fiscal_cashable"])
        book.formula(
            ws,
            row,
            3,
            f"B{r}-C{r}",
            money,
            record["pv_fiscal"] - record["pv_fiscal_cashable"],
        )
        book.formula(ws, row, 4, of("pv_costs"), money, record["pv_costs"])
        book.formula(ws, row, 5, f"B{r}-E{r}", money, record["net_fiscal_benefit"])
    return (head, len(a)), row + 1


def _cash_flows(
    book: Book, ws: Any, ctx: Context, d: Detail, live: Live, p: int, row: int
) -> tuple[tuple[int, int], int]:
    """Yearly cash flows (real, undiscounted) with the cashable split, then by agency."""
    assert d.years is not None and d.costs is not None
    T = ctx.run.settings.appraisal_years
    no = p + 1
    yr, cr, ov = d.years, d.costs, d.outcomes
    head = row = _years_header(book, ws, ctx, row)
    ws.write_string(row, 1 + T, "Total", book.header)
    money = book.fmt("money")
    y = ctx.years[ctx.years["_p"] == p].sort_values("t")
    # the project's own outcome rows (comparing text columns of the whole portfolio for
    # each project cost a second for 50 projects of a 1,000-project workbook)
    any_outcomes = len(ctx.outcomes) > 0
    mine = (
        np.flatnonzero(ctx.outcomes["_p"].to_numpy() == p)
        if any_outcomes
        else np.zeros(0, dtype=np.int64)
    )
    o = ctx.outcomes.iloc[mine]
    fiscal = (o["category"].astype(str) == "fiscal").to_numpy()
    cashable = o["cashable"].to_numpy(dtype=bool)
    benefits = live.benefits[mine] if any_outcomes else live.benefits
    rows: list[tuple[str, list[str], list[float]]] = []

    def outcome_sum(extra: str, mask: np.ndarray) -> tuple[list[str], list[float]]:
        if ov is None:
            return ["0"] * T, [0.0] * T
        formulas = [
            f'SUMIFS({ov.named(f"b{t}")},{ov.named("no")},{no},{ov.named("category")},"fiscal"{extra})'
            for t in range(T)
        ]
        return formulas, [float(benefits[mask, t].sum()) for t in range(T)]

    costs = [
        f"SUMIFS({yr.named('costs')},{yr.named('no')},{no},{yr.named('t')},{t})" for t in range(T)
    ]
    rows.append(("Costs, net of offsets", costs, list(y["costs"])))
    f_cash, v_cash = outcome_sum(f',{ov.named("cashable")},"yes"' if ov else "", fiscal & cashable)
    rows.append(("Fiscal benefits, cashable", f_cash, v_cash))
    f_non, v_non = outcome_sum(f',{ov.named("cashable")},"no"' if ov else "", fiscal & ~cashable)
    rows.append(("Fiscal benefits, non-cashable", f_non, v_non))
    first = row + 1
    for label, formulas, values in rows:
        row += 1
        book.text(ws, row, 0, label)
        for t in range(T):
            book.formula(ws, row, 1 + t, formulas[t], money, values[t])
        book.formula(
            ws, row, 1 + T, f"SUM({_cell(row, 1)}:{_cell(row, T)})", money, float(sum(values))
        )
    net = [v_cash[t] + v_non[t] - float(y["costs"].iloc[t]) for t in range(T)]
    row += 1
    book.text(ws, row, 0, "Net budget impact (fiscal benefits less costs)")
    for t in range(T + 1):
        c = 1 + t
        book.formula(
            ws,
            row,
            c,
            f"{_cell(first + 1, c)}+{_cell(first + 2, c)}-{_cell(first, c)}",
            money,
            net[t] if t < T else float(sum(net)),
        )
    row += 1
    book.text(ws, row, 0, "Cumulative net budget impact")
    total = 0.0
    for t in range(T):
        total += net[t]
        c = 1 + t
        formula = _cell(row - 1, c) if t == 0 else f"{_cell(row, c - 1)}+{_cell(row - 1, c)}"
        book.formula(ws, row, c, formula, money, total)
    row += 1
    book.text(ws, row, 0, "Cumulative discounted fiscal net (payback when ≥ 0)")
    for t in range(T):
        book.formula(
            ws,
            row,
            1 + t,
            f"SUMIFS({yr.named('cumulative_fiscal_net')},{yr.named('no')},{no},"
            f"{yr.named('t')},{t})",
            money,
            float(y["cumulative_fiscal_net"].iloc[t]),
        )
    cumulative = row
    # by agency: costs each agency pays, fiscal benefits each saves (cashable and not)
    rows_c = ctx.costs[ctx.costs["_p"] == p]
    agencies = sorted(
        set(map(str, rows_c["agency"])) | set(map(str, o["agency"][fiscal]))
        if any_outcomes
        else set()
    ) or sorted(set(map(str, rows_c["agency"])))
    net_cost, first_year = rows_c["net_cost"].to_numpy(), rows_c["year"].to_numpy()
    last_year, payer = rows_c["end_year"].to_numpy(), rows_c["agency"].astype(str).to_numpy()
    saver = o["agency"].astype(str).to_numpy()
    for agency in agencies:
        number = ctx.agency_no[agency]
        mask = payer == agency
        paid = [
            float(net_cost[mask & (first_year <= t) & (last_year >= t)].sum()) for t in range(T)
        ]
        formulas = [
            f"SUMIFS({cr.named('net_cost')},{cr.named('no')},{no},{cr.named('agency_no')},{number},"
            f'{cr.named("year")},"<="&{t},{cr.named("end_year")},">="&{t})'
            for t in range(T)
        ]
        lines = [(f"{agency}: costs", formulas, paid)]
        if ov is not None and any_outcomes:
            theirs = fiscal & (saver == agency)
            for flag, label, want in (("yes", "cashable", True), ("no", "non-cashable", False)):
                subset = theirs & (cashable == want)
                formulas_b = [
                    f"SUMIFS({ov.named(f'b{t}')},{ov.named('no')},{no},{ov.named('category')},"
                    f'"fiscal",{ov.named("agency_no")},{number},{ov.named("cashable")},"{flag}")'
                    for t in range(T)
                ]
                lines.append(
                    (
                        f"{agency}: fiscal benefits, {label}",
                        formulas_b,
                        [float(benefits[subset, t].sum()) for t in range(T)],
                    )
                )
        for label, formulas_l, values in lines:
            row += 1
            book.text(ws, row, 0, label)
            for t in range(T):
                book.formula(ws, row, 1 + t, formulas_l[t], money, values[t])
            book.formula(
                ws, row, 1 + T, f"SUM({_cell(row, 1)}:{_cell(row, T)})", money, float(sum(values))
            )
    return (head, cumulative), row + 1


def _switching(book: Book, ws: Any, ctx: Context, ov: Table, live: Live, p: int, row: int) -> int:
    """Each outcome row's success rate and the rate at which FROI would be 1."""
    o = ctx.outcomes[ctx.outcomes["_p"] == p]
    if not len(o):
        return row
    book.text(
        ws, row, 0, "Switching values: the success rate at which FROI would equal 1", book.bold
    )
    row += 1
    ws.write_row(
        row,
        0,
        ["Outcome (row on Outcomes)", "Success rate now", "Switching value"],
        book.header,
    )
    no = p + 1
    success = live.model.inputs.columns["Outcomes"]["success"]
    rate = book.fmt("percent")
    source = ctx.run.lists["outcomes"]["success"].to_numpy()
    for record, src in zip(o.head(12).to_dict("records"), o["_source"].head(12), strict=True):
        row += 1
        r = int(record["sheet_row"])
        book.text(ws, row, 0, f"{record['description'] or record['unit_cost_code']} (row {r})")
        book.formula(ws, row, 1, f"Outcomes!${success}${r}", rate, source[int(src)])
        where = f"{ov.named('no')},{no},{ov.named('row')},{r}"
        book.formula(
            ws,
            row,
            2,
            f'IF(COUNTIFS({where},{ov.named("switching_value")},">=0")=0,"",'
            f"SUMIFS({ov.named('switching_value')},{where}))",
            rate,
            record["switching_value"],
        )
    if len(o) > 12:
        row += 1
        book.text(ws, row, 0, f"... and {len(o) - 12} more rows on Outcome values")
    return row + 1


def _charts(
    book: Book,
    ctx: Context,
    p: int,
    row: int,
    agencies: tuple[int, int] | None,
    flows: tuple[int, int] | None,
    uncertainty: Table | None,
) -> int:
    """The block's charts, one below the other (each kept on one printed page)."""
    ws = book.sheets[SHEET]
    T = ctx.run.settings.appraisal_years
    payback: Any = ctx.results.summary.at[p, "payback_year"]
    base = ctx.run.settings.base_year
    height = CHART_ROWS
    if flows is not None:
        paid = (
            f"payback in {financial_year(base, int(payback))}"
            if payback == payback and payback is not None
            else "no payback within the period"
        )
        cumulative_chart(book, flows, T, f"Cumulative cash flow: {paid}", row)
        row += height
    if agencies is not None and agencies[1]:
        head, count = agencies
        bars: Any = book.workbook.add_chart({"type": "bar"})
        for col, colour in ((1, "#2E7D32"), (4, "#C00000")):
            bars.add_series(
                {
                    "name": [SHEET, head, col],
                    "categories": [SHEET, head + 1, 0, head + count, 0],
                    "values": [SHEET, head + 1, col, head + count, col],
                    "fill": {"color": colour},
                }
            )
        bars.set_title({"name": "Who saves and who pays (present values)"})
        bars.set_x_axis({"num_format": "£#,##0"})
        bars.set_y_axis({"reverse": True})
        bars.set_legend({"position": "bottom"})
        ws.insert_chart(row, 0, bars, {"x_scale": 1.6, "y_scale": 1.0, "object_position": 1})
        row += height
    u = ctx.results.uncertainty
    if uncertainty is not None and u is not None:
        tornado = u.tornado
        rows = np.flatnonzero(tornado["_p"].to_numpy() == p)
        if len(rows):
            first, last = int(rows[0]) + 1, int(rows[-1]) + 1
            sheet = "Tornado"
            columns = [c.key for c in TORNADO]
            label, low, high = (columns.index(k) for k in ("label", "froi_low", "froi_high"))
            chart = book.workbook.add_chart({"type": "bar"})
            for col, colour in ((low, "#C00000"), (high, "#2E7D32")):
                chart.add_series(
                    {
                        "name": [sheet, 0, col],
                        "categories": [sheet, first, label, last, label],
                        "values": [sheet, first, col, last, col],
                        "fill": {"color": colour},
                    }
                )
            chart.set_title({"name": "Tornado: FROI with each input at its low and high end"})
            chart.set_x_axis({"num_format": "0.00"})
            chart.set_y_axis({"reverse": True})
            chart.set_legend({"position": "bottom"})
            ws.insert_chart(row, 0, chart, {"x_scale": 1.6, "y_scale": 1.1, "object_position": 1})
            row += height + 2
    return row


def _cell(row: int, col: int) -> str:
    """A same-sheet A1 reference of a 0-based (row, col)."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    return str(xl_rowcol_to_cell(row, col))


PORTFOLIO_SHEET = "Portfolio"
#: The Portfolio sheet's columns: (Summary column, header, style); None: a column of its own.
PORTFOLIO = (
    ("no", "Project #", "integer"),
    ("project_id", "Project ID", "text"),
    ("name", "Name", "text"),
    ("mode", "Mode", "text"),
    ("froi", "FROI (£ per £1)", "ratio"),
    ("economic_roi", "Economic ROI (£ per £1)", "ratio"),
    ("public_value_roi", "Public value ROI (£ per £1)", "ratio"),
    ("value_for_money_band", "Value for money", "text"),
    ("pv_costs", "PV costs (£)", "money"),
    ("pv_fiscal", "PV fiscal benefits (£)", "money"),
    ("pv_fiscal_cashable", "of which cashable (£)", "money"),
    ("net_fiscal_benefit", "Net fiscal benefit (£)", "money"),
    ("npv", "NPV (£)", "money"),
    ("payback_year", "Payback (financial year)", "text"),
)
#: Columns summed on the total row.
TOTALLED = ("pv_costs", "pv_fiscal", "pv_fiscal_cashable", "net_fiscal_benefit", "npv")


def write_portfolio(book: Book, ctx: Context, summary: Table, live: Live) -> None:
    """One row per project with the headline figures (formulas over Summary), and a total
    row: the money summed and the portfolio's FROI as total fiscal benefits over total
    costs."""
    ws = book.sheets[PORTFOLIO_SHEET]
    s = ctx.results.summary
    base = ctx.run.settings.base_year
    # the columns Summary has (a run without appraisals has no NPV or payback)
    columns = [c for c in PORTFOLIO if c[0] in summary.index]
    ws.write_row(0, 0, [h for _, h, _ in columns], book.header)
    ws.set_row(0, 32)
    for col, (key, _, style) in enumerate(columns):
        ws.set_column(col, col, 30 if key == "name" else 14 if style != "text" else 12)
    match_of = summary.named("no")
    n = ctx.projects
    # the rows of projects as a block written a column at a time (froi.workbook.xmlrows)
    block = Block(ws, 1, n)
    rows = block.numbers
    block.put(0, number_cells("A", rows, np.arange(1, n + 1), book.fmt("integer")))
    for col, (key, _, style) in enumerate(columns[1:], start=1):
        named = summary.named(key)
        figures = [f"INDEX({named},MATCH($A{r},{match_of},0))" for r in rows]
        values: list[Any] = s[key].tolist()
        fmt = book.fmt(style)
        if key == "payback_year":
            formulas = [f'IF(ISNUMBER({f}),{live.model.financial_year(f)},"")' for f in figures]
            values = ["" if v is None or v != v else financial_year(base, int(v)) for v in values]
            fmt = None
        else:
            formulas = [f'IF({f}="","",{f})' for f in figures]
            if style == "text":  # as Summary shows it
                values = [neutralise(v) if isinstance(v, str) else v for v in values]
        block.put(col, formula_cells(block.letter(col), rows, formulas, cached_list(values), fmt))
    total = n + 1
    ws.write_string(total, 1, "Total", book.bold)
    keys = [k for k, _, _ in columns]
    sums: dict[str, float] = {}
    for key in TOTALLED:
        if key not in keys:
            continue
        col = keys.index(key)
        letter = _cell(0, col).rstrip("1")
        sums[key] = float(np.nansum(s[key].to_numpy(dtype=np.float64)))
        book.formula(
            ws, total, col, f"SUM({letter}2:{letter}{n + 1})", book.fmt("money"), sums[key]
        )
    if "pv_costs" in sums and "pv_fiscal" in sums:
        costs, fiscal = (_cell(total, keys.index(k)) for k in ("pv_costs", "pv_fiscal"))
        book.formula(
            ws,
            total,
            keys.index("froi"),
            f'IF({costs}>0,{fiscal}/{costs},"")',
            book.fmt("ratio"),
            sums["pv_fiscal"] / sums["pv_costs"] if sums["pv_costs"] > 0 else "",
        )
    if "pv_costs" in sums and "pv_fiscal" in sums:
        ws.write_string(
            total + 2,
            0,
            "The total FROI is the portfolio's fiscal benefits over its costs (present "
            "values); comparison and case-level projects report their own ratios on Summary.",
        )
    ws.freeze_panes(1, 2)
    ws.repeat_rows(0)
    ws.autofilter(0, 0, n, len(columns) - 1)
