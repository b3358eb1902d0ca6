"""The workbook layout of the canonical input: one sheet per list, one column per field.

The template, the reader and the results workbook's Inputs sheet all take their sheet
names and columns from here, and the columns from :mod:`calculator.fields`, so the three
can never drift apart (and an exported Inputs sheet can be uploaded again).
"""

from __future__ import annotations

from dataclasses import dataclass

from calculator.fields import (
    CASE,
    CASE_OUTCOME,
    COST,
    OUTCOME,
    PROJECT,
    SETTINGS,
    TEAM,
    USAGE,
    Field,
)
from calculator.unit_costs import COLUMNS as UNIT_COST_COLUMNS

PROJECT_ID = Field(
    "project_id",
    "text",
    "The project this row belongs to (as on Projects)",
    required=True,
    example="EOC-01",
)
GROUP = Field(
    "group",
    "choice",
    "intervention or comparison: which group used the service",
    required=True,
    choices=("intervention", "comparison"),
    example="comparison",
)


@dataclass(frozen=True)
class Sheet:
    """A sheet of the input workbook: its name, the list it holds and its columns."""

    name: str
    list_name: str  # the canonical list ("projects", "costs", ...; "settings", "unit_costs")
    fields: tuple[Field, ...]

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]


SHEETS: tuple[Sheet, ...] = (
    Sheet("Settings", "settings", SETTINGS),  # laid out as name | value rows
    Sheet("UnitCosts", "unit_costs", ()),  # columns: calculator.unit_costs.COLUMNS
    Sheet("Projects", "projects", PROJECT),
    Sheet("Costs", "costs", (PROJECT_ID, *COST)),
    Sheet("Outcomes", "outcomes", (PROJECT_ID, *OUTCOME)),
    Sheet("ComparisonUsage", "usage", (PROJECT_ID, GROUP, *USAGE)),
    Sheet("Cases", "cases", (PROJECT_ID, *CASE)),
    Sheet("CaseOutcomes", "case_outcomes", (PROJECT_ID, *CASE_OUTCOME)),
    Sheet("Teams", "teams", (PROJECT_ID, *TEAM)),
)
SHEET_BY_NAME = {s.name: s for s in SHEETS}
#: canonical list name -> sheet that holds it (both usage lists live on ComparisonUsage)
SHEET_OF_LIST = {
    **{s.list_name: s for s in SHEETS},
    "intervention_usage": SHEET_BY_NAME["ComparisonUsage"],
    "comparison_usage": SHEET_BY_NAME["ComparisonUsage"],
}
UNIT_COSTS_COLUMNS = list(UNIT_COST_COLUMNS)
