"""The API's marshmallow schemas, made from the declarations every other input uses.

The canonical input (METHOD 6) is described field by field with the very
:class:`~froi.web.core.schemas.Declared` fields the forms use (``schema_for`` of
``calculator.fields``), nested as the document nests them (``calculator.jsonpath``), so
the OpenAPI document states each field's type, range, choices, unit and help exactly as
the engine declares it.  An input is still checked by the engine itself
(``calculator.inputs.read_input``: the key checks, every column check, the cross-row
rules), as the command line, the pages and the workbook reader check it: one rule, one
message, wherever it is sent.

The results are described as the engine writes them (``Results.to_dict()``, the shape
``froi compute`` prints): the documented keys are listed and further keys allowed, since
each mode reports its own figures.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from calculator.fields import PROJECT, PROJECT_LISTS, SETTINGS
from calculator.jsonpath import NESTED, NESTED_FIELDS, NESTED_LISTS
from froi.workbook.unit_cost_fields import UNIT_COST_FIELDS

from ..core.schemas import Declared, DeclaredSchema, schema_for


def _when(**options: Any) -> ma.fields.String:
    """A time as ISO 8601 text (the API writes them; nothing parses them back)."""
    return ma.fields.String(metadata={"format": "date-time"}, **options)


class Open(ma.Schema):
    """A documented object that may hold more keys than it lists (results, provenance)."""

    class Meta:
        unknown = ma.INCLUDE


def _list_of(schema: type[ma.Schema], description: str) -> ma.fields.List[Any]:
    return ma.fields.List(ma.fields.Nested(schema), metadata={"description": description})


_ROW_SCHEMAS: dict[str, type[ma.Schema]] = {}


def row_schema(list_name: str) -> type[ma.Schema]:
    """One row of a project's list, from the list's declarations."""
    if list_name not in _ROW_SCHEMAS:
        base = schema_for(PROJECT_LISTS[list_name])
        _ROW_SCHEMAS[list_name] = type(_camel(list_name) + "Row", (base,), {})
    return _ROW_SCHEMAS[list_name]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _nested_schema(nest: str) -> type[ma.Schema]:
    """``comparison`` or ``service``: its declared keys and the lists it holds."""
    by_name = {f.name: f for f in PROJECT}
    fields: dict[str, Any] = {
        key: Declared(by_name[flat]) for flat, (n, key) in NESTED_FIELDS.items() if n == nest
    }
    for list_name, holder in NESTED_LISTS.items():
        if holder == nest:
            fields[list_name] = _list_of(row_schema(list_name), f"The {list_name} rows")
    return type(_camel(nest), (DeclaredSchema,), fields)


def _project_schema() -> type[ma.Schema]:
    flat = tuple(f for f in PROJECT if f.name not in NESTED_FIELDS)
    base = schema_for(flat)
    fields: dict[str, Any] = {
        name: _list_of(row_schema(name), f"The project's {name.replace('_', ' ')}")
        for name in PROJECT_LISTS
        if name not in NESTED_LISTS
    }
    for nest in NESTED:
        fields[nest] = ma.fields.Nested(
            _nested_schema(nest), metadata={"description": f"The project's {nest} figures"}
        )
    return type("Project", (base,), fields)


Settings = type("Settings", (schema_for(SETTINGS),), {})
UnitCostRowInput = type("UnitCostRowInput", (schema_for(UNIT_COST_FIELDS),), {})
Project = _project_schema()


#: A small input that computes: the documentation's example, and Schemathesis's first
#: request of each operation that takes an input (so a run and a project exist to follow).
EXAMPLE_INPUT: dict[str, Any] = {
    "settings": {"appraisal_years": 5, "discount": "standard"},
    "projects": [
        {
            "project_id": "EXAMPLE-1",
            "name": "Edge of care hub",
            "costs": [
                {
                    "description": "Hub team",
                    "year": 0,
                    "end_year": 4,
                    "amount": 150000,
                    "agency": "Local Authority",
                    "kind": "recurring",
                }
            ],
            "outcomes": [
                {
                    "description": "Entries to residential care avoided",
                    "unit_cost_code": "SS3.0",
                    "cohort": 24,
                    "success": 0.12,
                    "deadweight": 0.35,
                    "quantity": 26,
                }
            ],
        }
    ],
}


class CalculationInput(ma.Schema):
    """The canonical input (METHOD 6): what ``froi compute`` reads."""

    class Meta:
        unknown = ma.RAISE

    settings = ma.fields.Nested(Settings, metadata={"description": "Settings of the run"})
    agencies = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "Agencies the input adds beside the unit cost table's"},
    )
    unit_costs = _list_of(
        UnitCostRowInput, "Local unit costs, added to or replacing the table's rows"
    )
    projects = _list_of(Project, "The projects, at least one")


# --- results ----------------------------------------------------------------------------


class ProblemItem(ma.Schema):
    """One problem of an input, where it is and what is wrong (as the check page says)."""

    severity = ma.fields.String(metadata={"enum": ["error", "warning"]})
    message = ma.fields.String(metadata={"description": "What is wrong and what is accepted"})
    text = ma.fields.String(metadata={"description": "The message with where it is"})
    where = ma.fields.String(allow_none=True)
    file = ma.fields.String(allow_none=True)
    project = ma.fields.String(allow_none=True)
    list = ma.fields.String(allow_none=True)
    row = ma.fields.Integer(allow_none=True)
    field = ma.fields.String(allow_none=True)
    path = ma.fields.String(
        allow_none=True,
        metadata={"description": "Where in the JSON input: projects[0].costs[2].amount"},
    )
    sheet = ma.fields.String(allow_none=True, metadata={"description": "A workbook's sheet"})
    cell = ma.fields.String(allow_none=True, metadata={"description": "A workbook's cell"})
    location = ma.fields.String(
        allow_none=True, metadata={"description": "query, form, files... for a parameter"}
    )
    code = ma.fields.String(allow_none=True, metadata={"description": "The kind, for programs"})


class ProblemDocument(ma.Schema):
    """RFC 9457 problem details, with every problem of the input listed."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    instance = ma.fields.String(required=True)
    errors = ma.fields.List(ma.fields.Nested(ProblemItem))
    warnings = ma.fields.List(ma.fields.Nested(ProblemItem))


class RunProvenance(Open):
    """What went in: the input's hash, the tables' versions and hashes, the engine."""

    id = ma.fields.Integer(metadata={"description": "The stored run's id"})
    url = ma.fields.String(metadata={"description": "The stored run in the API"})
    engine_version = ma.fields.String()
    input_sha256 = ma.fields.String()
    computed_at = ma.fields.String()
    base_year = ma.fields.String()
    settings = ma.fields.Dict()
    unit_cost_table = ma.fields.Dict()
    warnings = ma.fields.List(ma.fields.Nested(ProblemItem))


class ProjectResults(Open):
    """One project's figures; each mode reports its own (METHOD 6)."""

    project_id = ma.fields.String()
    name = ma.fields.String(allow_none=True)
    mode = ma.fields.String(metadata={"enum": ["appraisal", "comparison", "case_level"]})
    warnings = ma.fields.List(ma.fields.Nested(ProblemItem))


class Results(ma.Schema):
    """The results of a run, in the shape ``froi compute`` prints."""

    run = ma.fields.Nested(RunProvenance, required=True)
    projects = ma.fields.List(ma.fields.Nested(ProjectResults), required=True)


# --- resources --------------------------------------------------------------------------


class Paging(ma.Schema):
    page = ma.fields.Integer(required=True)
    page_size = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True, metadata={"description": "Items in all pages"})
    pages = ma.fields.Integer(required=True)


class PageArgs(ma.Schema):
    """Which page of a list: 1 to 100,000, of 1 to 100 items (default 20)."""

    class Meta:
        unknown = ma.RAISE

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100_000))
    page_size = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class TableRef(ma.Schema):
    name = ma.fields.String()
    version = ma.fields.String()
    sha256 = ma.fields.String()
    url = ma.fields.String()


class RunSummary(ma.Schema):
    id = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True)
    label = ma.fields.String(metadata={"description": "What was computed, in words"})
    project_ref = ma.fields.String()
    project = ma.fields.Integer(allow_none=True, metadata={"description": "Project id"})
    computed_at = _when()
    user = ma.fields.String()
    engine_version = ma.fields.String()
    input_sha256 = ma.fields.String()
    unit_cost_table = ma.fields.Nested(TableRef)
    rerun_of = ma.fields.Integer(allow_none=True)
    reproduced = ma.fields.Boolean(allow_none=True)
    projects = ma.fields.Integer(metadata={"description": "Projects computed"})


class RunList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RunSummary), required=True)
    paging = ma.fields.Nested(Paging, required=True)


class Difference(ma.Schema):
    path = ma.fields.String(required=True)
    stored = ma.fields.Raw(allow_none=True)
    now = ma.fields.Raw(allow_none=True)


class Reasons(ma.Schema):
    changed_codes = ma.fields.List(ma.fields.String())
    added_codes = ma.fields.List(ma.fields.String())
    removed_codes = ma.fields.List(ma.fields.String())
    other = ma.fields.List(ma.fields.String())


class RunDetail(RunSummary):
    input = ma.fields.Nested(CalculationInput, metadata={"description": "The input computed"})
    results = ma.fields.Nested(Results)
    differences = ma.fields.List(
        ma.fields.Nested(Difference),
        metadata={"description": "For a re-run: each figure not reproduced"},
    )
    reasons = ma.fields.Nested(Reasons, allow_none=True)


class RerunArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    tables = ma.fields.String(
        load_default="stored",
        validate=ma.validate.OneOf(("stored", "current")),
        metadata={
            "description": "stored: the table version the run used (reproduces it); "
            "current: the version now in use, with the differences and why"
        },
    )


class CalculationArgs(ma.Schema):
    """``?simulations=N&seed=S``: checked by their declarations, within the limits."""

    class Meta:
        unknown = ma.RAISE

    simulations = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=1_000_000),
        metadata={"description": "Monte Carlo simulations (0: none); see the limits"},
    )
    seed = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=2**32 - 1),
        metadata={"description": "Random seed, so a run reproduces"},
    )


class ProjectSummary(ma.Schema):
    id = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True)
    project_id = ma.fields.String(required=True, metadata={"description": "Its reference"})
    name = ma.fields.String()
    organisation = ma.fields.String()
    mode = ma.fields.String()
    revision = ma.fields.Integer(
        metadata={"description": "Counts saves; send it as If-Match to replace safely"}
    )
    scenario_of = ma.fields.Integer(allow_none=True)
    created_at = _when()
    updated_at = _when()


class ProjectList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ProjectSummary), required=True)
    paging = ma.fields.Nested(Paging, required=True)


class ProjectDetail(ProjectSummary):
    input = ma.fields.Nested(
        CalculationInput,
        metadata={"description": "The canonical input that computes this project alone"},
    )
    problems = ma.fields.List(ma.fields.Nested(ProblemItem))
    warnings = ma.fields.List(ma.fields.Nested(ProblemItem))


class SearchArgs(PageArgs):
    q = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=200),
        metadata={"description": "Words that must each appear in the reference or name"},
    )


class ResultsArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    simulations = CalculationArgs._declared_fields["simulations"]
    seed = CalculationArgs._declared_fields["seed"]


class UnitCostTableSummary(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    url = ma.fields.String(required=True)
    status = ma.fields.String(metadata={"enum": ["published", "draft"]})
    scope = ma.fields.String(metadata={"enum": ["national", "local"]})
    in_use = ma.fields.Boolean(metadata={"description": "New runs use it"})
    sha256 = ma.fields.String()
    row_count = ma.fields.Integer()
    publisher = ma.fields.String()
    licence = ma.fields.String()
    date = ma.fields.String()
    source = ma.fields.String()
    description = ma.fields.String()
    parent = ma.fields.Nested(TableRef, allow_none=True)
    published_at = _when(allow_none=True)


class UnitCostTableList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(UnitCostTableSummary), required=True)
    paging = ma.fields.Nested(Paging, required=True)


class UnitCostRow(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String()
    unit = ma.fields.String()
    value = ma.fields.Float(metadata={"description": "Pounds, at price_year prices"})
    price_year = ma.fields.String()
    value_at_base_year = ma.fields.Float()
    base_year = ma.fields.String()
    agency = ma.fields.String()
    agency_detail = ma.fields.String()
    category = ma.fields.String()
    cashable = ma.fields.Boolean()
    confidence_grade = ma.fields.Integer(allow_none=True)
    source = ma.fields.String()
    grade_reason = ma.fields.String()
    group_name = ma.fields.String()
    notes = ma.fields.String()
    from_table = ma.fields.String(
        metadata={"description": "For a local table: local, or the national version"}
    )


class UnitCostRowList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(UnitCostRow), required=True)
    paging = ma.fields.Nested(Paging, required=True)


class CodeArgs(PageArgs):
    q = SearchArgs._declared_fields["q"]


class TableImportForm(ma.Schema):
    """The metadata of an imported table, sent as form fields beside the file."""

    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    publisher = ma.fields.String()
    licence = ma.fields.String()
    date = ma.fields.String(metadata={"description": "2026-11-22 or 22 November 2026"})
    source = ma.fields.String()
    description = ma.fields.String()
    parent = ma.fields.String(
        metadata={
            "description": "For a local table: the national version it lays rows over, as "
            "NAME/VERSION; none for a national table (site administrators only)"
        }
    )
    publish = ma.fields.Boolean(
        load_default=False, metadata={"description": "Publish it at once (else a draft)"}
    )


class PortfolioArgs(PageArgs):
    q = SearchArgs._declared_fields["q"]
    mode = ma.fields.String(validate=ma.validate.OneOf(("appraisal", "comparison", "case_level")))
    theme = ma.fields.String(validate=ma.validate.Length(max=200))
    base_year = ma.fields.String(
        validate=ma.validate.Length(max=20),
        metadata={"description": "A year of the deflator table, e.g. 2025-26"},
    )
    appraisal_years = ma.fields.Integer(strict=False)
    sort = ma.fields.String(
        validate=ma.validate.Length(max=40),
        metadata={"description": "A column (froi, npv, ...), '-' first for descending"},
    )


class PortfolioRow(ma.Schema):
    project_id = ma.fields.String(required=True)
    project = ma.fields.Integer(allow_none=True, metadata={"description": "Project id"})
    name = ma.fields.String()
    organisation = ma.fields.String()
    mode = ma.fields.String()
    pv_costs = ma.fields.Float(allow_none=True)
    pv_fiscal = ma.fields.Float(allow_none=True)
    froi = ma.fields.Float(allow_none=True)
    npv = ma.fields.Float(allow_none=True)
    payback = ma.fields.Float(allow_none=True)
    band = ma.fields.String()
    cashable = ma.fields.Float(allow_none=True)
    themes = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())


class LeftOut(ma.Schema):
    project_id = ma.fields.String(required=True)
    project = ma.fields.Integer()
    problems = ma.fields.List(ma.fields.String())


class Portfolio(ma.Schema):
    run = ma.fields.Nested(RunSummary, allow_none=True)
    items = ma.fields.List(ma.fields.Nested(PortfolioRow), required=True)
    paging = ma.fields.Nested(Paging, required=True)
    left_out = ma.fields.List(ma.fields.Nested(LeftOut))
    general = ma.fields.List(
        ma.fields.String(), metadata={"description": "Problems of no one project"}
    )
    theme_totals = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
