"""Rules about whole projects: unique ids, price years, what each mode needs (METHOD 2-4)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..errors import Problem
from .context import CheckContext


def unique_project_ids(ctx: CheckContext) -> list[Problem]:
    """Each project needs its own project_id: results are keyed by it."""
    ids = ctx.projects["project_id"]
    duplicate = ids.duplicated(keep="first") & ids.notna()
    return ctx.places.projects(
        duplicate,
        lambda p: (
            f"project_id '{ids.iat[p]}' is used by more than one project; "
            "each project needs its own"
        ),
        field="project_id",
        code="duplicate_project_id",
    )


def project_price_years(ctx: CheckContext) -> list[Problem]:
    """The price years of case costs and of the service must be in the deflator table
    (METHOD 1.2)."""
    known = list(ctx.reference.deflators.index)
    problems: list[Problem] = []
    for column in ("case_cost_price_year", "service_price_year"):
        years = ctx.projects[column]
        problems += ctx.places.projects(
            years.notna() & ~years.isin(known),
            _not_in_the_deflator_table(years),
            field=column,
            code="unknown_price_year",
        )
    return problems


def _not_in_the_deflator_table(years: pd.Series) -> Callable[[int], str]:
    return lambda p: f"price year {years.iat[p]} is not in the deflator table"


def comparison_cases(ctx: CheckContext) -> list[Problem]:
    """A comparison project divides by both groups' case counts (METHOD 3)."""
    mode = ctx.projects["mode"]
    problems: list[Problem] = []
    for column in ("intervention_cases", "comparison_cases"):
        problems += ctx.places.projects(
            (mode == "comparison") & ~(ctx.projects[column] > 0),
            f"a comparison project needs {column} greater than 0",
            field=column,
            code="no_cases",
        )
    return problems


def case_level_cases(ctx: CheckContext) -> list[Problem]:
    """A case-level project's figures come from its cases (METHOD 4)."""
    return ctx.places.projects(
        (ctx.projects["mode"] == "case_level") & (ctx.rows_per_project("cases") == 0),
        "a case_level project needs at least one row in cases",
        list="cases",
        code="no_cases",
    )


def comparison_usage(ctx: CheckContext) -> list[Problem]:
    """A comparison group that used nothing costs nothing: allowed, but said."""
    return ctx.places.projects(
        (ctx.projects["mode"] == "comparison") & (ctx.rows_per_project("comparison_usage") == 0),
        "a comparison project has no comparison_usage rows, so its comparison group costs nothing",
        list="comparison_usage",
        severity="warning",
        code="no_comparison_usage",
    )


def whole_service(ctx: CheckContext) -> list[Problem]:
    """The whole-service projection needs the service's running cost and throughput."""
    projects = ctx.projects
    has_throughput = (projects["annual_throughput"] > 0) | (ctx.rows_per_project("teams") > 0)
    has_service = (projects["annual_running_cost"] > 0) & has_throughput
    return ctx.places.projects(
        (projects["mode"] == "case_level") & ~has_service,
        "no annual_running_cost and annual_throughput for the whole "
        "service, so there is no projection or sample confidence level",
        list="service",
        severity="warning",
        code="no_service",
    )


def empty_appraisal_projects(ctx: CheckContext) -> list[Problem]:
    """An appraisal project with no outcome rows, or no cost rows, computes, but its
    figures are not an appraisal; these warnings come first for their project."""
    appraisal = ctx.projects["mode"] == "appraisal"
    return [
        *ctx.places.projects(
            appraisal & (ctx.rows_per_project("outcomes") == 0),
            "this appraisal project has no outcomes, so it counts no benefits",
            list="outcomes",
            severity="warning",
            code="no_outcomes",
        ),
        *ctx.places.projects(
            appraisal & (ctx.rows_per_project("costs") == 0),
            "this appraisal project has no costs; give what it costs so that its ratios "
            "can be worked out",
            list="costs",
            severity="warning",
            code="no_costs",
        ),
    ]
