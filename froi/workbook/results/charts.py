"""Native Excel charts: payback of appraisal projects, and fiscal benefits by agency.

Payback charts: one block per appraisal project for the first :data:`CHART_LIMIT`
appraisal projects of the run (a thousand charts would make a workbook nobody can open
comfortably).  Each block has a yellow cell holding the project's number: type another
project's number there and the block's formulas (SUMIFS over the Years sheet by project
number and year) and its chart follow, so any project of the portfolio can be charted.
The chart draws cumulative discounted costs and cumulative discounted fiscal benefits
as lines and marks the payback year (METHOD 2.3) with a column up to the cumulative
fiscal benefit in that year; the title says which project it shows.

Agencies: a bar chart of the portfolio's PV fiscal benefits (who saves) and PV costs (who
pays) by agency, and costs avoided against comparison groups when the run has any,
drawn from the Agencies table beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .cells import Book, Table, neutralise
from .context import Context

CHART_LIMIT = 50  # as many as the Project summary pages (committee.LIMIT)
SHEET = "Payback charts"
BLOCK_HEADERS = (
    "Year (t)",
    "Cumulative discounted costs (£)",
    "Cumulative discounted fiscal benefits (£)",
    "Payback year marker (£)",
)


def charted_projects(ctx: Context) -> list[int]:
    """Positions of the projects charted: the first CHART_LIMIT appraisal projects."""
    return [int(p) for p in np.flatnonzero(ctx.modes == "appraisal")[:CHART_LIMIT]]


def block_height(years: int) -> int:
    """Rows a block takes: its table (years + 4 rows) or its chart, and a gap."""
    return max(years + 6, 22)


def write_payback_charts(book: Book, ctx: Context, summary: Table, years: Table) -> None:
    """A block (selector, payback year, cumulative table, chart) per charted project."""
    ws = book.sheets[SHEET]
    T = ctx.run.settings.appraisal_years
    height = block_height(T)
    y = ctx.years
    pv_payback = ctx.results.summary["payback_year"].to_numpy(dtype=np.float64)
    for col, width in enumerate((18, 24, 30, 24)):
        ws.set_column(col, col, width)
    for b, p in enumerate(charted_projects(ctx)):
        top = b * height
        sel, pay = f"$B${top + 1}", f"$B${top + 2}"
        match = f"MATCH({sel},{summary.range('no')},0)"
        ws.write_string(top, 0, "Project #", book.bold)
        ws.write_number(top, 1, p + 1, book.selector)
        ws.data_validation(
            top,
            1,
            top,
            1,
            {
                "validate": "integer",
                "criteria": "between",
                "minimum": 1,
                "maximum": ctx.projects,
                "input_title": "Project to chart",
                "input_message": "Type a project's number (Summary, column A).",
            },
        )
        book.formula(
            ws,
            top,
            2,
            f'IFERROR("Payback: "&INDEX({summary.range("project_id")},{match}),'
            '"no project with this number")',
            book.bold,
            "Payback: " + neutralise(str(ctx.ids[p])),
        )
        ws.write_string(top + 1, 0, "Payback year (t)", book.bold)
        book.formula(
            ws,
            top + 1,
            1,
            f'IFERROR(IF(INDEX({summary.range("mode")},{match})="appraisal",'
            f'INDEX({summary.range("payback_year")},{match}),""),"")',
            book.fmt("integer"),
            pv_payback[p],
        )
        ws.write_string(top + 2, 0, "Change the project number to chart another project.")
        head = top + 3
        ws.set_row(head, 32)
        for c, text in enumerate(BLOCK_HEADERS):
            ws.write_string(head, c, text, book.header)
        rows = y[y["_p"] == p]
        for k, (costs, fiscal) in enumerate(
            zip(rows["cum_pv_costs"], rows["cum_pv_fiscal"], strict=True)
        ):
            r = head + 1 + k
            ws.write_number(r, 0, k, book.fmt("integer"))
            for c, (key, value) in enumerate(
                (("cum_pv_costs", costs), ("cum_pv_fiscal", fiscal)), 1
            ):
                book.formula(
                    ws,
                    r,
                    c,
                    f"SUMIFS({years.range(key)},{years.range('no')},{sel},"
                    f"{years.range('t')},$A${r + 1})",
                    book.fmt("money"),
                    value,
                )
            marker = fiscal if pv_payback[p] == k else 0.0
            book.formula(
                ws,
                r,
                3,
                f"IF(AND(ISNUMBER({pay}),$A${r + 1}={pay}),$C${r + 1},0)",
                book.fmt("money"),
                marker,
            )
        _payback_chart(book, top, head, T)


def _payback_chart(book: Book, top: int, head: int, years: int) -> None:
    first, last = head + 1, head + years
    chart: Any = book.workbook.add_chart({"type": "line"})
    for c, color in ((1, "#C00000"), (2, "#2E7D32")):
        chart.add_series(
            {
                "name": [SHEET, head, c],
                "categories": [SHEET, first, 0, last, 0],
                "values": [SHEET, first, c, last, c],
                "line": {"color": color, "width": 2.25},
                "marker": {"type": "circle", "size": 5, "fill": {"color": color}},
            }
        )
    marker: Any = book.workbook.add_chart({"type": "column"})
    marker.add_series(
        {
            "name": [SHEET, head, 3],
            "categories": [SHEET, first, 0, last, 0],
            "values": [SHEET, first, 3, last, 3],
            "fill": {"color": "#FFC000"},
            "gap": 300,
        }
    )
    chart.combine(marker)
    chart.set_title({"name": [SHEET, top, 2], "name_font": {"size": 12}})
    chart.set_x_axis({"name": "Year (t)"})
    chart.set_y_axis({"name": "£ at base-year prices", "num_format": "£#,##0"})
    chart.set_legend({"position": "bottom"})
    book.sheets[SHEET].insert_chart(top, 5, chart, {"x_scale": 1.5, "y_scale": 1.2})


def write_agency_chart(book: Book, agencies: Table) -> None:
    """Bars of who saves and who pays, by agency, beside the Agencies table."""
    chart: Any = book.workbook.add_chart({"type": "bar"})
    n = max(agencies.rows, 1)
    first, last = agencies.top + 1, agencies.top + n
    colours = {
        "costs_avoided_total": "#1F4E78",
        "delivery_cost_total": "#ED7D31",
        "pv_fiscal": "#2E7D32",
        "pv_costs": "#C00000",
    }
    for key, colour in colours.items():
        if key not in agencies.index:
            continue
        c = agencies.col(key)
        chart.add_series(
            {
                "name": [agencies.sheet, agencies.top, c],
                "categories": [agencies.sheet, first, 0, last, 0],
                "values": [agencies.sheet, first, c, last, c],
                "fill": {"color": colour},
            }
        )
    title = (
        "Fiscal benefits and costs by agency (present values)"
        if "pv_fiscal" in agencies.index
        else "Costs avoided and delivery costs by agency"
    )
    chart.set_title({"name": title})
    chart.set_x_axis({"num_format": "£#,##0", "name": "£ at base-year prices"})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    height = max(1.0, 0.25 + 0.06 * n)
    agencies.ws.insert_chart(
        0, len(agencies.columns) + 1, chart, {"x_scale": 1.6, "y_scale": height}
    )
