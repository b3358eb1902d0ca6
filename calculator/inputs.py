"""Reading a run's input: from the canonical JSON document to checked, typed tables.

The canonical input (METHOD 6) nests lists inside projects.  The engine wants the
opposite shape: one table per list holding the rows of *every* project, each row
tagged with its project's position ``_p`` and its 1-based place ``_row`` in that
project's list, so that all projects are computed in one set of array operations and
every problem can still be traced to a project, list, row and field.

Everything is checked before anything is computed, and every problem is reported at
once (:class:`~calculator.errors.InvalidInput`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidInput, Problem
from .fields import PROJECT, PROJECT_LISTS, SETTINGS, Field, by_name
from .reference import ReferenceData
from .unit_costs import UnitCostTable, validate_rows
from .validate import check_column

#: Nested objects of a project whose fields are columns of the project table.
NESTED = {
    "comparison": ("intervention_cases", "comparison_cases"),
    "service": ("annual_running_cost", "annual_throughput", "margin_of_error", "price_year"),
}
#: Lists that live inside a nested object in the JSON.
NESTED_LISTS = {
    "intervention_usage": "comparison",
    "comparison_usage": "comparison",
    "teams": "service",
}


@dataclass(frozen=True)
class Settings:
    """Run settings with defaults applied (METHOD 2)."""

    base_year: str
    appraisal_years: int
    discount: str | float
    apply_optimism_bias: bool
    seed: int
    bootstrap_resamples: int
    simulations: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunInput:
    """A checked run: settings, a project table and one table per list, all typed.

    ``projects`` has one row per project in input order (position ``p``).  Each table
    in ``lists`` has ``_p`` (project position) and ``_row`` (1-based place in the
    project's list) besides the declared fields.  ``unit_costs`` is the table the run
    uses: the reference table with the input's local rows laid over it.
    """

    settings: Settings
    projects: pd.DataFrame
    lists: dict[str, pd.DataFrame]
    unit_costs: UnitCostTable
    warnings: list[Problem] = field(default_factory=list)

    @property
    def project_ids(self) -> list[str]:
        return [str(p) for p in self.projects["project_id"]]


ListSource = Callable[[str], Problem]


def _json_locator(list_name: str, frame: pd.DataFrame, labels: list[str]) -> Any:
    rows = frame["_row"].to_numpy() if "_row" in frame else np.arange(1, len(frame) + 1)
    owners = frame["_p"].to_numpy() if "_p" in frame else None

    def locate(i: int, spec: Field, message: str) -> Problem:
        project = labels[int(owners[i])] if owners is not None else None
        return Problem(message, project=project, list=list_name, row=int(rows[i]), field=spec.name)

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
    out = pd.DataFrame(index=range(len(frame)))
    for spec in fields:
        column, found = check_column(
            frame.get(spec.name, None),
            spec,
            len(frame),
            locate,
            schedules=schedules,
            percent_marks=(percent_marks or {}).get(spec.name),
        )
        out[spec.name] = column.to_numpy()
        problems += found
    for meta in ("_p", "_row"):
        if meta in frame:
            out[meta] = frame[meta].to_numpy()
    unknown = [c for c in frame.columns if c not in by_name(fields) and not c.startswith("_")]
    return out, problems, unknown


def _flatten(
    doc_projects: list[Any], problems: list[Problem], labels: list[str]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Project-level records and one record list per list name, tagged with _p and _row."""
    projects: list[dict[str, Any]] = []
    lists: dict[str, list[dict[str, Any]]] = {name: [] for name in PROJECT_LISTS}
    for p, project in enumerate(doc_projects):
        label = labels[p]
        if not isinstance(project, dict):
            problems.append(
                Problem("each project must be an object with a project_id", project=label)
            )
            projects.append({})
            continue
        record = {k: v for k, v in project.items() if k not in PROJECT_LISTS and k not in NESTED}
        for nest, keys in NESTED.items():
            inner = project.get(nest) or {}
            if not isinstance(inner, dict):
                problems.append(Problem(f"{nest} must be an object", project=label, field=nest))
                continue
            for key in keys:
                if key in inner:
                    record["service_price_year" if key == "price_year" else key] = inner[key]
        projects.append(record)
        for name in PROJECT_LISTS:
            nest_name = NESTED_LISTS.get(name)
            holder = project.get(nest_name) if nest_name else project
            items = holder.get(name) if isinstance(holder, dict) else None
            if items is None:
                continue
            if not isinstance(items, list):
                problems.append(Problem(f"{name} must be a list of rows", project=label, list=name))
                continue
            for row, item in enumerate(items, start=1):
                if not isinstance(item, dict):
                    problems.append(
                        Problem(
                            "each row must be an object of field: value",
                            project=label,
                            list=name,
                            row=row,
                        )
                    )
                    continue
                lists[name].append({**item, "_p": p, "_row": row})
    return projects, lists


def _settings(raw: Any, reference: ReferenceData, problems: list[Problem]) -> Settings:
    raw = raw if isinstance(raw, dict) else {}
    frame = pd.DataFrame([raw]) if raw else pd.DataFrame(index=[0])
    schedules = tuple(reference.discount_schedules.schedules)

    def locate(i: int, spec: Field, message: str) -> Problem:
        return Problem(message, list="settings", field=spec.name)

    typed, found, unknown = check_table(frame, SETTINGS, "settings", locate, schedules=schedules)
    problems += found
    problems += [
        Problem(
            f"unknown setting '{u}'; settings are {', '.join(f.name for f in SETTINGS)}",
            list="settings",
            field=u,
            severity="warning",
        )
        for u in unknown
    ]
    row = typed.iloc[0]
    base_year = row["base_year"] or reference.deflators.latest_year
    if base_year not in reference.deflators.index:
        problems.append(
            Problem(
                f"base year {base_year} is not in the deflator table "
                f"'{reference.deflators.name} {reference.deflators.version}'",
                list="settings",
                field="base_year",
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


@dataclass
class RawTables:
    """A run's input as untyped tables, however it arrived (a JSON document, a workbook).

    ``projects`` has one row per project with the flat project fields (the comparison
    case counts and service figures are columns); each table in ``lists`` has ``_p``
    (the project's position) and ``_row`` (the number a person would use to find the
    row: its place in the JSON list, or its spreadsheet row).  ``labels`` names each
    project in messages.  ``percent_marks[list][field]`` flags cells a spreadsheet shows
    as percentages.  ``problems`` are those already found while reading.
    """

    settings: dict[str, Any]
    unit_costs: list[tuple[int, dict[str, Any]]]
    projects: pd.DataFrame
    lists: dict[str, pd.DataFrame]
    labels: list[str]
    percent_marks: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def read_input(doc: Any, reference: ReferenceData) -> RunInput:
    """Check a canonical input document and return it as typed tables.

    Raises :class:`InvalidInput` with every problem found; warnings (unknown fields,
    double counting, missing grades...) travel on the returned :class:`RunInput`.
    """
    return read_tables(raw_tables(doc), reference)


def raw_tables(doc: Any) -> RawTables:
    """Flatten a canonical JSON document into :class:`RawTables` (structure checked)."""
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        raise InvalidInput(
            [Problem("the input must be a JSON object with 'settings' and 'projects'")]
        )
    unknown_top = [k for k in doc if k not in ("settings", "unit_costs", "projects")]
    problems += [
        Problem(
            f"unknown top-level key '{k}' ignored; the input has settings, unit_costs and projects",
            field=k,
            severity="warning",
        )
        for k in unknown_top
    ]
    settings = doc.get("settings")
    if settings is not None and not isinstance(settings, dict):
        problems.append(Problem("settings must be an object of name: value", list="settings"))
    doc_projects = doc.get("projects")
    if not isinstance(doc_projects, list) or not doc_projects:
        problems.append(
            Problem("'projects' must be a list with at least one project", field="projects")
        )
        raise InvalidInput([p for p in problems if p.severity == "error"])
    labels = [
        str(p.get("project_id"))
        if isinstance(p, dict) and p.get("project_id") not in (None, "")
        else f"#{i + 1}"
        for i, p in enumerate(doc_projects)
    ]
    project_records, list_records = _flatten(doc_projects, problems, labels)
    local_raw = doc.get("unit_costs") or []
    if not isinstance(local_raw, list):
        problems.append(Problem("unit_costs must be a list of rows", list="unit_costs"))
        local_raw = []
    pframe = pd.DataFrame(project_records) if project_records else pd.DataFrame()
    pframe["_p"] = range(len(pframe))
    pframe["_row"] = range(1, len(pframe) + 1)
    lists = {
        name: pd.DataFrame(records) if records else pd.DataFrame(columns=["_p", "_row"])
        for name, records in list_records.items()
    }
    return RawTables(
        settings=settings if isinstance(settings, dict) else {},
        unit_costs=[(i, r) for i, r in enumerate(local_raw, start=1) if isinstance(r, dict)],
        projects=pframe,
        lists=lists,
        labels=labels,
        problems=problems,
    )


def read_tables(raw: RawTables, reference: ReferenceData) -> RunInput:
    """Check :class:`RawTables` and return them typed, or raise with every problem."""
    problems = list(raw.problems)
    labels = raw.labels
    settings = _settings(raw.settings, reference, problems)

    # local unit cost rows first: the lists' codes are checked against the combined table
    table = reference.unit_costs
    if raw.unit_costs:
        columns = sorted({k for _, r in raw.unit_costs for k in r})
        local, found = validate_rows(
            raw.unit_costs,
            columns,
            file=None,
            deflators=reference.deflators,
            list_name="unit_costs",
        )
        problems += found
        if not found:
            table = table.with_local(local)
    problems += [
        Problem(f"{q.message}", list="unit_costs", severity="warning")
        for q in table.quality
        if table is not reference.unit_costs and any(c in q.message for c in table.local_codes)
    ]

    schedules = tuple(reference.discount_schedules.schedules)

    def locate_project(i: int, spec: Field, message: str) -> Problem:
        return Problem(message, project=labels[i], field=spec.name)

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
        Problem(f"unknown project field '{u}' ignored", field=u, severity="warning")
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
            _json_locator(name, frame, labels),
            schedules=schedules,
            percent_marks=raw.percent_marks.get(name),
        )
        problems += found
        for u in unknown:
            present = frame[u].notna()
            problems.append(
                Problem(
                    f"unknown field '{u}' in {int(present.sum())} {name} row(s) ignored; "
                    f"{name} rows have {', '.join(f.name for f in fields)}",
                    list=name,
                    field=u,
                    severity="warning",
                )
            )
        lists[name] = typed
    # relational checks run on the typed tables even when some cells were refused
    # (a refused cell is blank there), so every problem is reported in one go
    from .crosscheck import cross_check

    problems += cross_check(settings, projects, lists, table, reference, labels)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InvalidInput(errors)
    return RunInput(
        settings=settings,
        projects=projects,
        lists=lists,
        unit_costs=table,
        warnings=[p for p in problems if p.severity != "error"],
    )
