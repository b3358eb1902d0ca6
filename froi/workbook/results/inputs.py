"""The inputs of a run, written back in the template's layout (froi/workbook/layout.py).

The results workbook holds the run's inputs on sheets with the template's own names and
columns (Settings, UnitCosts, Projects, Costs, Outcomes, ComparisonUsage, Cases,
CaseOutcomes, Teams), so the exported workbook is itself a valid input workbook:
uploading it computes the same results (the round trip the issue asks for), and the
reader needs no second layout.

The inputs are written "as read": the typed tables of :class:`~calculator.inputs.RunInput`,
with the defaults the engine applied filled in, so a reader of the workbook sees every
assumption explicitly.  :func:`run_document` turns them into the canonical JSON document
and the template's own writer (:func:`~froi.workbook.writer.write_input_sheets`) lays it
out: text that could start a formula gets Excel's quote prefix, so it reads back
unchanged, and numbers are written as they were read, so every figure comes back the
same.

Callers that write the input sheets with their own writer receive the same document
(``inputs_writer`` of :func:`~froi.workbook.results.write_results_workbook`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from calculator.fields import PROJECT, PROJECT_LISTS, Field
from calculator.inputs import NESTED_LISTS, RunInput
from calculator.jsonpath import NESTED_FIELDS

from ..layout import UNIT_COSTS_COLUMNS

#: Writes the input sheets from the canonical document instead of the built-in writer.
InputsWriter = Callable[[Any, Mapping[str, Any]], None]


def _plain(value: Any, spec: Field | None) -> Any:
    """A typed cell as a JSON value (whole numbers of integer fields as int)."""
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        if spec is not None and spec.kind == "integer" and number.is_integer():
            return int(number)
        return number
    return value


def _column(values: np.ndarray[Any, Any], spec: Field | None) -> list[Any]:
    """A typed column as JSON values (:func:`_plain`), converted a column at a time."""
    kind = values.dtype.kind
    if kind in "biu":
        return list(values.tolist())  # Python bools and ints
    if kind == "f":
        floats: list[Any] = values.tolist()
        if spec is not None and spec.kind == "integer":
            return [int(v) if v == v and v.is_integer() else v for v in floats]
        return floats
    return [_plain(v, spec) for v in values.tolist()]


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (value.__class__ is float and value != value)


def _records(frame: pd.DataFrame, fields: tuple[Field, ...]) -> list[dict[str, Any]]:
    names = [f.name for f in fields if f.name in frame.columns]
    specs = {f.name: f for f in fields}
    columns = [_column(frame[n].to_numpy(), specs[n]) for n in names]
    return [
        {k: v for k, v in zip(names, row, strict=True) if not _blank(v)}
        for row in zip(*columns, strict=True)
    ] or [{} for _ in range(len(frame))]


def local_unit_costs(run: RunInput) -> pd.DataFrame:
    """The input's own unit cost rows (added to or overriding the table), code first."""
    codes = list(run.unit_costs.local_codes)
    rows = run.unit_costs.rows.loc[codes].copy() if codes else run.unit_costs.rows.iloc[:0].copy()
    rows.insert(0, "code", rows.index.to_numpy(dtype=object))
    return rows.reset_index(drop=True)


def run_document(run: RunInput) -> dict[str, Any]:
    """The canonical JSON document (METHOD 6) of a checked run, defaults filled in.

    ``compute(run_document(run), reference)`` gives the run's results again.
    """
    projects = [_nested(record) for record in _records(run.projects, PROJECT)]
    for name, fields in PROJECT_LISTS.items():
        frame = run.lists[name]
        owners = frame["_p"].to_numpy(dtype=np.int64)
        for p, record in zip(owners, _records(frame, fields), strict=True):
            nest = NESTED_LISTS.get(name)
            holder = projects[p].setdefault(nest, {}) if nest else projects[p]
            holder.setdefault(name, []).append(record)
    unit_cost_fields = tuple(Field(c, "text", "") for c in UNIT_COSTS_COLUMNS)
    doc: dict[str, Any] = {
        "settings": {k: _plain(v, None) for k, v in run.settings.as_dict().items()},
        "unit_costs": _records(local_unit_costs(run), unit_cost_fields),
        "projects": projects,
    }
    if run.declared_agencies:
        doc["agencies"] = list(run.declared_agencies)
    return doc


def _nested(record: dict[str, Any]) -> dict[str, Any]:
    """A project's flat record with its comparison and service figures nested as the
    canonical JSON holds them (``service_price_year`` is ``service.price_year``)."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        if name in NESTED_FIELDS:
            nest, key = NESTED_FIELDS[name]
            out.setdefault(nest, {})[key] = value
        else:
            out[name] = value
    return out
