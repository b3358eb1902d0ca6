"""Reading a run's input: from the canonical JSON document to checked, typed tables.

The canonical input (METHOD 6) nests lists inside projects.  The engine wants the
opposite shape: one table per list holding the rows of *every* project, each row
tagged with its project's position ``_p`` and its 1-based place ``_row`` in that
project's list, so that all projects are computed in one set of array operations and
every problem can still be traced to a project, list, row and field (and, for a JSON
input, its JSON path).

A JSON document is flattened into :class:`RawTables` by :mod:`calculator.json_input`
(a workbook by :mod:`froi.workbook`); :func:`read_tables` then builds the run's unit
cost table and agencies (:mod:`calculator.checks.local_rows`), types every column
(:mod:`calculator.validate`) and runs the rules of :mod:`calculator.checks`.
Everything is checked before anything is computed, and every problem is reported at
once (:class:`~calculator.errors.InvalidInput`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .checks import CheckContext, in_order, run_checks
from .checks.local_rows import unit_cost_table
from .errors import InvalidInput, Problem
from .fields import PROJECT, PROJECT_LISTS, SETTINGS, Field, by_name
from .json_input import raw_tables
from .jsonpath import NESTED, NESTED_LISTS
from .places import Places
from .rawtables import RawTables
from .reference import ReferenceData
from .settings import Settings
from .unit_costs import UnitCostTable
from .validate import all_blank, check_column

__all__ = [
    "NESTED",
    "NESTED_LISTS",
    "RawTables",
    "RunInput",
    "Settings",
    "check_table",
    "raw_tables",
    "read_input",
    "read_tables",
]


@dataclass(frozen=True)
class RunInput:
    """A checked run: settings, a project table and one table per list, all typed.

    ``projects`` has one row per project in input order (position ``p``).  Each table
    in ``lists`` has ``_p`` (project position) and ``_row`` (1-based place in the
    project's list) besides the declared fields.  ``unit_costs`` is the table the run
    uses: the reference table with the input's local rows laid over it.  ``agencies``
    are the run's canonical agencies (the table's and the declared ones),
    ``declared_agencies`` those the input added on purpose; ``json_paths`` says problems
    of this run are located by JSON path.
    """

    settings: Settings
    projects: pd.DataFrame
    lists: dict[str, pd.DataFrame]
    unit_costs: UnitCostTable
    warnings: list[Problem] = field(default_factory=list)
    agencies: tuple[str, ...] = ()
    declared_agencies: tuple[str, ...] = ()
    json_paths: bool = False

    @property
    def project_ids(self) -> list[str]:
        return [str(p) for p in self.projects["project_id"]]


def _locator(places: Places, list_name: str, frame: pd.DataFrame) -> Any:
    """Locates a refused cell of a list table by its row's project and ``_row``."""
    rows = frame["_row"].to_numpy() if "_row" in frame else np.arange(1, len(frame) + 1)
    owners = frame["_p"].to_numpy() if "_p" in frame else None

    def locate(i: int, spec: Field, message: str) -> Problem:
        p = int(owners[i]) if owners is not None else None
        return places.problem(
            message, p=p, list=list_name, row=int(rows[i]), field=spec.name, code="invalid_value"
        )

    return locate


def check_table(
    frame: pd.DataFrame,
    fields: tuple[Field, ...],
    list_name: str,
    locate: Any,
    *,
    schedules: tuple[str, ...] = (),
    percent_marks: Mapping[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Type every declared column of ``frame``; return the typed table, the problems and
    the names of columns that are not declared (for the caller to report)."""
    problems: list[Problem] = []
    columns: dict[str, Any] = {}
    for spec in fields:
        raw = frame.get(spec.name, None)
        if raw is None or not len(frame):
            # nothing written in it: no Series to make and take apart again
            columns[spec.name], found = all_blank(spec, len(frame), locate)
        else:
            column, found = check_column(
                raw,
                spec,
                len(frame),
                locate,
                schedules=schedules,
                percent_marks=(percent_marks or {}).get(spec.name),
            )
            columns[spec.name] = column.to_numpy()
        problems += found
    for meta in ("_p", "_row"):
        if meta in frame:
            columns[meta] = frame[meta].to_numpy()
    # built at once: a column at a time copies the table's blocks again for each one
    out = pd.DataFrame(columns, index=range(len(frame)))
    unknown = [c for c in frame.columns if c not in by_name(fields) and not c.startswith("_")]
    return out, problems, unknown


def _settings(
    raw: dict[str, Any], reference: ReferenceData, problems: list[Problem], places: Places
) -> Settings:
    frame = pd.DataFrame([raw]) if raw else pd.DataFrame(index=[0])
    schedules = tuple(reference.discount_schedules.schedules)

    def locate(i: int, spec: Field, message: str) -> Problem:
        return places.problem(message, list="settings", field=spec.name, code="invalid_value")

    typed, found, unknown = check_table(frame, SETTINGS, "settings", locate, schedules=schedules)
    problems += found
    # a JSON input's unknown settings were refused with their path while it was read;
    # a workbook's are warned about at their row
    problems += [
        Problem(
            f"unknown setting '{u}'; settings are {', '.join(f.name for f in SETTINGS)}",
            list="settings",
            field=u,
            severity="warning",
            code="unknown_key",
        )
        for u in unknown
    ]
    row = typed.iloc[0]
    base_year = row["base_year"] or reference.deflators.latest_year
    if base_year not in reference.deflators.index:
        problems.append(
            places.problem(
                f"base year {base_year} is not in the deflator table "
                f"'{reference.deflators.name} {reference.deflators.version}'",
                list="settings",
                field="base_year",
                code="unknown_price_year",
            )
        )

    def whole(value: Any, default: int) -> int:
        return default if pd.isna(value) else int(value)

    return Settings(
        base_year=str(base_year),
        appraisal_years=whole(row["appraisal_years"], 5),
        discount=row["discount"] if row["discount"] is not None else "standard",
        apply_optimism_bias=bool(row["apply_optimism_bias"]),
        seed=whole(row["seed"], 0),
        bootstrap_resamples=whole(row["bootstrap_resamples"], 2000),
        simulations=whole(row["simulations"], 0),
    )


def read_input(doc: Any, reference: ReferenceData) -> RunInput:
    """Check a canonical input document and return it as typed tables.

    Raises :class:`InvalidInput` with every problem found, each with its JSON path;
    warnings (agency names read as another, double counting, missing grades...) travel
    on the returned :class:`RunInput`.
    """
    return read_tables(raw_tables(doc), reference)


def _cell(problem: Problem) -> tuple[str | None, str | None, int | None, str | None]:
    """Where a problem is, as (project, list, row, field)."""
    return (problem.project, problem.list, problem.row, problem.field)


def read_tables(raw: RawTables, reference: ReferenceData) -> RunInput:
    """Check :class:`RawTables` and return them typed, or raise with every problem."""
    places = Places(raw.labels, json=raw.json)
    problems = list(raw.problems)
    settings = _settings(raw.settings, reference, problems, places)

    # the run's unit cost table first: the lists' codes are checked against it
    table, agencies, found = unit_cost_table(raw.unit_costs, raw.agencies, reference, places)
    problems += found

    schedules = tuple(reference.discount_schedules.schedules)

    def locate_project(i: int, spec: Field, message: str) -> Problem:
        return places.problem(message, p=i, field=spec.name, code="invalid_value")

    projects, found, unknown = check_table(
        raw.projects,
        PROJECT,
        "projects",
        locate_project,
        schedules=schedules,
        percent_marks=raw.percent_marks.get("projects"),
    )
    problems += found
    problems += [
        Problem(
            f"unknown project field '{u}' ignored", field=u, severity="warning", code="unknown_key"
        )
        for u in unknown
    ]
    lists: dict[str, pd.DataFrame] = {}
    for name, fields in PROJECT_LISTS.items():
        frame = raw.lists.get(name)
        if frame is None:
            frame = pd.DataFrame(columns=["_p", "_row"])
        typed, found, unknown = check_table(
            frame,
            fields,
            name,
            _locator(places, name, frame),
            schedules=schedules,
            percent_marks=raw.percent_marks.get(name),
        )
        problems += found
        problems += [
            Problem(
                f"unknown field '{u}' in {int(frame[u].notna().sum())} {name} row(s) ignored; "
                f"{name} rows have {', '.join(f.name for f in fields)}",
                list=name,
                field=u,
                severity="warning",
                code="unknown_key",
            )
            for u in unknown
        ]
        lists[name] = typed
    # the rules run on the typed tables even when some cells were refused (a refused
    # cell is blank there), so every problem is reported in one go; a rule's problem at
    # a cell already refused would only repeat it in other words ("give an amount" after
    # "amount must be a number"), so it is left out
    context = CheckContext(settings, projects, lists, table, reference, places, agencies)
    refused = {_cell(p) for p in problems if p.severity == "error"}
    problems += [p for p in run_checks(context) if _cell(p) not in refused]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InvalidInput(errors)
    return RunInput(
        settings=settings,
        projects=projects,
        lists=context.lists,
        unit_costs=table,
        warnings=in_order([p for p in problems if p.severity != "error"]),
        agencies=agencies.canonical,
        declared_agencies=tuple(raw.agencies),
        json_paths=raw.json,
    )
