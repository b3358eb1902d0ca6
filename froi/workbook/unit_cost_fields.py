"""The columns of a unit cost table (METHOD 1.1) as field declarations.

The engine declares a unit cost table by its column names (``calculator.unit_costs``)
and checks rows itself; the template needs words for each column (its Instructions
row, its dropdown and the help Excel shows on a cell), so they are declared here once,
in the same terms as METHOD 1.1.  A test checks the names match the engine's columns.
"""

from __future__ import annotations

from calculator.fields import CATEGORIES, Field

UNIT_COST_FIELDS: tuple[Field, ...] = (
    Field(
        "code",
        "text",
        "Code of a unit cost this input adds, or of a national one it replaces; dots give "
        "the hierarchy (SS2.0.1 is part of SS2.0)",
        required=True,
        example="LOCAL-PA1",
    ),
    Field("name", "text", "What the unit is", required=True, example="Personal assistant"),
    Field("unit", "text", "What one unit is", required=True, example="per year"),
    Field(
        "value",
        "number",
        "Pounds per unit, at price_year prices",
        required=True,
        minimum=0,
        unit="£",
        example=30456,
    ),
    Field(
        "price_year",
        "price_year",
        "Financial year whose prices the value is in",
        required=True,
        example="2024-25",
    ),
    Field(
        "agency",
        "text",
        "Who bears the cost, so who saves it",
        required=True,
        example="Local Authority",
    ),
    Field("agency_detail", "text", "Part of the agency", example="Children's Services"),
    Field(
        "category",
        "choice",
        "fiscal (public budgets), economic (people's and businesses' money) or social "
        "(wellbeing, health)",
        required=True,
        choices=CATEGORIES,
        example="fiscal",
    ),
    Field(
        "cashable",
        "bool",
        "A fiscal saving that can be released as cash",
        default=False,
        example=False,
    ),
    Field(
        "confidence_grade",
        "integer",
        "Quality of the figure, 1 (best) to 6; drives optimism bias",
        minimum=1,
        maximum=6,
        example=2,
    ),
    Field(
        "source",
        "text",
        "Publication and edition the figure comes from",
        required=True,
        example="Council finance team, 2024-25 budget",
    ),
    Field("grade_reason", "text", "Why the figure has its confidence grade"),
    Field("group", "text", "A grouping of unit costs, for lists"),
    Field("notes", "text", "Anything else a reader should know"),
)
