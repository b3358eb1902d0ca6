"""What a results page shows, built from a stored run's results (``Results.to_dict()``).

Pages, CSV downloads and charts are all drawn from the run as stored, never from a new
calculation, so the figures a person downloads are the figures they saw and the figures
the run recorded.  Each table is declared once (:class:`~.tables.Table`): the HTML table
beside a chart and its CSV download come from the same columns and rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from calculator.appraisal import VFM_BANDS, VFM_EDGES
from calculator.checks import FIRST as HEADLINE

from . import charts
from .formatting import money, number, payback, percent, ratio
from .tables import Column, Table
from .words import choice_words, plain_text

#: Bars in the tornado chart: the inputs that move FROI most.
TORNADO_BARS = 12


@dataclass(frozen=True)
class Figure:
    """One headline figure: what it is, its value in words, and how to read it."""

    name: str
    value: str
    note: str = ""

    @property
    def term(self) -> str:
        """The glossary entry (``/glossary#...``) that explains this figure."""
        return figure_term(self.name)


#: Glossary anchors of figures whose words alone do not say which entry explains them.
FIGURE_TERMS = {
    "Net budget impact": "fiscal-benefit",
    "Payback": "payback",
    "Value for money": "value-for-money",
    "Cashable fiscal benefits": "cashable",
    "Non-cashable fiscal benefits": "cashable",
    "Projected annual FROI": "froi",
    "Sample confidence level": "observed-froi",
    "Simulations": "uncertainty",
}


def figure_term(name: str) -> str:
    """The glossary anchor of a headline figure, by its name."""
    if name in FIGURE_TERMS:
        return FIGURE_TERMS[name]
    if name.startswith(("Chance", "FROI, middle", "NPV, middle")):
        return "uncertainty"
    if "Observed" in name or "case" in name:
        return "observed-froi"
    if "FROI" in name:
        return "froi"
    if "NPV" in name:
        return "npv"
    if "benefit" in name:
        return "fiscal-benefit"
    return "present-value"


@dataclass
class ProjectFigures:
    index: int
    project: dict[str, Any]
    headline: list[Figure] = field(default_factory=list)
    uncertainty: list[Figure] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    charts: dict[str, Markup] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        return str(self.project.get("mode"))

    @property
    def headline_warnings(self) -> list[str]:
        """Warnings that stand above the figures: a project with no outcomes or no costs,
        whose figures of 0 are probably a slip."""
        return [self._text(w) for w in self._warnings() if w.get("code") in HEADLINE]

    @property
    def warnings(self) -> list[str]:
        return [self._text(w) for w in self._warnings() if w.get("code") not in HEADLINE]

    def _warnings(self) -> list[dict[str, Any]]:
        return list(self.project.get("warnings", []))

    @staticmethod
    def _text(warning: dict[str, Any]) -> str:
        """A warning in a page's words: fields said as their labels, not their names."""
        return plain_text(str(warning.get("text") or warning.get("message")))


def vfm_bands_in_words() -> str:
    """The value-for-money bands, from the engine's edges (so words and rule agree)."""
    edges = [ratio(e) for e in VFM_EDGES]
    parts = [f"{VFM_BANDS[0]}: below {edges[0]}"]
    parts += [
        f"{VFM_BANDS[i]}: {edges[i - 1]} to {edges[i]}".replace(" per £1 to", " to")
        for i in range(1, len(VFM_BANDS) - 1)
    ]
    parts.append(f"{VFM_BANDS[-1]}: {edges[-1]} or more")
    return "; ".join(parts)


def _band(p: dict[str, Any], basis: str) -> Figure:
    band = p.get("value_for_money_band")
    ranges = dict(zip(VFM_BANDS, vfm_bands_in_words().split("; "), strict=True))
    meaning = f" {ranges[band].capitalize()}." if band in ranges else ""
    return Figure(
        "Value for money",
        str(band).capitalize() if band else "not available",
        f"On the {basis}.{meaning}",
    )


def _appraisal(p: dict[str, Any]) -> list[Figure]:
    froi = p.get("froi")
    net_return = f"Net return {ratio(froi - 1)}." if isinstance(froi, float | int) else ""
    figures = [
        Figure("Fiscal return on investment (FROI)", ratio(froi), net_return),
        Figure("Net present value (NPV)", money(p.get("npv")), "All benefits less all costs."),
        Figure(
            "Net budget impact",
            money(p.get("net_fiscal_benefit")),
            "Net fiscal benefit: fiscal benefits less costs, at present value.",
        ),
        Figure("Payback", payback(p.get("payback_year")).capitalize(), "Discounted."),
        _band(p, f"public value ratio, {ratio(p.get('public_value_roi'))}"),
        Figure("Present value of costs", money(p.get("pv_costs"))),
        Figure("Present value of fiscal benefits", money(p.get("pv_fiscal"))),
        Figure("Cashable fiscal benefits", money(p.get("pv_fiscal_cashable"))),
        Figure("Non-cashable fiscal benefits", money(p.get("pv_fiscal_non_cashable"))),
    ]
    if p.get("participants"):
        figures += [
            Figure("Cost per participant", money(p.get("cost_per_participant"))),
            Figure(
                "Net fiscal benefit per participant",
                money(p.get("net_fiscal_benefit_per_participant")),
            ),
        ]
    return figures


def _comparison(p: dict[str, Any]) -> list[Figure]:
    return [
        Figure(
            "Costs-avoided ratio (FROI)",
            ratio(p.get("froi")),
            "Costs avoided per case over delivery cost per case.",
        ),
        Figure("Costs avoided per case", money(p.get("costs_avoided_per_case"))),
        Figure("Delivery cost per case", money(p.get("delivery_cost_per_case"))),
        Figure("Net saving per case", money(p.get("net_saving_per_case"))),
        Figure("Cost per case, intervention group", money(p.get("cost_per_case_intervention"))),
        Figure("Cost per case, comparison group", money(p.get("cost_per_case_comparison"))),
        Figure("Costs avoided in total", money(p.get("costs_avoided_total"))),
        Figure("Net saving in total", money(p.get("net_saving_total"))),
        _band(p, "costs-avoided ratio"),
    ]


def _case_level(p: dict[str, Any]) -> list[Figure]:
    low, high = (p.get("observed_froi_interval") or [None, None])[:2]
    return [
        Figure(
            "Observed FROI",
            ratio(p.get("observed_froi")),
            f"On {number(p.get('cases'))} cases; 95% bootstrap interval "
            f"{ratio(low)} to {ratio(high)}.",
        ),
        Figure("Projected annual FROI", ratio(p.get("projected_annual_froi")), "Whole service."),
        Figure("Projected annual benefits", money(p.get("projected_annual_benefits"))),
        Figure(
            "Sample confidence level",
            percent(p.get("sample_confidence_level"), 1),
            "How far the cases seen represent the year's cases, at the margin of error given.",
        ),
        Figure("Benefits on the cases seen", money(p.get("total_case_benefits"))),
        Figure("Costs of the cases seen", money(p.get("total_case_costs"))),
        Figure("Mean benefit per case", money(p.get("mean_benefit_per_case"))),
        Figure("Mean cost per case", money(p.get("mean_cost_per_case"))),
        _band(p, "observed FROI"),
    ]


def _uncertainty(u: dict[str, Any]) -> list[Figure]:
    return [
        Figure("Chance that FROI is at least £1 per £1", percent(u.get("prob_froi_at_least_1"), 1)),
        Figure("Chance that NPV is above zero", percent(u.get("prob_npv_positive"), 1)),
        Figure(
            "FROI, middle 90% of simulations",
            f"{ratio(u.get('froi_p5'))} to {ratio(u.get('froi_p95'))}",
            f"Median {ratio(u.get('froi_p50'))}; mean {ratio(u.get('froi_mean'))}.",
        ),
        Figure(
            "NPV, middle 90% of simulations",
            f"{money(u.get('npv_p5'))} to {money(u.get('npv_p95'))}",
            f"Median {money(u.get('npv_p50'))}; mean {money(u.get('npv_mean'))}.",
        ),
        Figure("Simulations", number(u.get("simulations")), f"Seed {u.get('seed')}."),
    ]


def _agency_rows(p: dict[str, Any]) -> list[dict[str, Any]]:
    """Who pays and who saves, with the cashable part summed from the outcome rows."""
    saves: dict[str, float] = p.get("fiscal_by_agency") or {}
    pays: dict[str, float] = p.get("costs_by_agency") or {}
    cashable: dict[str, float] = {}
    for o in p.get("outcomes", []):
        if o.get("cashable") and o.get("category") == "fiscal":
            agency = str(o.get("agency"))
            cashable[agency] = cashable.get(agency, 0.0) + float(o.get("pv_fiscal") or 0.0)
    return [
        {
            "agency": agency,
            "pays": pays.get(agency, 0.0),
            "saves": saves.get(agency, 0.0),
            "cashable": cashable.get(agency, 0.0),
            "non_cashable": saves.get(agency, 0.0) - cashable.get(agency, 0.0),
            "net": saves.get(agency, 0.0) - pays.get(agency, 0.0),
        }
        for agency in sorted(set(saves) | set(pays))
    ]


#: What each input the tornado varies is, in words.
TORNADO_INPUTS = {
    "success": "success rate",
    "deadweight": "deadweight",
    "value": "unit value",
    "amount": "cost",
}
#: Characters of a tornado bar's label (the chart leaves it 230 pixels); the table has all.
TORNADO_LABEL = 34


def tornado_label(t: dict[str, Any]) -> str:
    """A tornado row named by what the person wrote: "Entries to care avoided: success
    rate", or "Outcome 3: unit value" for a row with no description."""
    kind = "Outcome" if t.get("list") == "outcomes" else "Cost"
    label = str(t.get("label") or "").strip()
    what = TORNADO_INPUTS.get(str(t.get("field")), str(t.get("field")).replace("_", " "))
    row = t.get("row")
    named = label if label and label != "cost row" else f"{kind} {row}"
    return f"{named}: {what}"


def _short(text: str) -> str:
    """A chart label cut to fit, keeping what the input is (after the colon)."""
    if len(text) <= TORNADO_LABEL:
        return text
    name, _, what = text.rpartition(": ")
    room = max(TORNADO_LABEL - len(what) - 3, 8)
    return f"{name[:room].rstrip()}…: {what}"


def _columns(*spec: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(key, heading, kind) for key, heading, kind in spec)


def project_tables(p: dict[str, Any]) -> dict[str, Table]:
    """The tables of figures of one project of a run's results, by name."""
    mode = p.get("mode")
    tables: dict[str, Table] = {}
    if mode == "appraisal":
        tables["cashflow"] = Table(
            "cashflow",
            "Costs and fiscal benefits by year",
            _columns(
                ("t", "Year", "year"),
                ("costs", "Costs (real)", "money"),
                ("fiscal", "Fiscal benefits (real)", "money"),
                ("discount_factor", "Discount factor", "number"),
                ("pv_costs", "Costs (present value)", "money"),
                ("pv_fiscal", "Fiscal benefits (present value)", "money"),
                ("cumulative_fiscal_net", "Cumulative net position", "money"),
            ),
            p.get("years", []),
        )
        tables["agencies"] = Table(
            "agencies",
            "Who pays and who saves, by agency (present values)",
            _columns(
                ("agency", "Agency", "text"),
                ("pays", "Pays (costs)", "money"),
                ("saves", "Saves (fiscal benefits)", "money"),
                ("cashable", "Of which cashable", "money"),
                ("non_cashable", "Of which non-cashable", "money"),
                ("net", "Net", "money"),
            ),
            _agency_rows(p),
        )
        tables["outcomes"] = Table(
            "outcomes",
            "Outcomes and their switching values",
            _columns(
                ("row", "Row", "year"),
                ("description", "Outcome", "text"),
                ("unit_cost_code", "Unit cost", "text"),
                ("agency", "Agency", "text"),
                ("cashable", "Cashable", "yes_no"),
                ("n", "Net outcomes", "number"),
                ("v_base", "Unit value (base year)", "pence"),
                ("pv_fiscal", "Fiscal benefit (present value)", "money"),
                ("switching_value", "Switching value (success rate for FROI of 1)", "percent"),
            ),
            p.get("outcomes", []),
        )
    if mode in ("appraisal", "comparison"):
        tables["costs"] = Table(
            "costs",
            "Costs as costed",
            _columns(
                ("row", "Row", "year"),
                ("description", "Cost", "text"),
                ("year", "From year", "year"),
                ("end_year", "To year", "year"),
                ("kind", "Kind", "text"),
                ("agency", "Who pays", "text"),
                ("real", "Amount a year (base-year prices)", "money"),
                ("confidence_grade", "Grade", "year"),
                ("optimism_bias", "Optimism bias", "percent"),
                ("pv", "Present value", "money"),
            ),
            # the kind in words (Set-up (one-off)), in the page and its CSV alike
            [{**c, "kind": choice_words(str(c.get("kind") or ""))} for c in p.get("costs", [])],
        )
    if mode == "comparison":
        tables["comparison_by_agency"] = Table(
            "comparison_by_agency",
            "Costs avoided by agency",
            _columns(
                ("agency", "Agency", "text"),
                ("cost_per_case_intervention", "Cost per case, intervention", "money"),
                ("cost_per_case_comparison", "Cost per case, comparison", "money"),
                ("costs_avoided_per_case", "Costs avoided per case", "money"),
                ("costs_avoided_total", "Costs avoided in total", "money"),
            ),
            p.get("comparison_by_agency", []),
        )
    if mode == "case_level":
        tables["cases"] = Table(
            "cases",
            "Cases",
            _columns(
                ("case_id", "Case", "text"),
                ("team", "Team", "text"),
                ("cost", "Cost", "money"),
                ("benefit", "Benefit", "money"),
                ("case_froi", "FROI of the case", "ratio"),
            ),
            p.get("cases_detail", []),
        )
    bars = (p.get("uncertainty") or {}).get("froi_histogram")
    if bars:
        tables["histogram"] = Table(
            "histogram",
            "Simulations by FROI: the first and last bars also count the few draws beyond",
            _columns(
                ("froi_from", "FROI from", "ratio"),
                ("froi_to", "FROI to", "ratio"),
                ("simulations", "Simulations", "number"),
            ),
            bars,
        )
    tornado = (p.get("uncertainty") or {}).get("tornado")
    if tornado:
        rows = [
            {
                **t,
                "input": tornado_label(t),
                "list": "Outcome" if t.get("list") == "outcomes" else "Cost",
            }
            for t in tornado
        ]
        tables["tornado"] = Table(
            "tornado",
            "FROI with each input at its low and high end, largest swing first",
            _columns(
                ("input", "Input", "text"),
                ("list", "List", "text"),
                ("row", "Row", "year"),
                ("low", "Low end", "number"),
                ("high", "High end", "number"),
                ("froi_low", "FROI at low end", "ratio"),
                ("froi_high", "FROI at high end", "ratio"),
                ("swing", "Swing in FROI", "number"),
            ),
            rows,
        )
    return tables


def project_figures(
    results: dict[str, Any], chart_prefix: str = "chart", only: range | None = None
) -> list[ProjectFigures]:
    """Headline figures, tables and charts for every project of a run's results (or for
    the projects numbered in ``only``; each keeps its number in the run)."""
    out = []
    projects = results.get("projects", [])
    for i in only if only is not None else range(len(projects)):
        p = projects[i]
        mode = p.get("mode")
        figures = ProjectFigures(index=i, project=p, tables=project_tables(p))
        figures.headline = {
            "appraisal": _appraisal,
            "comparison": _comparison,
            "case_level": _case_level,
        }.get(str(mode), _appraisal)(p)
        if p.get("uncertainty"):
            figures.uncertainty = _uncertainty(p["uncertainty"])
        _charts(figures, f"{chart_prefix}-{i}")
        out.append(figures)
    return out


def _charts(figures: ProjectFigures, prefix: str) -> None:
    p, tables = figures.project, figures.tables
    if "cashflow" in tables and tables["cashflow"].rows:
        years = [int(r["t"]) for r in tables["cashflow"].rows]
        cumulative = [float(r["cumulative_fiscal_net"]) for r in tables["cashflow"].rows]
        figures.charts["cashflow"] = charts.cashflow(
            years, cumulative, p.get("payback_year"), f"{prefix}-cashflow"
        )
    if "agencies" in tables and tables["agencies"].rows:
        rows = tables["agencies"].rows
        figures.charts["agencies"] = charts.paired_bars(
            [r["agency"] for r in rows],
            [r["saves"] for r in rows],
            [r["pays"] for r in rows],
            ("saves", "pays"),
            f"{prefix}-agencies",
            "What each agency saves and pays (present values)",
        )
    if "histogram" in tables and tables["histogram"].rows:
        rows = tables["histogram"].rows
        figures.charts["histogram"] = charts.histogram(
            [float(r["froi_from"]) for r in rows],
            [float(r["froi_to"]) for r in rows],
            [int(r["simulations"]) for r in rows],
            f"{prefix}-histogram",
        )
    if "tornado" in tables and p.get("froi") is not None:
        # the inputs that move FROI most (the engine sorts by swing); the table has all,
        # including any whose FROI cannot be formed (costs at or below zero at one end)
        rows = [
            r for r in tables["tornado"].rows if None not in (r.get("froi_low"), r.get("froi_high"))
        ][:TORNADO_BARS]
        figures.charts["tornado"] = charts.tornado(
            [_short(r["input"]) for r in rows],
            [float(r["froi_low"]) for r in rows],
            [float(r["froi_high"]) for r in rows],
            float(p.get("froi") or 0.0),
            f"{prefix}-tornado",
        )
