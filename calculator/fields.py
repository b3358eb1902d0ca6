"""Every input field, declared once: type, default, range, allowed values and help text.

The JSON reader, the workbook template and reader, the web forms and the API all derive
their rules and their words from these declarations, so a field is described the same
way everywhere (``Outcomes!F12: success must be between 0 and 1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal[
    "text",  # free text
    "number",  # any real number within min/max
    "integer",  # whole number within min/max
    "rate",  # a share from 0 to 1 (45% in a workbook)
    "price_year",  # financial year, 2013-14
    "choice",  # one of ``choices`` (case-insensitive)
    "bool",  # true/false
    "discount",  # a schedule name or a flat rate
    "code",  # a unit cost code
]


@dataclass(frozen=True)
class Field:
    """One input field: how to read it, check it and explain it."""

    name: str
    kind: Kind
    help: str
    required: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    example: Any = None
    #: text and codes: the most characters accepted (the service stores text in columns
    #: of a fixed size, and a 10 MB name would make a 20 MB page)
    max_length: int | None = None
    #: a reference other rows or addresses use: only :data:`IDENTIFIER_CHARACTERS`
    identifier: bool = False

    def accepted(self) -> str:
        """What would be accepted, in words, for error messages."""
        if self.kind == "rate":
            return "a share between 0 and 1 (for example 0.45 or 45%)"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "price_year":
            return "a financial year such as 2013-14"
        if self.kind == "discount":
            return "standard, health, or a flat rate such as 0.035"
        if self.kind in ("number", "integer"):
            what = "a whole number" if self.kind == "integer" else "a number"
            if self.minimum is not None and self.maximum is not None:
                return f"{what} from {_figure(self.minimum)} to {_figure(self.maximum)}"
            if self.minimum is not None:
                return f"{what} of {_figure(self.minimum)} or more"
            return what
        return "text"


#: The stated range of every kind of figure: far beyond any real project, so a value
#: outside it is a slip (a pasted account number, 5,000 nines) that would otherwise give
#: an absurd or infinite result.
MONEY_MAX = 100_000_000_000  # £100 billion
COUNT_MAX = 100_000_000  # people, families, cases: more than live in England
QUANTITY_MAX = 1_000_000_000  # units of a unit cost
YEAR_MAX = 99  # appraisal years are at most 100, numbered from 0
HOURS_MAX = 8784  # hours in a leap year
SEED_MAX = 2**32 - 1


def _figure(bound: float) -> str:
    """A bound as a person writes it: 100,000,000,000, not 1e+11."""
    return f"{bound:,.0f}" if float(bound).is_integer() else f"{bound:,}"


MODES = ("appraisal", "comparison", "case_level")
COST_KINDS = ("set_up", "recurring", "offset")
COST_TYPES = ("staff", "training", "buildings", "travel", "accommodation_respite", "other")
CATEGORIES = ("fiscal", "economic", "social")

SETTINGS: tuple[Field, ...] = (
    Field(
        "base_year",
        "price_year",
        "Financial year whose prices every figure is shown in; "
        "default: the latest year of the deflator table",
        example="2024-25",
    ),
    Field(
        "appraisal_years",
        "integer",
        "Number of years appraised, year 0 first",
        default=5,
        minimum=1,
        maximum=100,
        unit="years",
        example=5,
    ),
    Field(
        "discount",
        "discount",
        "Discount schedule for the run: standard (Green Book 3.5%), health (1.5%) or a flat rate",
        default="standard",
        example="standard",
    ),
    Field(
        "apply_optimism_bias",
        "bool",
        "Adjust benefits down and costs up by the optimism bias of each row's confidence grade",
        default=True,
        example=True,
    ),
    Field(
        "seed",
        "integer",
        "Random seed for the bootstrap and simulations, so a run reproduces",
        default=0,
        minimum=0,
        maximum=SEED_MAX,
        example=0,
    ),
    Field(
        "simulations",
        "integer",
        "Monte Carlo simulations for the uncertainty analysis (0: none)",
        default=0,
        minimum=0,
        maximum=1000000,
        example=10000,
    ),
    Field(
        "bootstrap_resamples",
        "integer",
        "Bootstrap resamples for the observed FROI interval of case-level projects",
        default=2000,
        minimum=100,
        maximum=100000,
        example=2000,
    ),
)

PROJECT: tuple[Field, ...] = (
    Field(
        "project_id",
        "text",
        "Short unique reference for the project",
        required=True,
        example="EOC-01",
        max_length=100,
        identifier=True,
    ),
    Field("name", "text", "Project name", example="Edge of care hub", max_length=300),
    Field(
        "organisation",
        "text",
        "Council or organisation running the project",
        example="Anytown Council",
        max_length=300,
    ),
    Field(
        "participants",
        "number",
        "People or families supported, for per-participant figures",
        minimum=0,
        maximum=COUNT_MAX,
        unit="people",
        example=120,
    ),
    Field(
        "mode",
        "choice",
        "appraisal (forecast FROI), comparison (costs avoided against a "
        "comparison group) or case_level (observed FROI from case records)",
        default="appraisal",
        choices=MODES,
        example="appraisal",
    ),
    Field(
        "discount",
        "discount",
        "Discount schedule for this project, overriding the run's",
        example="standard",
    ),
    Field(
        "case_cost_price_year",
        "price_year",
        "Price year of case costs (case-level mode); default: the base year",
        example="2016-17",
    ),
    # comparison mode
    Field(
        "intervention_cases",
        "number",
        "Cases in the intervention group (comparison mode)",
        minimum=0,
        maximum=COUNT_MAX,
        unit="cases",
        example=150,
    ),
    Field(
        "comparison_cases",
        "number",
        "Cases in the comparison group (comparison mode)",
        minimum=0,
        maximum=COUNT_MAX,
        unit="cases",
        example=150,
    ),
    # case-level mode: the service
    Field(
        "annual_running_cost",
        "number",
        "Cost of running the whole service for a year (case-level mode)",
        minimum=0,
        maximum=MONEY_MAX,
        unit="£ a year",
        example=769735,
    ),
    Field(
        "annual_throughput",
        "number",
        "Cases the whole service sees in a year (case-level mode)",
        minimum=0,
        maximum=COUNT_MAX,
        unit="cases a year",
        example=246,
    ),
    Field(
        "margin_of_error",
        "rate",
        "Margin of error for the sample confidence level",
        default=0.05,
        example=0.05,
    ),
    Field(
        "service_price_year",
        "price_year",
        "Price year of the annual running cost; default: the base year",
        example="2016-17",
    ),
)

COST: tuple[Field, ...] = (
    Field(
        "description",
        "text",
        "What the cost is for",
        example="Two family support workers",
        max_length=500,
    ),
    Field(
        "year",
        "integer",
        "Appraisal year the cost falls in (0 = first year)",
        default=0,
        minimum=0,
        maximum=YEAR_MAX,
        unit="year",
        example=0,
    ),
    Field(
        "end_year",
        "integer",
        "Last appraisal year the cost applies in, for a cost that repeats each year from "
        "year to end_year (default: year, so the cost falls in that one year)",
        minimum=0,
        maximum=YEAR_MAX,
        unit="year",
        example=4,
    ),
    Field(
        "amount",
        "number",
        "Cost in pounds at price_year prices (leave blank when costed "
        "from a unit cost or a salary)",
        minimum=0,
        maximum=MONEY_MAX,
        unit="£",
        example=60000,
    ),
    Field(
        "price_year",
        "price_year",
        "Price year of the amount; default: the base year",
        example="2024-25",
    ),
    Field(
        "agency",
        "text",
        "Who pays (for a unit-costed row: the unit cost's agency)",
        example="Local Authority",
        max_length=200,
    ),
    Field(
        "kind",
        "choice",
        "set_up (one-off), recurring, or offset (a cost saved elsewhere "
        "because of the project, subtracted from costs)",
        default="recurring",
        choices=COST_KINDS,
        example="recurring",
    ),
    Field(
        "cost_type",
        "choice",
        "Type of cost, for reporting costs by type",
        default="other",
        choices=COST_TYPES,
        example="staff",
    ),
    Field(
        "confidence_grade",
        "integer",
        "Quality of the figure, 1 (best) to 6; drives optimism bias; default: the unit "
        "cost's grade for a row costed from a unit cost, else 1",
        minimum=1,
        maximum=6,
        example=1,
    ),
    Field(
        "unit_cost_code",
        "code",
        "Cost the row from the unit cost table: the code",
        example="SS4.0",
        max_length=60,
        identifier=True,
    ),
    Field(
        "quantity",
        "number",
        "Units of the unit cost (or hours, or FTE years for a salary)",
        minimum=0,
        maximum=QUANTITY_MAX,
        example=400,
    ),
    Field(
        "salary",
        "number",
        "Annual salary, to build a staff cost bottom-up",
        minimum=0,
        maximum=MONEY_MAX,
        unit="£ a year",
        example=38000,
    ),
    Field(
        "on_costs",
        "rate",
        "Employer's on-costs (NI, pension) as a share of salary",
        default=0.0,
        example=0.3,
    ),
    Field(
        "overheads",
        "rate",
        "Overheads as a share of salary plus on-costs",
        default=0.0,
        example=0.2,
    ),
    Field(
        "amount_low",
        "number",
        "Uncertainty: lowest plausible cost of the row, at its price year (default: from "
        "the confidence grade)",
        minimum=0,
        maximum=MONEY_MAX,
        unit="£",
        example=50000,
    ),
    Field(
        "amount_high",
        "number",
        "Uncertainty: highest plausible cost of the row, at its price year (default: from "
        "the confidence grade)",
        minimum=0,
        maximum=MONEY_MAX,
        unit="£",
        example=80000,
    ),
    Field(
        "productive_hours",
        "number",
        "Productive hours a year, to turn the annual staff cost into an hourly one",
        minimum=1,
        maximum=HOURS_MAX,
        unit="hours a year",
        example=1500,
    ),
)

OUTCOME: tuple[Field, ...] = (
    Field(
        "description",
        "text",
        "What the outcome is",
        example="Entries to care avoided",
        max_length=500,
    ),
    Field(
        "unit_cost_code",
        "code",
        "Unit cost of the adverse outcome avoided",
        required=True,
        example="SS1.2",
        max_length=60,
        identifier=True,
    ),
    Field(
        "cohort",
        "number",
        "People or families who start in cohort_year",
        required=True,
        minimum=0,
        maximum=COUNT_MAX,
        unit="people",
        example=40,
    ),
    Field(
        "cohort_year",
        "integer",
        "Year the cohort starts",
        default=0,
        minimum=0,
        maximum=YEAR_MAX,
        unit="year",
        example=0,
    ),
    Field("engagement", "rate", "Share of the cohort who take part", default=1.0, example=0.8),
    Field(
        "success",
        "rate",
        "Share of those engaged who achieve the outcome",
        required=True,
        example=0.3,
    ),
    Field(
        "deadweight", "rate", "Share who would have achieved it anyway", default=0.0, example=0.2
    ),
    Field(
        "displacement",
        "rate",
        "Share of the benefit that only moves the cost elsewhere",
        default=0.0,
        example=0.0,
    ),
    Field(
        "attribution",
        "rate",
        "Share of the net change credited to this project",
        default=1.0,
        example=1.0,
    ),
    Field(
        "quantity",
        "number",
        "Units of the unit cost avoided per net outcome per benefit year (for example 52 weeks)",
        default=1.0,
        minimum=0,
        maximum=QUANTITY_MAX,
        example=52,
    ),
    Field(
        "lag",
        "integer",
        "Years between the cohort starting and the benefit starting",
        default=0,
        minimum=0,
        maximum=YEAR_MAX,
        unit="years",
        example=0,
    ),
    Field(
        "duration",
        "integer",
        "Years the benefit lasts",
        default=1,
        minimum=1,
        maximum=YEAR_MAX + 1,
        unit="years",
        example=2,
    ),
    Field(
        "drop_off",
        "rate",
        "Share of the benefit lost each year after the first",
        default=0.0,
        example=0.1,
    ),
    Field(
        "confidence_grade",
        "integer",
        "Quality of the evidence, 1 (best) to 6; default: the unit cost's grade",
        minimum=1,
        maximum=6,
        example=3,
    ),
    Field(
        "discount",
        "discount",
        "Discount schedule for this outcome, overriding the project's",
        example="health",
    ),
    Field(
        "success_low",
        "rate",
        "Uncertainty: lowest plausible success rate (default: from the confidence grade)",
        example=0.2,
    ),
    Field(
        "success_high",
        "rate",
        "Uncertainty: highest plausible success rate (default: from the confidence grade)",
        example=0.4,
    ),
    Field(
        "deadweight_low",
        "rate",
        "Uncertainty: lowest plausible deadweight (default: from the confidence grade)",
        example=0.1,
    ),
    Field(
        "deadweight_high",
        "rate",
        "Uncertainty: highest plausible deadweight (default: from the confidence grade)",
        example=0.3,
    ),
    Field(
        "value_low",
        "number",
        "Uncertainty: lowest plausible unit value, at the unit cost's price year",
        minimum=0,
        maximum=MONEY_MAX,
        unit="£",
        example=500,
    ),
    Field(
        "value_high",
        "number",
        "Uncertainty: highest plausible unit value, at the unit cost's price year",
        minimum=0,
        maximum=MONEY_MAX,
        unit="£",
        example=900,
    ),
    Field(
        "outcome_theme",
        "integer",
        "Common outcome served (1-24, outcome themes list)",
        minimum=1,
        maximum=24,
        example=1,
    ),
)

USAGE: tuple[Field, ...] = (
    Field(
        "unit_cost_code",
        "code",
        "Unit cost of the service used",
        required=True,
        example="SS1.2",
        max_length=60,
        identifier=True,
    ),
    Field(
        "quantity",
        "number",
        "Total units used by the whole group over the evaluation period",
        required=True,
        minimum=0,
        maximum=QUANTITY_MAX,
        example=1200,
    ),
)

CASE: tuple[Field, ...] = (
    Field(
        "case_id",
        "text",
        "Case reference, unique within the project",
        required=True,
        example="C001",
        max_length=100,
        identifier=True,
    ),
    Field(
        "cost",
        "number",
        "Cost of working the case, at case_cost_price_year prices",
        required=True,
        minimum=0,
        maximum=MONEY_MAX,
        unit="£",
        example=2074,
    ),
    Field(
        "team",
        "text",
        "Team that worked the case (for a per-team projection)",
        example="North",
        max_length=100,
    ),
)

CASE_OUTCOME: tuple[Field, ...] = (
    Field(
        "case_id",
        "text",
        "Case the outcome belongs to",
        required=True,
        example="C001",
        max_length=100,
        identifier=True,
    ),
    Field(
        "unit_cost_code",
        "code",
        "Unit cost of the outcome avoided",
        required=True,
        example="SS1.2",
        max_length=60,
        identifier=True,
    ),
    Field(
        "quantity",
        "number",
        "Units avoided for this case",
        required=True,
        minimum=0,
        maximum=QUANTITY_MAX,
        example=26,
    ),
)

TEAM: tuple[Field, ...] = (
    Field(
        "team",
        "text",
        "Team name, as in the cases list",
        required=True,
        example="North",
        max_length=100,
    ),
    Field(
        "annual_throughput",
        "number",
        "Cases the team sees in a year",
        required=True,
        minimum=0,
        maximum=COUNT_MAX,
        unit="cases a year",
        example=120,
    ),
)

#: The lists of a project, as named in the canonical JSON (METHOD 6).
PROJECT_LISTS: dict[str, tuple[Field, ...]] = {
    "costs": COST,
    "outcomes": OUTCOME,
    "intervention_usage": USAGE,
    "comparison_usage": USAGE,
    "cases": CASE,
    "case_outcomes": CASE_OUTCOME,
    "teams": TEAM,
}


def by_name(fields: tuple[Field, ...]) -> dict[str, Field]:
    return {f.name: f for f in fields}
