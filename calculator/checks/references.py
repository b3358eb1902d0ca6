"""Rules about what rows refer to: unit cost codes in the table, price years in the
deflator table (METHOD 1.1, 1.2), and case references within a project (METHOD 4)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import Problem
from .context import CheckContext
from .names import CODED_LISTS


def unknown_codes(ctx: CheckContext, lists: tuple[str, ...] = CODED_LISTS) -> list[Problem]:
    """Every unit cost code a row names must be in the table the run uses."""
    table = ctx.table

    def message(code: Any) -> str:
        return (
            f"unit cost code '{code}' is not in table '{table.label}'; "
            "use a code from the table (froi unit-costs list) or add it to unit_costs"
        )

    problems: list[Problem] = []
    for name in lists:
        frame = ctx.lists[name]
        codes = frame["unit_cost_code"]
        unknown = codes.notna() & ~codes.isin(table.rows.index)
        problems += ctx.places.rows(
            frame, unknown, name, "unit_cost_code", message, of=codes, code="unknown_code"
        )
    return problems


def cost_and_outcome_codes(ctx: CheckContext) -> list[Problem]:
    """Unknown codes of cost and outcome rows (the lists a person fills first)."""
    return unknown_codes(ctx, ("costs", "outcomes"))


def usage_and_case_codes(ctx: CheckContext) -> list[Problem]:
    """Unknown codes of service-use and case-outcome rows."""
    return unknown_codes(ctx, ("intervention_usage", "comparison_usage", "case_outcomes"))


def cost_price_years(ctx: CheckContext) -> list[Problem]:
    """A cost's price year must be in the deflator table, to rebase it (METHOD 1.2)."""
    costs = ctx.lists["costs"]
    years = costs["price_year"]
    d = ctx.reference.deflators
    return ctx.places.rows(
        costs,
        years.notna() & ~years.isin(list(d.index)),
        "costs",
        "price_year",
        lambda year: (
            f"price year {year} is not in the deflator table "
            f"'{d.name} {d.version}' (it covers {min(d.index)} to {max(d.index)})"
        ),
        of=years,
        code="unknown_price_year",
    )


def case_references(ctx: CheckContext) -> list[Problem]:
    """Case ids are unique within a project, each case outcome belongs to one of the
    project's cases, and with teams every case's team has a throughput."""
    cases, case_outcomes, teams = (ctx.lists[n] for n in ("cases", "case_outcomes", "teams"))
    problems = ctx.places.rows(
        cases,
        cases.duplicated(subset=["_p", "case_id"], keep="first"),
        "cases",
        "case_id",
        lambda c: f"case_id '{c}' appears twice",
        of=cases["case_id"],
        code="duplicate_case",
    )
    keys = pd.MultiIndex.from_frame(cases[["_p", "case_id"]])
    problems += ctx.places.rows(
        case_outcomes,
        ~pd.MultiIndex.from_frame(case_outcomes[["_p", "case_id"]]).isin(keys),
        "case_outcomes",
        "case_id",
        lambda c: f"case_id '{c}' is not in this project's cases",
        of=case_outcomes["case_id"],
        code="unknown_case",
    )
    if len(teams):
        team_keys = pd.MultiIndex.from_frame(teams[["_p", "team"]])
        with_teams = cases["_p"].isin(teams["_p"])
        no_team = with_teams & ~pd.MultiIndex.from_frame(cases[["_p", "team"]]).isin(team_keys)
        problems += ctx.places.rows(
            cases,
            no_team,
            "cases",
            "team",
            lambda t: f"team '{t}' has no annual_throughput in the service's teams",
            of=cases["team"],
            code="unknown_team",
        )
    return problems


def observed_non_fiscal(ctx: CheckContext) -> list[Problem]:
    """The observed designs (METHOD 3 and 4) add up every row's value as a cost to the
    public purse: a row valued with an economic or social unit cost makes "costs
    avoided" or the observed FROI count value that is not fiscal.  Warned, naming the
    row and the category, so the person can pick a fiscal unit cost or its fiscal parts.
    """
    category = ctx.table.rows["category"]
    problems: list[Problem] = []
    for name, design in (
        ("intervention_usage", "costs avoided"),
        ("comparison_usage", "costs avoided"),
        ("case_outcomes", "the observed FROI"),
    ):
        frame = ctx.lists[name]
        kind = frame["unit_cost_code"].map(category)

        def message(code: Any, design: str = design) -> str:
            return (
                f"unit cost {code} is categorised {category[code]}, not fiscal: {design} "
                "would count value that is not a cost to public budgets; use a fiscal unit "
                "cost (or the unit cost's fiscal parts)"
            )

        problems += ctx.places.rows(
            frame,
            kind.notna() & (kind != "fiscal"),
            name,
            "unit_cost_code",
            message,
            severity="warning",
            of=frame["unit_cost_code"],
            code="observed_non_fiscal",
        )
    return problems
