"""From the canonical JSON document (METHOD 6) to :class:`RawTables`, shape checked.

The document nests lists inside projects (and some inside ``comparison`` and
``service``); the engine wants one table per list holding the rows of every project,
each row tagged with its project's position ``_p`` and its 1-based place ``_row`` in
that project's list.  While flattening, every object is checked against the keys its
level holds (:mod:`calculator.checks.keys`): an unknown or misplaced key is an error
naming its path, and is left out of the tables so nothing else reports it again.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from .checks.keys import (
    NESTED_LEVELS,
    PROJECT_LEVEL,
    ROW_LEVELS,
    SETTINGS_LEVEL,
    TOP,
    UNIT_COST_ROW,
    known_only,
    unknown_keys,
)
from .errors import InvalidInput, Problem
from .fields import PROJECT_LISTS
from .jsonpath import NESTED, NESTED_LISTS, flat_name
from .rawtables import RawTables

#: Keys of a project that are columns of the project table as they stand.
_FLAT_KEYS = frozenset(PROJECT_LEVEL.keys) - set(PROJECT_LISTS) - set(NESTED)


def raw_tables(doc: Any) -> RawTables:
    """Flatten a canonical JSON document into :class:`RawTables` (shape and keys checked)."""
    if not isinstance(doc, dict):
        raise InvalidInput(
            [Problem("the input must be a JSON object with 'settings' and 'projects'")]
        )
    problems = unknown_keys(doc, TOP, "")
    settings = _object(doc.get("settings"), "settings", problems)
    problems += unknown_keys(settings, SETTINGS_LEVEL, "settings")
    doc_projects = doc.get("projects")
    if not isinstance(doc_projects, list) or not doc_projects:
        problems.append(
            Problem("'projects' must be a list with at least one project", path="projects")
        )
        raise InvalidInput([p for p in problems if p.severity == "error"])
    labels = [
        str(p.get("project_id"))
        if isinstance(p, dict) and p.get("project_id") not in (None, "")
        else f"#{i + 1}"
        for i, p in enumerate(doc_projects)
    ]
    project_records, list_records = _flatten(doc_projects, problems, labels)
    pframe = pd.DataFrame(project_records) if project_records else pd.DataFrame()
    pframe["_p"] = range(len(pframe))
    pframe["_row"] = range(1, len(pframe) + 1)
    lists: dict[str, pd.DataFrame] = {}
    for name, records in list_records.items():
        frame = pd.DataFrame(records) if records else pd.DataFrame(columns=["_p", "_row"])
        lists[name], found = _unknown_row_keys(name, frame, records, labels)
        problems += found
    return RawTables(
        settings=_scalars(known_only(settings, SETTINGS_LEVEL), "settings", problems),
        unit_costs=_unit_cost_rows(doc.get("unit_costs"), problems),
        projects=pframe,
        lists=lists,
        labels=labels,
        problems=problems,
        agencies=_agencies(doc.get("agencies"), problems),
        json=True,
    )


def _scalars(
    item: dict[str, Any], path: str, problems: list[Problem], **where: Any
) -> dict[str, Any]:
    """``item`` without values that are lists or objects where one value belongs: each
    is an error at its path (a field holds a number, text, true/false or null)."""
    kept = {}
    for key, value in item.items():
        if isinstance(value, list | dict) and not key.startswith("_"):
            kind = "a list" if isinstance(value, list) else "an object"
            problems.append(
                Problem(
                    f"{key} must be one value (a number, text, true or false), not {kind}",
                    field=str(key),
                    path=f"{path}.{key}" if path else str(key),
                    code="shape",
                    **where,
                )
            )
        else:
            kept[key] = value
    return kept


def _object(value: Any, path: str, problems: list[Problem]) -> dict[str, Any]:
    """A top-level object (``settings``), or {} with a problem when it is not one."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(
            Problem(f"{path} must be an object of name: value", path=path, code="shape")
        )
        return {}
    return value


def _agencies(value: Any, problems: list[Problem]) -> list[str]:
    """The agencies the input adds on purpose: a list of names."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(
            Problem("agencies must be a list of agency names", path="agencies", code="shape")
        )
        return []
    names = []
    for i, name in enumerate(value):
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
        else:
            problems.append(
                Problem(
                    f"each agency must be a name; got {json_text(name)}",
                    path=f"agencies[{i}]",
                    code="shape",
                )
            )
    return names


def _unit_cost_rows(value: Any, problems: list[Problem]) -> list[tuple[int, dict[str, Any]]]:
    """The input's own unit cost rows, each with its 1-based place in the list."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(
            Problem(
                "unit_costs must be a list of rows",
                list="unit_costs",
                path="unit_costs",
                code="shape",
            )
        )
        return []
    rows = []
    for i, row in enumerate(value):
        at = f"unit_costs[{i}]"
        if not isinstance(row, dict):
            problems.append(
                Problem(
                    "each unit_costs row must be an object of field: value",
                    list="unit_costs",
                    row=i + 1,
                    path=at,
                    code="shape",
                )
            )
            continue
        problems += unknown_keys(row, UNIT_COST_ROW, at)
        known = known_only(row, UNIT_COST_ROW)
        rows.append((i + 1, _scalars(known, at, problems, list="unit_costs", row=i + 1)))
    return rows


def _flatten(
    doc_projects: list[Any], problems: list[Problem], labels: list[str]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Project-level records and one record list per list name, tagged with _p and _row."""
    projects: list[dict[str, Any]] = []
    lists: dict[str, list[dict[str, Any]]] = {name: [] for name in PROJECT_LISTS}
    for p, project in enumerate(doc_projects):
        label, at = labels[p], f"projects[{p}]"
        if not isinstance(project, dict):
            problems.append(
                Problem(
                    "each project must be an object with a project_id",
                    project=label,
                    path=at,
                    code="shape",
                )
            )
            projects.append({})
            continue
        problems += unknown_keys(project, PROJECT_LEVEL, at, project=label, project_path=at)
        flat = {k: v for k, v in project.items() if k in _FLAT_KEYS}
        record = _scalars(flat, at, problems, project=label)
        for nest, keys in NESTED.items():
            inner = project.get(nest)
            if inner is None:
                continue
            if not isinstance(inner, dict):
                problems.append(
                    Problem(
                        f"{nest} must be an object",
                        project=label,
                        field=nest,
                        path=f"{at}.{nest}",
                        code="shape",
                    )
                )
                continue
            problems += unknown_keys(
                inner, NESTED_LEVELS[nest], f"{at}.{nest}", project=label, project_path=at
            )
            values = _scalars(
                {key: inner[key] for key in keys if key in inner},
                f"{at}.{nest}",
                problems,
                project=label,
            )
            record.update({flat_name(nest, key): value for key, value in values.items()})
        projects.append(record)
        for name in PROJECT_LISTS:
            _rows_of(project, name, p, label, lists[name], problems)
    return projects, lists


def _rows_of(
    project: dict[str, Any],
    name: str,
    p: int,
    label: str,
    out: list[dict[str, Any]],
    problems: list[Problem],
) -> None:
    """Append the rows of one list of a project to ``out`` (keys are checked on the
    whole table, by :func:`_unknown_row_keys`)."""
    nest = NESTED_LISTS.get(name)
    holder = project.get(nest) if nest else project
    items = holder.get(name) if isinstance(holder, dict) else None
    if items is None:
        return
    if not isinstance(items, list):
        problems.append(
            Problem(
                f"{name} must be a list of rows",
                project=label,
                list=name,
                path=_list_path(p, name),
                code="shape",
            )
        )
        return
    for row, item in enumerate(items, start=1):
        if isinstance(item, dict):
            at = f"{_list_path(p, name)}[{row - 1}]"
            kept = _scalars(item, at, problems, project=label, list=name, row=row)
            out.append({**kept, "_p": p, "_row": row})
        else:
            problems.append(
                Problem(
                    "each row must be an object of field: value",
                    project=label,
                    list=name,
                    row=row,
                    path=f"{_list_path(p, name)}[{row - 1}]",
                    code="shape",
                )
            )


def _list_path(p: int, name: str) -> str:
    nest = NESTED_LISTS.get(name)
    return f"projects[{p}].{nest}.{name}" if nest else f"projects[{p}].{name}"


def _unknown_row_keys(
    name: str, frame: pd.DataFrame, records: list[dict[str, Any]], labels: list[str]
) -> tuple[pd.DataFrame, list[Problem]]:
    """The rows' unknown keys, each an error at its path, and the table without them.

    The table's columns are every key any row has, so a list whose columns are all
    known needs no look at its rows; only when one is not are the rows searched for it.
    """
    level = ROW_LEVELS[name]
    unknown = [c for c in frame.columns if c not in level.keyset and c not in ("_p", "_row")]
    if not unknown:
        return frame, []
    problems: list[Problem] = []
    for record in records:
        if any(c in record for c in unknown):
            p, row = record["_p"], record["_row"]
            item = {k: v for k, v in record.items() if k not in ("_p", "_row")}
            problems += unknown_keys(
                item,
                level,
                f"{_list_path(p, name)}[{row - 1}]",
                project=labels[p],
                project_path=f"projects[{p}]",
            )
    return frame.drop(columns=unknown), problems


def json_text(value: Any) -> str:
    """A JSON value as a person would see it in the file."""
    return json.dumps(value, ensure_ascii=False, default=str)
