"""The Checks sheet: the workbook's figures reconcile across its sheets, each check TRUE.

Each check adds up one figure two ways, on two sheets, and compares them to a millionth
(relative, at least a penny): present value costs on Summary, Years and Cost rows; fiscal
benefits on Summary, Outcome values, Years and Project agencies; the cashable split.  A
change to an input that leaves the sheets consistent keeps every check TRUE; an edited
formula that breaks one sheet's sums turns a check FALSE.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .cells import Book, Table
from .context import Context
from .detail import Detail

SHEET = "Checks"
HEADERS = ("Check", "One way", "The other way", "Difference", "Agrees")


def _checks(ctx: Context, summary: Table, d: Detail) -> list[tuple[str, str, str, float]]:
    """(what, formula one way, formula the other way, the engine's total) of each check."""
    s = ctx.results.summary
    out: list[tuple[str, str, str, float]] = []

    def total(key: str, modes: tuple[str, ...]) -> float:
        mask = np.isin(ctx.modes, modes)
        return float(np.nansum(s[key].to_numpy(dtype=np.float64)[mask]))

    if d.years is not None and d.costs is not None:
        pv = total("pv_costs", ("appraisal", "comparison"))
        out.append(
            (
                "PV costs: Summary's projects = Years' discounted costs",
                f"SUM({summary.named('pv_costs')})",
                f"SUM({d.years.named('pv_costs')})",
                pv,
            )
        )
        out.append(
            (
                "PV costs: Cost rows' present values = Years' discounted costs",
                f"SUM({d.costs.named('pv')})",
                f"SUM({d.years.named('pv_costs')})",
                pv,
            )
        )
    if d.outcomes is not None and d.years is not None:
        fiscal = total("pv_fiscal", ("appraisal",))
        out.append(
            (
                "PV fiscal benefits: Summary = Outcome values",
                f"SUM({summary.named('pv_fiscal')})",
                f"SUM({d.outcomes.named('pv_fiscal')})",
                fiscal,
            )
        )
        out.append(
            (
                "PV fiscal benefits: Outcome values = Years' discounted fiscal benefits",
                f"SUM({d.outcomes.named('pv_fiscal')})",
                f"SUM({d.years.named('pv_fiscal')})",
                fiscal,
            )
        )
        out.append(
            (
                "PV fiscal benefits: cashable + non-cashable = all (Summary)",
                f"SUM({summary.named('pv_fiscal_cashable')})"
                f"+SUM({summary.named('pv_fiscal_non_cashable')})",
                f"SUM({summary.named('pv_fiscal')})",
                fiscal,
            )
        )
        if d.project_agencies is not None:
            out.append(
                (
                    "PV fiscal benefits: by agency (Project agencies) = Summary",
                    f"SUM({d.project_agencies.named('pv_fiscal')})",
                    f"SUM({summary.named('pv_fiscal')})",
                    fiscal,
                )
            )
    if d.project_agencies is not None and d.costs is not None:
        out.append(
            (
                "PV costs: by agency (Project agencies) = Cost rows",
                f"SUM({d.project_agencies.named('pv_costs')})",
                f"SUM({d.costs.named('pv')})",
                float(ctx.costs["pv"].sum()),
            )
        )
    return out


def write_checks(book: Book, ctx: Context, summary: Table, detail: Detail) -> None:
    """The checks, one a row, each with its two sums, their difference and TRUE/FALSE."""
    ws: Any = book.sheets[SHEET]
    ws.write_row(0, 0, HEADERS, book.header)
    ws.set_column(0, 0, 64)
    ws.set_column(1, 3, 18)
    ws.set_column(4, 4, 10)
    money = book.fmt("money")
    checks = _checks(ctx, summary, detail)
    for i, (what, one, other, value) in enumerate(checks, start=1):
        r = i + 1
        book.text(ws, i, 0, what)
        book.formula(ws, i, 1, one, money, value)
        book.formula(ws, i, 2, other, money, value)
        book.formula(ws, i, 3, f"B{r}-C{r}", money, 0.0)
        ws.write_formula(i, 4, f"ABS(D{r})<=MAX(0.01,0.000001*ABS(B{r}))", None, True)
    row = len(checks) + 2
    ws.write_string(row, 0, "All checks agree", book.bold)
    ws.write_formula(row, 4, f"AND(E2:E{len(checks) + 1})" if checks else "TRUE()", None, True)
    ws.freeze_panes(1, 0)
    ws.repeat_rows(0)
