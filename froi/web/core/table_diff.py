"""What changed between two unit cost table versions, row by row and field by field.

Both versions are compared as a run would use them (a local override with its national
rows beneath it), so the comparison answers "what would a run compute differently".
Each changed row lists every field that differs with its value before and after, and the
change in the row's value at base-year prices (METHOD 1.2), which is what moves results:
a new price year with the same pounds is a change in value too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from calculator import unit_costs as uc
from calculator.prices import DeflatorTable

#: Fields compared, in the order a change is listed (the ones that move figures first).
COMPARED = (
    "value",
    "price_year",
    "confidence_grade",
    "agency",
    "category",
    "cashable",
    "unit",
    "name",
    "source",
    "agency_detail",
    "grade_reason",
    "group",
    "notes",
)


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class RowChange:
    """A code present in both versions whose row differs."""

    code: str
    name: str
    fields: list[FieldChange]
    base_before: float
    base_after: float

    @property
    def base_change(self) -> float:
        return self.base_after - self.base_before

    def field(self, name: str) -> FieldChange | None:
        return next((f for f in self.fields if f.field == name), None)


@dataclass(frozen=True)
class RowOnly:
    """A code in one version only, with its row and its value at base-year prices."""

    code: str
    row: dict[str, Any]
    base_value: float


@dataclass(frozen=True)
class TableDiff:
    added: list[RowOnly]
    removed: list[RowOnly]
    changed: list[RowChange]
    unchanged: int
    base_year: str

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _plain(value: Any) -> Any:
    """A cell as shown and compared: NaN grades as None, numpy scalars as Python ones."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value


def _record(rows: pd.DataFrame, code: str) -> dict[str, Any]:
    return {str(k): _plain(v) for k, v in rows.loc[code].items()}


def _at_base(record: dict[str, Any], deflators: DeflatorTable, base_year: str) -> float:
    return float(record["value"]) * deflators.factor(str(record["price_year"]), base_year)


def _shown(field: str, value: Any) -> Any:
    """A field's value as shown: a grade as a whole number."""
    if field == "confidence_grade" and isinstance(value, float):
        return int(value)
    return value


def diff_tables(
    before: uc.UnitCostTable,
    after: uc.UnitCostTable,
    deflators: DeflatorTable,
    *,
    codes: Iterable[str] | None = None,
) -> TableDiff:
    """Rows added, removed and changed from ``before`` to ``after`` (only ``codes``, if
    given), valued at the deflator table's latest year."""
    base_year = deflators.latest_year
    old, new = before.rows, after.rows
    old_codes, new_codes = set(old.index), set(new.index)
    wanted = set(codes) if codes is not None else old_codes | new_codes
    added = [
        RowOnly(c, r := _record(new, c), _at_base(r, deflators, base_year))
        for c in sorted((new_codes - old_codes) & wanted)
    ]
    removed = [
        RowOnly(c, r := _record(old, c), _at_base(r, deflators, base_year))
        for c in sorted((old_codes - new_codes) & wanted)
    ]
    changed: list[RowChange] = []
    unchanged = 0
    for code in sorted(old_codes & new_codes & wanted):
        a, b = _record(old, code), _record(new, code)
        fields = [
            FieldChange(f, _shown(f, a[f]), _shown(f, b[f])) for f in COMPARED if a[f] != b[f]
        ]
        if not fields:
            unchanged += 1
            continue
        changed.append(
            RowChange(
                code,
                str(b["name"]),
                fields,
                _at_base(a, deflators, base_year),
                _at_base(b, deflators, base_year),
            )
        )
    return TableDiff(added, removed, changed, unchanged, base_year)
