"""A project as its page shows it: every stored value formatted for reading (£85,000, 45%,
2024-25), each cost row's value a year at base-year prices, the costs' totals by year,
and a checklist of what is missing before results can be worked out.

The values here are for reading the inputs back, not results: a cost row's value at
base-year prices is its amount (or units x unit cost, or salary build-up) moved to the
base year's prices with the GDP deflator (METHOD 1.2), before optimism bias and
discounting, which the results apply.  The engine's own checks still decide whether a
project can be computed; the checklist only says, in words, what a person has not
entered yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from calculator import prices
from calculator.fields import PROJECT_LISTS, Field
from calculator.reference import ReferenceData

from ..core.formatting import finite_number, money, number, percent
from ..core.words import choice_words, field_label
from . import documents


@dataclass(frozen=True)
class UnitCostFacts:
    """What the page says about a unit cost a row names."""

    code: str
    name: str
    unit: str
    value: float
    price_year: str
    agency: str


@dataclass
class ListView:
    """One list of the project as a table: headings, formatted cells, and totals."""

    name: str
    title: str
    headings: list[tuple[str, bool]]  # (heading, numeric)
    rows: list[list[str]]
    items: list[dict[str, Any]]
    totals: list[tuple[str, str]] = field(default_factory=list)  # (year, total)


@dataclass(frozen=True)
class Step:
    """One line of the checklist: what to do, whether it is done, where to do it."""

    text: str
    done: bool
    href: str | None = None


def costing_of(row: dict[str, Any]) -> str | None:
    """The way a stored cost row is worked out, or None if it names none yet."""
    if row.get("salary") not in (None, ""):
        return "staff"
    if row.get("unit_cost_code") not in (None, ""):
        return "unit"
    if row.get("amount") not in (None, ""):
        return "amount"
    return None


def financial_year(base_year: str, offset: int) -> str:
    """The financial year ``offset`` years after ``base_year``: 2024-25 + 2 -> 2026-27."""
    return prices.financial_year(int(base_year[:4]) + offset)


def _share(value: Any) -> str:
    figure = finite_number(value)
    if figure is None:
        return ""
    return percent(figure, 0 if round(figure * 100, 6).is_integer() else 1)


def cell(spec: Field, value: Any, facts: dict[str, UnitCostFacts] | None = None) -> str:
    """One stored value as a person reads it: £ for money, % for shares, words for choices."""
    if value is None or value == "":
        return ""
    if spec.kind == "rate":
        return _share(value)
    if spec.kind == "choice":
        return choice_words(str(value))
    if spec.kind == "bool":
        return "Yes" if value else "No"
    if spec.kind == "code":
        found = (facts or {}).get(str(value).lower())
        return f"{value}: {found.name}" if found else str(value)
    if spec.kind == "discount":
        figure = finite_number(value)
        return _share(figure) if figure is not None else choice_words(str(value))
    if spec.kind in ("number", "integer"):
        if spec.unit.startswith("£"):
            return money(value)
        return number(value, 2)
    return str(value)


def unit_cost_facts(
    table_rows: Any, local: list[dict[str, Any]] | None, codes: set[str]
) -> dict[str, UnitCostFacts]:
    """The unit costs the project names (``codes``, any case), by code in lower case: the
    table's, then the project's own local rows over them.  Only those rows are read."""
    wanted = {c.lower() for c in codes}
    index = {str(code).lower(): code for code in table_rows.index if str(code).lower() in wanted}
    facts: dict[str, UnitCostFacts] = {}
    for lower, code in index.items():
        row = table_rows.loc[code]
        facts[lower] = UnitCostFacts(
            str(code),
            str(row.get("name") or ""),
            str(row.get("unit") or ""),
            float(row.get("value") or 0.0),
            str(row.get("price_year") or ""),
            str(row.get("agency") or ""),
        )
    for row in local or []:
        if isinstance(row, dict) and str(row.get("code") or "").lower() in wanted:
            facts[str(row["code"]).lower()] = UnitCostFacts(
                str(row["code"]),
                str(row.get("name") or ""),
                str(row.get("unit") or ""),
                float(finite_number(row.get("value")) or 0.0),
                str(row.get("price_year") or ""),
                str(row.get("agency") or ""),
            )
    return facts


def codes_named(doc: dict[str, Any]) -> set[str]:
    """Every unit cost code the project's lists name."""
    return {
        str(row["unit_cost_code"])
        for name in PROJECT_LISTS
        for row in documents.rows(doc, name)
        if row.get("unit_cost_code")
    }


def _factor(reference: ReferenceData, price_year: str, base_year: str) -> float | None:
    try:
        return reference.deflators.factor(price_year or base_year, base_year)
    except (KeyError, ValueError):
        return None


def cost_value(
    row: dict[str, Any],
    facts: dict[str, UnitCostFacts],
    reference: ReferenceData,
    base_year: str,
) -> float | None:
    """A cost row's value for one year at base-year prices, before optimism bias and
    discounting (an offset's is negative); None when it cannot be valued yet."""
    way = costing_of(row)
    quantity = finite_number(row.get("quantity"))
    value: float | None = None
    price_year = str(row.get("price_year") or "")
    if way == "amount":
        value = finite_number(row.get("amount"))
    elif way == "unit":
        found = facts.get(str(row.get("unit_cost_code")).lower())
        if found is None:
            return None
        value = found.value * (1.0 if quantity is None else quantity)
        price_year = found.price_year
    elif way == "staff":
        salary = finite_number(row.get("salary")) or 0.0
        staff = (
            salary
            * (1 + (finite_number(row.get("on_costs")) or 0.0))
            * (1 + (finite_number(row.get("overheads")) or 0.0))
        )
        hours = finite_number(row.get("productive_hours"))
        if hours:
            staff /= hours
        value = staff * (1.0 if quantity is None else quantity)
    if value is None:
        return None
    factor = _factor(reference, price_year, base_year)
    if factor is None:
        return None
    signed = -value if row.get("kind") == "offset" else value
    return signed * factor


def _years_of(row: dict[str, Any]) -> tuple[int, int]:
    first = int(finite_number(row.get("year")) or 0)
    last = finite_number(row.get("end_year"))
    return first, int(last) if last is not None else first


def _cost_how(row: dict[str, Any], facts: dict[str, UnitCostFacts]) -> str:
    way = costing_of(row)
    quantity = finite_number(row.get("quantity"))
    if way == "amount":
        year = f" at {row['price_year']} prices" if row.get("price_year") else ""
        return f"{money(row.get('amount'))}{year}"
    if way == "unit":
        code = str(row.get("unit_cost_code"))
        found = facts.get(code.lower())
        what = f"{found.name} ({code})" if found else code
        return f"{number(1.0 if quantity is None else quantity, 2)} × {what}"
    if way == "staff":
        parts = [f"salary {money(row.get('salary'))}"]
        if finite_number(row.get("on_costs")):
            parts.append(f"on-costs {_share(row.get('on_costs'))}")
        if finite_number(row.get("overheads")):
            parts.append(f"overheads {_share(row.get('overheads'))}")
        posts = number(1.0 if quantity is None else quantity, 2)
        unit = "hours" if finite_number(row.get("productive_hours")) else "posts"
        return f"{posts} {unit}: " + ", ".join(parts)
    return "Not worked out yet"


def _year_words(base_year: str, first: int, last: int) -> str:
    if last <= first:
        return financial_year(base_year, first)
    return f"{financial_year(base_year, first)} to {financial_year(base_year, last)}"


def costs_view(
    items: list[dict[str, Any]],
    facts: dict[str, UnitCostFacts],
    reference: ReferenceData,
    base_year: str,
    years: int,
) -> ListView:
    """The cost rows: what, how, when, who pays, and the value a year at base-year prices;
    with the totals by financial year."""
    headings = [
        ("What the cost is for", False),
        ("How it is worked out", False),
        ("Years", False),
        ("Who pays", False),
        ("Kind", False),
        ("Confidence grade", True),
        (f"Each year, at {base_year} prices", True),
    ]
    totals = [0.0] * years
    rows = []
    for row in items:
        value = cost_value(row, facts, reference, base_year)
        first, last = _years_of(row)
        if value is not None:
            for t in range(max(first, 0), min(last, years - 1) + 1):
                totals[t] += value
        code = str(row.get("unit_cost_code") or "").lower()
        agency = row.get("agency") or (facts[code].agency if code in facts else "")
        rows.append(
            [
                str(row.get("description") or ""),
                _cost_how(row, facts),
                _year_words(base_year, first, last),
                str(agency),
                choice_words(str(row.get("kind") or "recurring")),
                str(row.get("confidence_grade") or ""),
                money(value) if value is not None else "not known",
            ]
        )
    return ListView(
        "costs",
        "Costs",
        headings,
        rows,
        items,
        [(financial_year(base_year, t), money(total)) for t, total in enumerate(totals)],
    )


def outcomes_view(
    items: list[dict[str, Any]],
    facts: dict[str, UnitCostFacts],
    reference: ReferenceData,
    base_year: str,
    themes: dict[int, str],
) -> ListView:
    """The outcome rows: what, the unit cost avoided (valued at base-year prices), who,
    the rates, when, and the theme."""
    headings = [
        ("What the outcome is", False),
        ("Unit cost avoided", False),
        (f"Unit value at {base_year} prices", True),
        ("People", True),
        ("Success rate", True),
        ("Deadweight", True),
        ("Years", False),
        ("Theme", False),
    ]
    rows = []
    for row in items:
        code = str(row.get("unit_cost_code") or "")
        found = facts.get(code.lower())
        factor = _factor(reference, found.price_year, base_year) if found else None
        value = found.value * factor if found and factor is not None else None
        start = int(finite_number(row.get("cohort_year")) or 0)
        start += int(finite_number(row.get("lag")) or 0)
        duration = int(finite_number(row.get("duration")) or 1)
        theme = finite_number(row.get("outcome_theme"))
        rows.append(
            [
                str(row.get("description") or ""),
                f"{found.name} ({code})" if found else code,
                money(value, pence=True) if value is not None else "not known",
                number(row.get("cohort"), 2),
                _share(row.get("success")),
                _share(row.get("deadweight")) or "0%",
                _year_words(base_year, start, start + duration - 1),
                themes.get(int(theme), str(int(theme))) if theme is not None else "",
            ]
        )
    return ListView("outcomes", "Outcomes", headings, rows, items)


def generic_view(
    name: str, items: list[dict[str, Any]], facts: dict[str, UnitCostFacts]
) -> ListView:
    """Any other list: the declared fields that hold something, each formatted."""
    fields = [
        f
        for f in PROJECT_LISTS[name]
        if not f.name.endswith(("_low", "_high"))
        and any(r.get(f.name) not in (None, "") for r in items)
    ]
    numeric = ("number", "integer", "rate")
    return ListView(
        name,
        field_label(name),
        [(field_label(f.name, name), f.kind in numeric) for f in fields],
        [[cell(f, r.get(f.name), facts) for f in fields] for r in items],
        items,
    )


def checklist(doc: dict[str, Any], href: Any) -> list[Step]:
    """What a project needs before results can be worked out, by its mode, in words.
    ``href(list_name)`` is where each is added (``details`` for the project's own fields)."""
    mode = str(doc.get("mode") or "appraisal")
    values = documents.project_values(doc)

    def has(name: str) -> bool:
        return bool(documents.rows(doc, name))

    if mode == "comparison":
        return [
            Step(
                "Give the number of cases in each group",
                bool(values.get("intervention_cases")) and bool(values.get("comparison_cases")),
                href("details"),
            ),
            Step(
                "Add the intervention group's use of services",
                has("intervention_usage"),
                href("intervention_usage"),
            ),
            Step(
                "Add the comparison group's use of services",
                has("comparison_usage"),
                href("comparison_usage"),
            ),
            Step("Add the project's costs", has("costs"), href("costs")),
        ]
    if mode == "case_level":
        # the service's running cost and throughput are not needed to compute (without
        # them there is no whole-service projection, which the warnings say)
        return [
            Step("Add the cases seen", has("cases"), href("cases")),
            Step("Add the outcomes of the cases", has("case_outcomes"), href("case_outcomes")),
        ]
    return [
        Step("Add at least one cost", has("costs"), href("costs")),
        Step("Add at least one outcome", has("outcomes"), href("outcomes")),
    ]
