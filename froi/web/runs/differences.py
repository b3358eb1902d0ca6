"""A re-run's differences in words: which figure, in plain English, and both values rounded.

:func:`froi.web.core.running.differences` finds each figure that changed by its place in
the stored results (``projects[0].fiscal_by_agency.Local Authority``).  People read
"Project EOC-01, fiscal benefits by agency, Local Authority" and "£1,810,344 → £1,790,120"
instead: :func:`in_words` names the figure from the results' own names (the project's
reference, a row's number and description) and formats its values as the pages do
(money to the pound, FROI per £1, shares as percentages, other numbers to at most three
decimal places).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..core.formatting import money, percent, ratio
from ..core.running import Difference

#: Figures named in words (the rest: their name with spaces for underscores).
NAMES = {
    "froi": "FROI",
    "npv": "net present value",
    "pv_costs": "present value of costs",
    "pv_fiscal": "present value of fiscal benefits",
    "pv_economic": "present value of economic benefits",
    "pv_social": "present value of social benefits",
    "pv_benefits": "present value of all benefits",
    "pv_fiscal_cashable": "cashable fiscal benefits",
    "pv_fiscal_non_cashable": "non-cashable fiscal benefits",
    "economic_roi": "economic return on investment",
    "public_value_roi": "public value return on investment",
    "net_fiscal_benefit": "net fiscal benefit",
    "payback_year": "payback year",
    "payback_year_undiscounted": "payback year (undiscounted)",
    "value_for_money_band": "value for money",
    "cost_per_participant": "cost per participant",
    "fiscal_benefit_per_participant": "fiscal benefit per participant",
    "net_fiscal_benefit_per_participant": "net fiscal benefit per participant",
    "fiscal_by_agency": "fiscal benefits by agency",
    "costs_by_agency": "costs by agency",
    "v_base": "value at base-year prices",
    "n": "number of outcomes",
    "switching_value": "switching value",
    "optimism_bias": "optimism bias",
    "discount_factor": "discount factor",
    "cumulative_fiscal_net": "cumulative net fiscal benefit",
    "engine_version": "calculator version",
    "base_year": "base year",
    "unit_cost_table": "unit cost table",
    "deflator_table": "deflator table",
    "optimism_bias_table": "optimism bias table",
    "discount_schedules": "discount schedules",
    "prob_froi_at_least_1": "chance that FROI is at least £1 per £1",
}
#: Rows of a list, by the list's name (the rest: "row").
ROWS = {"projects": "project", "outcomes": "outcome", "costs": "cost", "years": "year"}
RATIOS = {"froi", "economic_roi", "public_value_roi"}
SHARES = {"optimism_bias", "discount_factor", "switching_value"}
PLAIN = {"payback_year", "payback_year_undiscounted", "n", "t", "row", "participants"}
TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


@dataclass(frozen=True)
class Changed:
    """One figure that changed, in words: what it is, and its value before and now."""

    figure: str
    before: str
    now: str


def in_words(differences: list[Difference], results: dict[str, Any]) -> list[Changed]:
    return [Changed(*_words(d, results)) for d in differences]


def _words(difference: Difference, results: dict[str, Any]) -> tuple[str, str, str]:
    parts: list[str] = []
    node: Any = results
    container = key = ""
    tokens = TOKEN.findall(difference.path)
    for j, (index, name) in enumerate(tokens):
        listed = j + 1 < len(tokens) and bool(tokens[j + 1][0])  # a row of it follows
        if index:  # a row of the list just named
            i = int(index)
            node = node[i] if isinstance(node, list) and i < len(node) else None
            parts.append(_row_words(container, i, node))
            continue
        key = container = name
        node = node.get(name) if isinstance(node, dict) else None
        if name == "run" and not parts:
            parts.append("the run's record")
        elif not (listed and name in ROWS):  # a list is named by its rows ("outcome 3")
            parts.append(NAMES.get(name, name.replace("_", " ")))
    figure = ", ".join(parts) or difference.path
    figure = figure[:1].upper() + figure[1:]
    before, now = _value(key, difference.stored), _value(key, difference.now)
    if before == now:  # a difference smaller than the rounding: show where it is
        before, now = _precise(difference.stored), _precise(difference.now)
    return figure, before, now


def _precise(value: Any) -> str:
    """A number to nine significant figures (enough to see a re-run's small change)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.9g}"


def _row_words(container: str, i: int, item: Any) -> str:
    if container == "projects" and isinstance(item, dict) and item.get("project_id"):
        return f"project {item['project_id']}"
    if container == "years" and isinstance(item, dict) and isinstance(item.get("t"), int):
        return f"year {item['t']}"
    what = ROWS.get(container, f"{container.replace('_', ' ')} row")
    described = item.get("description") if isinstance(item, dict) else None
    return f"{what} {i + 1}" + (f" ({described})" if described else "")


def _value(key: str, value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return f"{len(value):,} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, list):
        return f"a list of {len(value):,}"
    if not isinstance(value, int | float):
        text = str(value)
        return text if len(text) <= 80 else text[:79] + "…"
    if key in RATIOS:
        return ratio(value)
    if key.startswith("prob_") or key in SHARES:
        return percent(value, 1)
    if key in PLAIN:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return money(value)
