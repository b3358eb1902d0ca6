"""From the sheets' grids to the engine's :class:`RawTables`, with the cell map.

Settings and local unit costs are a handful of rows and are read row by row; projects
and the lists are whole-column work: a list row finds its project by factorising the
``project_id`` column and looking up each distinct id once, and ComparisonUsage rows
are split by ``group`` the same way.  Python runs per row only to word a problem.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from calculator.fields import PROJECT_LISTS, SETTINGS
from calculator.inputs import RawTables

from .blanks import blank_and_codes, is_filled
from .cells import CellMap, SheetMap, Sink
from .grid import Grid
from .layout import GROUP
from .names import norm

#: (layout sheet, {(row, column)}) -> the cells of those shown as percentages
PercentLookup = Callable[[str, set[tuple[int, int]]], set[tuple[int, int]]]
#: the most cells whose format is looked up for one sheet's messages
MAX_FORMAT_LOOKUPS = 10_000
LIST_SHEETS = {
    "Costs": ("costs",),
    "Outcomes": ("outcomes",),
    "ComparisonUsage": ("intervention_usage", "comparison_usage"),
    "Cases": ("cases",),
    "CaseOutcomes": ("case_outcomes",),
    "Teams": ("teams",),
}
_SETTING = {norm(f.name): f.name for f in SETTINGS}


def text_id(value: Any) -> str | None:
    """A project id as the engine reads text: 7.0 is "7"; blank is None."""
    if not is_filled(value) or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def build_tables(
    grids: dict[str, Grid], sink: Sink, cells: CellMap, percent: PercentLookup
) -> RawTables:
    for name, grid in grids.items():
        cells.sheets[name] = SheetMap(grid.title, grid.header_row, dict(grid.columns))
        for list_name in LIST_SHEETS.get(name, (grid.sheet.list_name,)):
            for name in (*grid.missing, *grid.misspelt):
                cells.reported_columns.add((list_name, name))
    settings = _settings(grids.get("Settings"), sink, cells)
    unit_costs = _unit_costs(grids.get("UnitCosts"))
    projects, labels, positions = _projects(grids.get("Projects"), sink, cells)
    lists: dict[str, pd.DataFrame] = {}
    marks: dict[str, dict[str, npt.NDArray[np.bool_]]] = {}
    if "Projects" in grids:
        marks["projects"] = _percent_marks(grids["Projects"], projects, percent)
    for sheet, names in LIST_SHEETS.items():
        found = grids.get(sheet)
        if found is None or not found.data_rows or "Projects" not in grids:
            continue  # without a Projects sheet (an error already) no row has a project
        grid = found
        frame = _attach(grid, positions, labels, sink)
        if sheet == "ComparisonUsage":
            groups = _groups(grid, frame, sink)
            for name, group in zip(names, GROUP.choices, strict=True):
                part = frame[groups == group].reset_index(drop=True)
                lists[name] = part
        else:
            lists[names[0]] = frame
            marks[names[0]] = _percent_marks(grid, frame, percent)
    for name in PROJECT_LISTS:
        if name not in lists:
            lists[name] = pd.DataFrame(columns=["_p", "_row"])
    return RawTables(
        settings=settings,
        unit_costs=unit_costs,
        projects=projects,
        lists={
            k: v.drop(columns=["project_id", "group"], errors="ignore") for k, v in lists.items()
        },
        labels=labels,
        percent_marks=marks,
    )


def _settings(grid: Grid | None, sink: Sink, cells: CellMap) -> dict[str, Any]:
    if grid is None or not grid.data_rows:
        return {}
    title, frame = grid.title, grid.frame
    if "name" not in grid.columns or "value" not in grid.columns:
        sink.add(
            "the Settings sheet needs a column headed name and one headed value",
            "Settings",
            title,
            grid.header_row,
        )
        return {}
    names = frame["name"] if "name" in frame else pd.Series([None] * len(frame))
    values = frame["value"] if "value" in frame else pd.Series([None] * len(frame))
    out: dict[str, Any] = {}
    for row, name, value in zip(grid.row_numbers, names, values, strict=True):
        row = int(row)
        if not is_filled(name) or (isinstance(name, float) and np.isnan(name)):
            if is_filled(value):
                sink.add(
                    "this value has no setting name in column name",
                    "Settings",
                    title,
                    row,
                    grid.columns["name"],
                )
            continue
        key = _SETTING.get(norm(name), str(name).strip())
        if key in cells.setting_rows:
            sink.add(
                f"setting {key} is given twice (first on row {cells.setting_rows[key]}); keep one",
                "Settings",
                title,
                row,
                grid.columns["name"],
                list_name="settings",
                field_name=key,
            )
            continue
        cells.setting_rows[key] = row
        if is_filled(value) and not (isinstance(value, float) and np.isnan(value)):
            out[key] = value
    return out


def _unit_costs(grid: Grid | None) -> list[tuple[int, dict[str, Any]]]:
    if grid is None or not grid.data_rows:
        return []
    names = list(grid.columns)
    frame = grid.frame.reindex(columns=names)
    records: list[tuple[int, dict[str, Any]]] = []
    for row, values in zip(grid.row_numbers, frame.itertuples(index=False, name=None), strict=True):
        record = {
            name: (v if is_filled(v) and not (isinstance(v, float) and np.isnan(v)) else None)
            for name, v in zip(names, values, strict=True)
        }
        records.append((int(row), record))
    return records


def _projects(
    grid: Grid | None, sink: Sink, cells: CellMap
) -> tuple[pd.DataFrame, list[str], dict[str, int]]:
    if grid is None or not grid.data_rows:
        if grid is not None:
            sink.add(
                "the Projects sheet lists no projects; add a row for each project",
                "Projects",
                grid.title,
                grid.header_row + 1 if grid.header_row else 2,
                grid.columns.get("project_id", 1),
            )
        return pd.DataFrame({"_p": [], "_row": []}), [], {}
    frame = grid.frame.copy(deep=False)
    rows = grid.row_numbers
    ids = [text_id(v) for v in frame["project_id"]] if "project_id" in frame else [None] * len(rows)
    labels: list[str] = []
    positions: dict[str, int] = {}
    for p, (pid, row) in enumerate(zip(ids, rows, strict=True)):
        label = pid if pid is not None else f"(Projects row {row})"
        if pid is not None and pid in positions:
            label = f"{pid} (Projects row {row})"
        elif pid is not None:
            positions[pid] = p
        labels.append(label)
        cells.project_rows[label] = int(row)
    frame["_p"] = np.arange(len(frame))
    frame["_row"] = rows
    return frame, labels, positions


def _attach(grid: Grid, positions: dict[str, int], labels: list[str], sink: Sink) -> pd.DataFrame:
    """The sheet's rows with ``_p`` (their project) and ``_row``; rows whose project_id is
    blank or not on Projects are reported at that cell and left out."""
    frame = grid.frame
    column = grid.columns.get("project_id")
    if column is None or "project_id" not in frame:
        if column is not None:  # the column is there but blank on every row
            for row in grid.row_numbers:
                _no_project(grid, int(row), column, sink)
        return frame.iloc[0:0].assign(_p=np.empty(0, np.int64), _row=np.empty(0, np.int64))
    blank, codes, uniques = blank_and_codes(frame["project_id"])
    if codes is None:  # numbers: factorise them as text ids
        codes, found = pd.factorize(frame["project_id"].to_numpy(dtype=object))
        uniques = list(found)
    owner = np.array([positions.get(text_id(u) or "", -1) for u in uniques] + [-1], np.int64)
    p = owner[codes]
    for i in np.flatnonzero(p < 0):
        row = int(grid.row_numbers[i])
        if blank[i]:
            _no_project(grid, row, column, sink)
        else:
            known = ", ".join(list(positions)[:5]) + (", ..." if len(positions) > 5 else "")
            value = frame["project_id"].iat[int(i)]
            sink.add(
                f"project_id '{text_id(value)}' is not on the Projects sheet; use the "
                f"project_id of a project listed there ({known or 'none yet'})",
                grid.sheet.name,
                grid.title,
                row,
                column,
                field_name="project_id",
            )
    ok = p >= 0
    out = frame[ok].reset_index(drop=True) if not ok.all() else frame.copy(deep=False)
    out["_p"] = p[ok]
    out["_row"] = grid.row_numbers[ok]
    return out


def _no_project(grid: Grid, row: int, column: int, sink: Sink) -> None:
    sink.add(
        "project_id is required: the project_id (from the Projects sheet) of the project "
        "this row belongs to",
        grid.sheet.name,
        grid.title,
        row,
        column,
        field_name="project_id",
    )


def _groups(grid: Grid, frame: pd.DataFrame, sink: Sink) -> npt.NDArray[np.object_]:
    """Each ComparisonUsage row's group (intervention/comparison); None when refused."""
    column = grid.columns.get("group")
    if "group" not in frame or column is None:
        return np.full(len(frame), None, dtype=object)
    codes, uniques = pd.factorize(frame["group"].to_numpy(dtype=object))
    words = [str(u).strip().lower() if is_filled(u) else "" for u in uniques]
    table = np.array([w if w in GROUP.choices else None for w in words] + [None], dtype=object)
    groups = table[codes]
    rows = frame["_row"].to_numpy(dtype=np.int64)
    for i in np.flatnonzero(pd.isna(groups)):
        value = frame["group"].iat[int(i)]
        got = f"; got {value!r}" if is_filled(value) else " and is blank"
        sink.add(
            f"group must be {GROUP.accepted()}{got}",
            "ComparisonUsage",
            grid.title,
            int(rows[i]),
            column,
            field_name="group",
        )
    return groups


def _percent_marks(
    grid: Grid, frame: pd.DataFrame, percent: PercentLookup
) -> dict[str, npt.NDArray[np.bool_]]:
    """For each rate column, the cells shown as percentages among those whose value
    (above 1, up to 100) will be refused; only those need their format looked up."""
    rates = [f.name for f in grid.sheet.fields if f.kind == "rate" and f.name in frame]
    wanted: dict[str, npt.NDArray[np.intp]] = {}
    for name in rates:
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            suspect = np.flatnonzero((values > 1) & (values <= 100))
        if len(suspect):
            wanted[name] = suspect[:MAX_FORMAT_LOOKUPS]
    if not wanted:
        return {}
    rows = frame["_row"].to_numpy()
    cells = {(int(rows[i]), grid.columns[n]) for n, idx in wanted.items() for i in idx}
    shown = percent(grid.sheet.name, cells)
    marks: dict[str, npt.NDArray[np.bool_]] = {}
    for name, idx in wanted.items():
        mask = np.zeros(len(frame), dtype=bool)
        column = grid.columns[name]
        mask[idx] = [(int(rows[i]), column) in shown for i in idx]
        marks[name] = mask
    return marks
