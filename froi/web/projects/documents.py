"""Edits of a canonical project document (METHOD 6), as pure functions.

A form shows a project's fields flat (``intervention_cases``, ``service_price_year``)
and each list as numbered rows, while the document nests some of them (``comparison``,
``service``) exactly as ``calculator.inputs`` reads them; these functions translate with
the engine's own map of what is nested where (``NESTED``, ``NESTED_LISTS``), so the
document a page saves is the document the engine, the CLI and the workbook read.  Each
function returns a new document: the stored one is never changed in place.
"""

from __future__ import annotations

import copy
from typing import Any

from calculator.fields import PROJECT, PROJECT_LISTS
from calculator.inputs import NESTED, NESTED_LISTS

#: The lists a person edits for each mode, in the order they are shown.
MODE_LISTS = {
    "appraisal": ("costs", "outcomes"),
    "comparison": ("costs", "intervention_usage", "comparison_usage"),
    "case_level": ("cases", "case_outcomes", "teams"),
}


def _flat_name(nest: str, key: str) -> str:
    """The project field a nested key is read into (``service.price_year`` is special)."""
    return "service_price_year" if (nest, key) == ("service", "price_year") else key


def project_values(doc: dict[str, Any]) -> dict[str, Any]:
    """The project's declared fields, flat, as a form shows them."""
    values = {f.name: doc[f.name] for f in PROJECT if f.name in doc}
    for nest, keys in NESTED.items():
        inner = doc.get(nest)
        if isinstance(inner, dict):
            values.update({_flat_name(nest, k): inner[k] for k in keys if k in inner})
    return values


def with_project_values(doc: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with its declared project fields replaced by ``values`` (lists kept)."""
    out = copy.deepcopy(doc)
    nested_fields = {_flat_name(n, k): (n, k) for n, keys in NESTED.items() for k in keys}
    for spec in PROJECT:
        if spec.name not in nested_fields:
            out.pop(spec.name, None)
    for nest, keys in NESTED.items():
        inner = out.get(nest)
        if isinstance(inner, dict):
            for key in keys:
                inner.pop(key, None)
    for name, value in values.items():
        if name in nested_fields:
            nest, key = nested_fields[name]
            out.setdefault(nest, {})[key] = value
        else:
            out[name] = value
    return _tidy(out)


def _tidy(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop nested objects left empty, so a document holds only what was given."""
    for nest in NESTED:
        if doc.get(nest) == {}:
            del doc[nest]
    return doc


def rows(doc: dict[str, Any], list_name: str) -> list[dict[str, Any]]:
    """The rows of one list of the project (empty when it has none)."""
    nest = NESTED_LISTS.get(list_name)
    holder = doc.get(nest) if nest else doc
    items = holder.get(list_name) if isinstance(holder, dict) else None
    return [r for r in items if isinstance(r, dict)] if isinstance(items, list) else []


def with_rows(doc: dict[str, Any], list_name: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """``doc`` with one list replaced (removed when empty)."""
    if list_name not in PROJECT_LISTS:
        raise KeyError(list_name)
    out = copy.deepcopy(doc)
    nest = NESTED_LISTS.get(list_name)
    holder = out.setdefault(nest, {}) if nest else out
    if items:
        holder[list_name] = copy.deepcopy(items)
    else:
        holder.pop(list_name, None)
    return _tidy(out)


def with_row(
    doc: dict[str, Any], list_name: str, row: int | None, values: dict[str, Any]
) -> dict[str, Any]:
    """``doc`` with row ``row`` (1-based) replaced by ``values``, or appended when None."""
    items = rows(doc, list_name)
    if row is None:
        items.append(values)
    else:
        items[row - 1] = values
    return with_rows(doc, list_name, items)


def without_row(doc: dict[str, Any], list_name: str, row: int) -> dict[str, Any]:
    items = rows(doc, list_name)
    del items[row - 1]
    return with_rows(doc, list_name, items)


def lists_shown(doc: dict[str, Any]) -> tuple[str, ...]:
    """The mode's lists, then any other list that holds rows (nothing is hidden)."""
    mode = str(doc.get("mode") or "appraisal")
    shown = MODE_LISTS.get(mode, MODE_LISTS["appraisal"])
    return shown + tuple(n for n in PROJECT_LISTS if n not in shown and rows(doc, n))
