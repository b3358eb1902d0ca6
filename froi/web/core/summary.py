"""A row of headline figures per project, from stored results, sortable and filterable.

The batch results page and the portfolio show projects side by side: project, mode,
outcome themes, present value of costs and of fiscal benefits, FROI, NPV, payback year,
value-for-money band and cashable benefits.  The rows come from a stored run's results
(``Results.to_dict()``), so the figures on the page are the figures the run recorded.

**Outcome themes.**  An outcome row may name one of the 24 common outcome themes
(``outcome_theme``, named in ``unit_costs/outcome_themes.csv`` and carried in the
reference data as ``outcome_themes``); that is its theme.  An outcome that names none is
put under the theme of its unit cost, the first part of the unit cost's group in the
table in use (``Crime``, ``Health``...), so every pound of fiscal benefit has a theme.

**Sorting** is done on the server: every column heading is a link that sorts by it
(again to reverse), and carries ``aria-sort`` when the table is sorted by it.  Missing
figures (a mode that does not report NPV, a payback that never comes) sort last in
either direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from calculator.appraisal import VFM_BANDS
from calculator.reference import ReferenceData

from .reference import theme_of


@dataclass(frozen=True)
class SortColumn:
    """A column that can be sorted: its key in the query, heading and kind of figure."""

    key: str
    heading: str
    numeric: bool = True


COLUMNS = (
    SortColumn("project", "Project", numeric=False),
    SortColumn("mode", "Mode", numeric=False),
    SortColumn("themes", "Outcome themes", numeric=False),
    SortColumn("pv_costs", "Present value of costs"),
    SortColumn("pv_fiscal", "Present value of fiscal benefits"),
    SortColumn("froi", "FROI"),
    SortColumn("npv", "Net present value"),
    SortColumn("payback", "Payback year"),
    SortColumn("band", "Value for money", numeric=False),
    SortColumn("cashable", "Cashable fiscal benefits"),
)
SORT_KEYS = {c.key for c in COLUMNS}
#: Bands in order of value, so sorting by band is sorting by value for money.
BAND_ORDER = {band: i for i, band in enumerate(VFM_BANDS)}


@dataclass
class SummaryRow:
    """One project's headline figures (``index`` is its position in the run)."""

    index: int
    project_id: str
    name: str
    mode: str
    pv_costs: float | None
    pv_fiscal: float | None
    froi: float | None
    npv: float | None
    payback: float | None
    band: str
    cashable: float | None
    #: fiscal benefits (present value) by outcome theme
    themes: dict[str, float] = field(default_factory=dict)
    #: the stored project this row is, when there is one
    project_pk: int | None = None
    organisation: str = ""

    def matches(self, words: list[str]) -> bool:
        """Whether every word is in the reference, name or organisation (any case)."""
        text = f"{self.project_id} {self.name} {self.organisation}".casefold()
        return all(word.casefold() in text for word in words)

    def value(self, key: str) -> Any:
        if key == "project":
            return self.project_id.casefold()
        if key == "themes":
            return ", ".join(sorted(self.themes)).casefold()
        if key == "band":
            return BAND_ORDER.get(self.band.casefold()) if self.band else None
        if key == "mode":
            return self.mode
        return getattr(self, key)


def _figure(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


#: Groups of the unit cost table that gather figures by where they come from, not by the
#: outcome they measure ("Current figures" holds recent figures of several areas): an
#: outcome valued with one of them says nothing of its theme, so it has none.
NOT_THEMES = frozenset({"Current figures"})


def theme_namer(reference: ReferenceData) -> Any:
    """A function giving an outcome row's theme (see the module's notes)."""
    names = reference.outcome_themes
    groups = reference.unit_costs.rows["group"]

    def name(outcome: dict[str, Any]) -> str:
        number = _figure(outcome.get("outcome_theme"))
        if number is not None and int(number) in names:
            return names[int(number)]
        code = outcome.get("unit_cost_code")
        group = str(groups.get(code, "") or "") if code is not None else ""
        theme = theme_of(group)
        return theme if theme and theme not in NOT_THEMES else "No theme"

    return name


def summary_rows(results: dict[str, Any], reference: ReferenceData) -> list[SummaryRow]:
    """A row per project of stored results, in the run's order."""
    name_theme = theme_namer(reference)
    rows = []
    for i, p in enumerate(results.get("projects", [])):
        themes: dict[str, float] = {}
        for outcome in p.get("outcomes") or []:
            theme = name_theme(outcome)
            themes[theme] = themes.get(theme, 0.0) + (_figure(outcome.get("pv_fiscal")) or 0.0)
        rows.append(
            SummaryRow(
                index=i,
                project_id=str(p.get("project_id") or ""),
                name=str(p.get("name") or ""),
                mode=str(p.get("mode") or "appraisal"),
                pv_costs=_figure(p.get("pv_costs")),
                pv_fiscal=_figure(p.get("pv_fiscal")),
                froi=_figure(p.get("froi")),
                npv=_figure(p.get("npv")),
                payback=_figure(p.get("payback_year")),
                band=str(p.get("value_for_money_band") or ""),
                cashable=_figure(p.get("pv_fiscal_cashable")),
                themes=themes,
                organisation=str(p.get("organisation") or ""),
            )
        )
    return rows


def sort_rows(rows: list[SummaryRow], key: str, descending: bool) -> list[SummaryRow]:
    """Rows sorted by a column; missing values last whichever way (stable)."""
    if key not in SORT_KEYS:
        return rows
    present = [r for r in rows if r.value(key) is not None]
    missing = [r for r in rows if r.value(key) is None]
    return sorted(present, key=lambda r: r.value(key), reverse=descending) + missing


def parse_sort(value: str | None, default: str = "project") -> tuple[str, bool]:
    """``froi`` (ascending) or ``-froi`` (descending) from the query; unknown -> default."""
    text = (value or "").strip()
    descending = text.startswith("-")
    key = text.lstrip("-")
    if key not in SORT_KEYS:
        return default, False
    return key, descending


def theme_totals(rows: list[SummaryRow]) -> list[tuple[str, float, int]]:
    """Fiscal benefits by theme over the rows: (theme, total, projects), largest first."""
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    for row in rows:
        for theme, value in row.themes.items():
            totals[theme] = totals.get(theme, 0.0) + value
            counts[theme] = counts.get(theme, 0) + 1
    return sorted(
        ((t, v, counts[t]) for t, v in totals.items()), key=lambda item: (-item[1], item[0])
    )
