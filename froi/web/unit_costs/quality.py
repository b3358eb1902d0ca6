"""The data-quality report of a unit cost table version.

Three kinds of finding, none of which stops a table being used (the strict loader has
already refused anything invalid):

- hierarchy mismatches (METHOD 1.1): a parent that is not the sum of its same-unit parts,
  by code, from ``calculator.unit_costs.hierarchy_problems`` as ``load_table`` reports
  them;
- the importer's other data-quality checks (``calculator.gmca_checks``) that apply to any
  table: zero or implausible values, parts at another price year than their parent, a
  total recorded against one agency, multi-year units, mixed value labels, rows described
  as including economic or social value (and so never fiscal, METHOD 2.2; a table
  published before that rule that counts one as fiscal shows it as its own kind),
  duplicates;
- rows without a confidence grade, which the optimism bias cannot be set for.

The counts the table's own metadata records (``warnings_by_kind``) are shown beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from calculator import gmca_checks
from calculator import unit_costs as uc
from calculator.categories import category_problems
from calculator.errors import Problem

#: The importer checks that need nothing but a table's own columns.
CHECKS: tuple[Callable[[pd.DataFrame, str], list[Problem]], ...] = (
    gmca_checks.value_checks,
    gmca_checks.family_checks,
    gmca_checks.label_checks,
    gmca_checks.value_type_checks,
    gmca_checks.duplicate_entries,
)
#: A row described as including economic or social value but categorised fiscal: only a
#: table published before the rule was enforced can hold one (uploads refuse it).
COUNTED_AS_FISCAL = "counted_as_fiscal"


@dataclass(frozen=True)
class Finding:
    code: str
    kind: str
    message: str


@dataclass(frozen=True)
class QualityReport:
    hierarchy: list[Finding]
    other: list[Finding]
    ungraded: list[str]
    recorded: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.hierarchy) + len(self.other) + len(self.ungraded)


def quality_report(table: uc.UnitCostTable, recorded: dict[str, int]) -> QualityReport:
    rows = table.rows
    hierarchy = [
        Finding(gmca_checks.hierarchy_parent(p) or "", "hierarchy_mismatch", p.message)
        for p in uc.hierarchy_problems(rows)
    ]
    # the importer's checks group rows by workbook sheet and detail: a group's two parts
    parts = rows["group"].astype(str).str.split(" / ", n=1, expand=True).reindex(columns=[0, 1])
    frame = rows.assign(
        position=range(1, len(rows) + 1),
        sheet=parts[0].fillna("").to_numpy(),
        detail=parts[1].fillna("").to_numpy(),
    )
    other: list[Finding] = []
    for check in CHECKS:
        for problem in check(frame, "table"):
            code = getattr(problem, "code", "")
            kind = getattr(problem, "kind", "invalid")
            other.append(Finding(str(code), str(kind), problem.message))
    numbers = {str(code): i for i, code in enumerate(rows.index, start=1)}
    for problem in category_problems(rows, numbers, file=None):
        code = str(rows.index[(problem.row or 1) - 1])
        other.append(Finding(code, COUNTED_AS_FISCAL, problem.message))
    other.sort(key=lambda f: (f.kind, f.code))
    ungraded = sorted(str(c) for c in rows.index[rows["confidence_grade"].isna()])
    return QualityReport(sorted(hierarchy, key=lambda f: f.code), other, ungraded, recorded)


def kind_words(kind: str) -> str:
    """What a kind of finding means, in words."""
    if kind == COUNTED_AS_FISCAL:
        return (
            "described as including economic or social value but counted as fiscal: it "
            "overstates FROI (a table published before this was refused); use a newer version"
        )
    return gmca_checks.KINDS.get(kind, kind.replace("_", " "))
