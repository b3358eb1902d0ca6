"""Why a re-run's figures differ from the original run's: the reasons, named.

A re-run on the tables now in use can differ from its original for four reasons, each
read from what the two runs recorded:

- a unit cost the run used has a different row in the table version now in use (its
  value, price year, grade, agency...): each such code with both rows;
- the deflator table (or the optimism bias table, or the discount schedules) changed;
- the base year changed;
- the engine version changed.

The unit cost codes a run used are every ``unit_cost_code`` in its stored input, less
those the input's own ``unit_costs`` rows define (those rows travel with the input, so a
new table version does not change them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core import models
from ..core.reference import app_reference, engine_table
from ..core.table_diff import RowChange, RowOnly, diff_tables

#: Reference tables named in a run's provenance, and their names in words.
REFERENCE_TABLES = {
    "deflator_table": "deflator table",
    "optimism_bias_table": "optimism bias table",
    "discount_schedules": "discount schedules",
}


@dataclass(frozen=True)
class Reasons:
    """Why a re-run differs from its original (empty when nothing it used changed)."""

    changed_codes: list[RowChange] = field(default_factory=list)
    added_codes: list[RowOnly] = field(default_factory=list)
    removed_codes: list[RowOnly] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.changed_codes or self.added_codes or self.removed_codes or self.other)


def _codes(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "unit_cost_code" and isinstance(item, str) and item.strip():
                yield item.strip()
            else:
                yield from _codes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _codes(item)


def used_codes(input_doc: dict[str, Any]) -> set[str]:
    """The table's unit cost codes a run's input uses (not those its own rows define)."""
    own = {
        str(r.get("code", "")).strip()
        for r in input_doc.get("unit_costs") or []
        if isinstance(r, dict)
    }
    return set(_codes(input_doc.get("projects") or [])) - own


def _describe(name: str, before: Any, after: Any) -> str:
    if isinstance(before, dict) and isinstance(after, dict):
        old = f"{before.get('name', '')} {before.get('version', '')}".strip()
        new = f"{after.get('name', '')} {after.get('version', '')}".strip()
        if old == new:
            hashes = f"{str(before.get('sha256'))[:12]} then {str(after.get('sha256'))[:12]}"
            return f"The {name} changed: {old}, SHA-256 {hashes}."
        return f"The {name} changed from {old} to {new}."
    return f"The {name} changed from {before} to {after}."


def rerun_reasons(original: models.Run, again: models.Run) -> Reasons:
    """What changed between ``original`` and its re-run ``again`` that moves figures."""
    before, after = original.results.get("run", {}), again.results.get("run", {})
    other = []
    if original.engine_version != again.engine_version:
        other.append(
            f"The engine version changed from {original.engine_version} to {again.engine_version}."
        )
    if before.get("base_year") != after.get("base_year"):
        other.append(_describe("base year", before.get("base_year"), after.get("base_year")))
    for key, name in REFERENCE_TABLES.items():
        old, new = before.get(key) or {}, after.get(key) or {}
        if old.get("sha256") != new.get("sha256"):
            other.append(_describe(name, old, new))
    same_table = original.unit_cost_table_id == again.unit_cost_table_id
    if same_table:
        return Reasons(other=other)
    diff = diff_tables(
        engine_table(original.unit_cost_table),
        engine_table(again.unit_cost_table),
        app_reference().deflators,
        codes=used_codes(original.input_doc),
    )
    return Reasons(diff.changed, diff.added, diff.removed, other)
