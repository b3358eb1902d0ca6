"""Checks that relate rows to each other, to the project and to the reference data.

Run after every column is typed (:mod:`calculator.validate`): unknown unit cost codes,
price years the deflator table lacks, years outside the appraisal period, cost rows
that are costed two ways at once, the data each mode needs, case references, and the
warnings METHOD asks for (double counting, a missing confidence grade).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .errors import Problem
from .inputs import Settings
from .reference import ReferenceData
from .unit_costs import UnitCostTable, ancestor_codes


def _rows_problems(
    frame: pd.DataFrame,
    mask: np.ndarray | pd.Series,
    list_name: str,
    field: str | None,
    labels: list[str],
    message: str | Callable[[Any], str],
    severity: str = "error",
    of: pd.Series | None = None,
) -> list[Problem]:
    """One problem per row of ``frame`` selected by ``mask``.

    ``message`` is a text, or a function worded from the row's value in ``of`` (called
    for the selected rows only, so a check over 200,000 rows words only its failures).
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return []
    if callable(message):
        assert of is not None
        texts = [message(v) for v in of[mask].tolist()]
    else:
        texts = None
    owners = frame["_p"].to_numpy(dtype=np.int64)
    rows = frame["_row"].to_numpy(dtype=np.int64)
    out = []
    for k, i in enumerate(np.flatnonzero(mask)):
        text = str(texts[k]) if texts is not None else str(message)
        out.append(
            Problem(
                text,
                project=labels[int(owners[i])],
                list=list_name,
                row=int(rows[i]),
                field=field,
                severity=severity,
            )
        )
    return out


def _unknown_codes(
    frame: pd.DataFrame, list_name: str, table: UnitCostTable, labels: list[str]
) -> list[Problem]:
    codes = frame["unit_cost_code"]
    unknown = codes.notna() & ~codes.isin(table.rows.index)

    def message(code: Any) -> str:
        return (
            f"unit cost code '{code}' is not in table '{table.label}'; "
            "use a code from the table (froi unit-costs list) or add it to unit_costs"
        )

    return _rows_problems(frame, unknown, list_name, "unit_cost_code", labels, message, of=codes)


def _price_years(
    frame: pd.DataFrame, column: str, list_name: str, reference: ReferenceData, labels: list[str]
) -> list[Problem]:
    years = frame[column]
    missing = years.notna() & ~years.isin(list(reference.deflators.index))
    d = reference.deflators

    def message(year: Any) -> str:
        return (
            f"price year {year} is not in the deflator table "
            f"'{d.name} {d.version}' (it covers {min(d.index)} to {max(d.index)})"
        )

    return _rows_problems(frame, missing, list_name, column, labels, message, of=years)


def cross_check(
    settings: Settings,
    projects: pd.DataFrame,
    lists: dict[str, pd.DataFrame],
    table: UnitCostTable,
    reference: ReferenceData,
    labels: list[str],
) -> list[Problem]:
    """Every relational problem and warning of a run with typed tables."""
    problems: list[Problem] = []
    T = settings.appraisal_years

    # projects: unique ids, mode-specific needs
    ids = projects["project_id"]
    dup = ids.duplicated(keep="first") & ids.notna()
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(
            Problem(
                f"project_id '{ids.iat[int(i)]}' is used by more than one project; "
                "each project needs its own",
                project=labels[i],
                field="project_id",
            )
        )
    mode = projects["mode"]
    for column in ("case_cost_price_year", "service_price_year"):
        missing = projects[column].notna() & ~projects[column].isin(list(reference.deflators.index))
        for i in np.flatnonzero(missing.to_numpy()):
            problems.append(
                Problem(
                    f"price year {projects[column].iat[int(i)]} is not in the deflator table",
                    project=labels[i],
                    field=column,
                )
            )
    for column in ("intervention_cases", "comparison_cases"):
        lacking = (mode == "comparison") & ~(projects[column] > 0)
        for i in np.flatnonzero(lacking.to_numpy()):
            problems.append(
                Problem(
                    f"a comparison project needs {column} greater than 0",
                    project=labels[i],
                    field=column,
                )
            )
    counts = {
        name: np.bincount(frame["_p"].to_numpy(dtype=np.int64), minlength=len(projects))
        for name, frame in lists.items()
    }
    for i in np.flatnonzero(((mode == "case_level") & (counts["cases"] == 0)).to_numpy()):
        problems.append(
            Problem(
                "a case_level project needs at least one row in cases",
                project=labels[i],
                list="cases",
            )
        )
    for i in np.flatnonzero(
        ((mode == "comparison") & (counts["comparison_usage"] == 0)).to_numpy()
    ):
        problems.append(
            Problem(
                "a comparison project has no comparison_usage rows, so its "
                "comparison group costs nothing",
                project=labels[i],
                list="comparison_usage",
                severity="warning",
            )
        )
    has_throughput = (projects["annual_throughput"] > 0) | (counts["teams"] > 0)
    no_service = (mode == "case_level") & ~((projects["annual_running_cost"] > 0) & has_throughput)
    for i in np.flatnonzero(no_service.to_numpy()):
        problems.append(
            Problem(
                "no annual_running_cost and annual_throughput for the whole "
                "service, so there is no projection or sample confidence level",
                project=labels[i],
                list="service",
                severity="warning",
            )
        )

    # costs: one way of costing each row; years within the period; codes; price years
    costs = lists["costs"]
    has_amount = costs["amount"].notna()
    has_code = costs["unit_cost_code"].notna()
    has_salary = costs["salary"].notna()
    ways = has_amount.astype(int) + has_code.astype(int) + has_salary.astype(int)
    problems += _rows_problems(
        costs,
        ways == 0,
        "costs",
        "amount",
        labels,
        "give an amount, or a unit_cost_code with a quantity, or a salary",
    )
    problems += _rows_problems(
        costs,
        ways > 1,
        "costs",
        "amount",
        labels,
        "give only one of amount, unit_cost_code or salary: the row would be costed twice",
    )
    problems += _rows_problems(
        costs,
        has_code & costs["price_year"].notna(),
        "costs",
        "price_year",
        labels,
        "a row costed from a unit cost takes the unit cost's price year; leave price_year blank",
    )
    problems += _rows_problems(
        costs,
        costs["productive_hours"].notna() & ~has_salary,
        "costs",
        "productive_hours",
        labels,
        "productive_hours is only used with a salary",
    )
    problems += _rows_problems(
        costs,
        has_amount & costs["quantity"].notna(),
        "costs",
        "quantity",
        labels,
        "quantity is only used with a unit_cost_code or a salary; put the total in amount",
    )
    problems += _rows_problems(
        costs,
        costs["year"] >= T,
        "costs",
        "year",
        labels,
        lambda y: f"year {y:.0f} is outside the appraisal period of {T} years (0 to {T - 1})",
        of=costs["year"],
    )
    problems += _rows_problems(
        costs,
        ~has_code & costs["agency"].isna(),
        "costs",
        "agency",
        labels,
        "agency (who pays) is required for a cost not taken "
        "from the unit cost table, e.g. Local Authority",
    )
    problems += _unknown_codes(costs, "costs", table, labels)
    problems += _price_years(costs, "price_year", "costs", reference, labels)

    # outcomes
    outcomes = lists["outcomes"]
    problems += _unknown_codes(outcomes, "outcomes", table, labels)
    late = outcomes["cohort_year"] + outcomes["lag"] >= T
    problems += _rows_problems(
        outcomes,
        late,
        "outcomes",
        "lag",
        labels,
        "the benefit starts after the appraisal period ends, so this outcome counts nothing; "
        f"raise appraisal_years (now {T}) or check cohort_year and lag",
        severity="warning",
    )
    known = outcomes["unit_cost_code"].isin(table.rows.index)
    grades = outcomes["unit_cost_code"].map(table.rows["confidence_grade"])
    ungraded = known & outcomes["confidence_grade"].isna() & grades.isna()
    problems += _rows_problems(
        outcomes,
        ungraded,
        "outcomes",
        "confidence_grade",
        labels,
        "neither the row nor its unit cost has a confidence grade, so "
        "grade 6 (the weakest) is used",
        severity="warning",
    )

    problems += _range_problems(outcomes, costs, table, labels)

    for name in ("intervention_usage", "comparison_usage", "case_outcomes"):
        problems += _unknown_codes(lists[name], name, table, labels)

    # cases and their outcomes
    cases = lists["cases"]
    dup_case = cases.duplicated(subset=["_p", "case_id"], keep="first")
    problems += _rows_problems(
        cases,
        dup_case,
        "cases",
        "case_id",
        labels,
        lambda c: f"case_id '{c}' appears twice",
        of=cases["case_id"],
    )
    case_outcomes = lists["case_outcomes"]
    keys = pd.MultiIndex.from_frame(cases[["_p", "case_id"]])
    orphan = ~pd.MultiIndex.from_frame(case_outcomes[["_p", "case_id"]]).isin(keys)
    problems += _rows_problems(
        case_outcomes,
        orphan,
        "case_outcomes",
        "case_id",
        labels,
        lambda c: f"case_id '{c}' is not in this project's cases",
        of=case_outcomes["case_id"],
    )
    teams = lists["teams"]
    if len(teams):
        team_keys = pd.MultiIndex.from_frame(teams[["_p", "team"]])
        with_teams = cases["_p"].isin(teams["_p"])
        no_team = with_teams & ~pd.MultiIndex.from_frame(cases[["_p", "team"]]).isin(team_keys)
        problems += _rows_problems(
            cases,
            no_team,
            "cases",
            "team",
            labels,
            lambda t: f"team '{t}' has no annual_throughput in the service's teams",
            of=cases["team"],
        )

    problems += double_counting(lists, labels)
    return problems


def _range_problems(
    outcomes: pd.DataFrame, costs: pd.DataFrame, table: UnitCostTable, labels: list[str]
) -> list[Problem]:
    """Uncertainty ranges (METHOD 5) must hold the central value: low <= central <= high."""
    value = outcomes["unit_cost_code"].map(table.rows["value"]).astype(float)
    centrals = [
        (outcomes, "outcomes", "success", outcomes["success"]),
        (outcomes, "outcomes", "deadweight", outcomes["deadweight"]),
        (outcomes, "outcomes", "value", value),
        (costs, "costs", "amount", costs["amount"]),
    ]
    problems: list[Problem] = []

    def outside(end: str, name: str, side: str) -> Callable[[Any], str]:
        def word(v: Any) -> str:
            return f"{name}_{end} ({v:g}) is {side} the central {name}; the range must hold it"

        return word

    for frame, list_name, name, central in centrals:
        low, high = frame[f"{name}_low"], frame[f"{name}_high"]
        problems += _rows_problems(
            frame,
            (low > central).to_numpy(),
            list_name,
            f"{name}_low",
            labels,
            outside("low", name, "above"),
            of=low,
        )
        problems += _rows_problems(
            frame,
            (high < central).to_numpy(),
            list_name,
            f"{name}_high",
            labels,
            outside("high", name, "below"),
            of=high,
        )
    ranged = costs["amount_low"].notna() | costs["amount_high"].notna()
    problems += _rows_problems(
        costs,
        (ranged & costs["amount"].isna()).to_numpy(),
        "costs",
        "amount_low",
        labels,
        "amount_low and amount_high can only range a row given as an amount",
    )
    return problems


def double_counting(lists: dict[str, pd.DataFrame], labels: list[str]) -> list[Problem]:
    """Warn where a project claims a unit cost and one of its ancestors (METHOD 1.1)."""
    used = (
        pd.concat([lists[name][["_p", "unit_cost_code"]] for name in ("outcomes", "case_outcomes")])
        .dropna()
        .drop_duplicates()
    )
    if used.empty:
        return []
    ancestry = pd.DataFrame(
        [
            (code, parent)
            for code in used["unit_cost_code"].unique()
            for parent in ancestor_codes(str(code))
        ],
        columns=["unit_cost_code", "parent"],
    )
    if ancestry.empty:
        return []
    pairs = used.merge(ancestry, on="unit_cost_code").merge(
        used.rename(columns={"unit_cost_code": "parent"}), on=["_p", "parent"]
    )
    return [
        Problem(
            f"uses both {parent} and its component {code}: the parent's value already "
            f"includes {code}, so counting both double counts",
            project=labels[int(p)],
            field="unit_cost_code",
            severity="warning",
        )
        for p, code, parent in pairs[["_p", "unit_cost_code", "parent"]].itertuples(
            index=False, name=None
        )
    ]
