"""The checks of a run's input, one small named rule per concern, run in one ordered list.

After every column is typed (:mod:`calculator.validate`), :func:`run_checks` runs
:data:`RULES` in order over the :class:`CheckContext`; each rule returns the problems it
finds (errors and warnings), located by :class:`~calculator.places.Places`.  Rules work
on whole columns with masks; Python runs only to word a failure.  The rules that make a
spelling canonical come first, so the rest and the engine see one code and one agency
name.  The checks of the JSON document's shape (unknown and misplaced keys) run while it
is read (:mod:`calculator.checks.keys`), and those of the input's own unit cost rows and
agencies while its table is built (:mod:`calculator.checks.local_rows`).
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import Problem
from .context import CheckContext
from .costs import (
    cost_years,
    costing_ways,
    fields_that_do_not_apply,
    payer_named,
    recurring_in_one_year,
)
from .double_counting import double_counting
from .names import agency_names, code_case
from .outcomes import benefits_after_the_period, ungraded_outcomes
from .projects import (
    case_level_cases,
    comparison_cases,
    comparison_usage,
    empty_appraisal_projects,
    project_price_years,
    unique_project_ids,
    whole_service,
)
from .ranges import ranges_hold_the_central_value
from .references import (
    case_references,
    cost_and_outcome_codes,
    cost_price_years,
    observed_non_fiscal,
    usage_and_case_codes,
)

Rule = Callable[[CheckContext], list[Problem]]

#: Every rule, in the order its problems are reported.
RULES: tuple[Rule, ...] = (
    # canonical spellings first: later rules and the engine see one code, one agency
    code_case,
    agency_names,
    # projects
    empty_appraisal_projects,
    unique_project_ids,
    project_price_years,
    comparison_cases,
    case_level_cases,
    comparison_usage,
    whole_service,
    # costs
    costing_ways,
    fields_that_do_not_apply,
    cost_years,
    recurring_in_one_year,
    payer_named,
    cost_and_outcome_codes,
    cost_price_years,
    # outcomes
    benefits_after_the_period,
    ungraded_outcomes,
    ranges_hold_the_central_value,
    # service use and cases
    usage_and_case_codes,
    observed_non_fiscal,
    case_references,
    double_counting,
)

#: Warnings a page shows at the top of their project: the project is not an appraisal.
FIRST = ("no_outcomes", "no_costs")


def run_checks(ctx: CheckContext, rules: tuple[Rule, ...] = RULES) -> list[Problem]:
    """Every problem the rules find, in rule order."""
    problems: list[Problem] = []
    for rule in rules:
        problems += rule(ctx)
    return problems


def in_order(warnings: list[Problem]) -> list[Problem]:
    """Warnings with those of :data:`FIRST` ahead of the rest (otherwise as found)."""
    return sorted(warnings, key=lambda w: w.code not in FIRST)


__all__ = ["FIRST", "RULES", "CheckContext", "Rule", "in_order", "run_checks"]
