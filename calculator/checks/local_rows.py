"""The unit cost table a run uses, and its agencies: the reference table with the input's
own ``unit_costs`` rows laid over it (METHOD 1.1), plus the agencies the input declares.

A local row is checked as strictly as a table file (:func:`calculator.unit_costs.
validate_rows`).  Its code, written in another case than a code of the table
(``ss2.0``), is that code, so the row replaces it (a warning); its agency, written
another way (``LA``), is the table's agency (a warning), while a name the table does not
know is a new agency of the run.  A declared agency that is only another name for one
the table has is refused: declaring it would split that agency in two.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..agencies import AgencyNames, table_agencies
from ..errors import Problem
from ..jsonpath import json_path
from ..places import Places
from ..reference import ReferenceData
from ..unit_costs import UnitCostTable, validate_rows
from .names import codes_by_upper_case

LocalRows = list[tuple[int, dict[str, Any]]]


def unit_cost_table(
    rows: LocalRows, declared: Iterable[str], reference: ReferenceData, places: Places
) -> tuple[UnitCostTable, AgencyNames, list[Problem]]:
    """The run's table, its canonical agencies and every problem found building them."""
    base = reference.unit_costs
    declared = tuple(declared)
    problems: list[Problem] = []
    table = base
    if rows:
        columns = sorted({k for _, r in rows for k in r})
        local, found = validate_rows(
            rows, columns, file=None, deflators=reference.deflators, list_name="unit_costs"
        )
        problems += [_at(p, places) for p in found]
        if not any(p.severity == "error" for p in found):
            local = local.assign(_number=_row_numbers(rows, local.index))
            local, more = _codes_of_the_table(local, base, places)
            problems += more
            names = AgencyNames((*table_agencies(base), *declared), reference.agency_aliases)
            local, more = _agencies_of_the_table(local, names, places)
            problems += more
            table = base.with_local(local.drop(columns="_number"))
    if table is not base:
        problems += [
            _at(Problem(q.message, list="unit_costs", severity="warning"), places)
            for q in table.quality
            if any(c in q.message for c in table.local_codes)
        ]
    known = table_agencies(table)
    problems += _declared_agencies(declared, AgencyNames(known, reference.agency_aliases))
    names = AgencyNames(tuple(dict.fromkeys((*known, *declared))), reference.agency_aliases)
    return table, names, problems


def _at(problem: Problem, places: Places) -> Problem:
    """A unit cost problem with its JSON path, for a JSON input."""
    if not places.json:
        return problem
    return dataclasses.replace(
        problem, path=json_path(None, "unit_costs", problem.row, problem.field)
    )


def _row_numbers(rows: LocalRows, codes: pd.Index) -> list[int]:
    """The row number of each code (its first row: later ones are duplicates, refused)."""
    first: dict[str, int] = {}
    for number, row in rows:
        first.setdefault(str(row.get("code") or "").strip(), number)
    return [first.get(str(c), 0) for c in codes]


def _warn(message: str, number: Any, field: str, places: Places, code: str) -> Problem:
    return _at(
        Problem(
            message, list="unit_costs", row=int(number), field=field, severity="warning", code=code
        ),
        places,
    )


def _codes_of_the_table(
    local: pd.DataFrame, base: UnitCostTable, places: Places
) -> tuple[pd.DataFrame, list[Problem]]:
    """Local codes that are a table code in another case become that code; two local
    codes that differ only in case are refused (one would silently replace the other)."""
    new = [c for c in local.index if c not in base.rows.index]
    by_upper = codes_by_upper_case(base.rows.index) if new else {}
    renames = {c: by_upper[c.upper()] for c in new if c.upper() in by_upper}
    problems = [
        _warn(
            f"unit cost code '{given}' is read as '{code}': codes are matched without regard "
            "to case, so this row replaces that unit cost",
            local.at[given, "_number"],
            "code",
            places,
            "code_case",
        )
        for given, code in renames.items()
    ]
    local = local.rename(index=renames)
    upper = local.index.str.upper()
    clash = upper.duplicated(keep="first")
    kept = zip(local.index[~clash], local["_number"][~clash], strict=True)
    first = dict(zip(upper[~clash], kept, strict=True))
    problems += [
        _at(
            Problem(
                f"code '{code}' is code '{first[key][0]}' (row {first[key][1]}) written in "
                "another case: codes are matched without regard to case, so keep one row",
                list="unit_costs",
                row=int(number),
                field="code",
                code="code_case",
            ),
            places,
        )
        for code, key, number in zip(
            local.index[clash], upper[clash], local["_number"][clash], strict=True
        )
    ]
    return local[~clash], problems


def _agencies_of_the_table(
    local: pd.DataFrame, names: AgencyNames, places: Places
) -> tuple[pd.DataFrame, list[Problem]]:
    """Local agencies written another way become the table's; new ones stay, as new."""
    read = {a: names.read(a) for a in pd.unique(local["agency"].to_numpy(dtype=object))}
    changed = {a: r.agency for a, r in read.items() if r.agency is not None and r.agency != a}
    if not changed:
        return local, []
    problems = [
        _warn(names.changed(agency, read[agency]), number, "agency", places, "agency_alias")
        for agency, number in zip(local["agency"], local["_number"], strict=True)
        if agency in changed
    ]
    return local.assign(agency=local["agency"].replace(changed)), problems


def _declared_agencies(declared: tuple[str, ...], known: AgencyNames) -> list[Problem]:
    """A declared agency must be new, or exactly an agency of the table."""
    problems = []
    for i, name in enumerate(declared):
        reading = known.read(name)
        if reading.agency is not None and reading.agency != name:
            problems.append(
                Problem(
                    f"agency '{name}' is already the agency '{reading.agency}' "
                    f"({reading.why}); use '{reading.agency}' rather than adding it again "
                    "under another name",
                    path=f"agencies[{i}]",
                    code="agency_alias",
                )
            )
    return problems
