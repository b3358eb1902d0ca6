"""Where a field lives in the canonical JSON input (METHOD 6), and its path there.

The engine reads a run as flat tables (one project table, one table per list) while the
JSON nests some project fields and lists inside ``comparison`` and ``service``.  This
module holds that map once: the reader uses it to flatten a document, the key checks to
say where a misplaced key belongs, the web forms and the workbook writer to nest a
project again, and :func:`json_path` to turn a problem's project, list, row and field
back into the path a person searches the file for (``projects[0].service.teams[1]``).
"""

from __future__ import annotations

from .fields import PROJECT

#: Nested objects of a project whose keys are columns of the project table.
NESTED = {
    "comparison": ("intervention_cases", "comparison_cases"),
    "service": ("annual_running_cost", "annual_throughput", "margin_of_error", "price_year"),
}
#: Lists that live inside a nested object in the JSON.
NESTED_LISTS = {
    "intervention_usage": "comparison",
    "comparison_usage": "comparison",
    "teams": "service",
}


def flat_name(nest: str, key: str) -> str:
    """The project-table column a nested key is read into (``service.price_year`` is
    ``service_price_year``; every other key keeps its name)."""
    return "service_price_year" if (nest, key) == ("service", "price_year") else key


_PROJECT_FIELDS = frozenset(f.name for f in PROJECT)
#: Project-table column -> (nested object, key in it), for the nested project fields.
NESTED_FIELDS = {flat_name(nest, key): (nest, key) for nest, keys in NESTED.items() for key in keys}


def json_path(
    p: int | None = None,
    list_name: str | None = None,
    row: int | None = None,
    field: str | None = None,
) -> str | None:
    """The path of a place in the canonical JSON: project position ``p`` (0-based), the
    list, the 1-based ``row`` within the project's list, the field.

    ``settings`` and ``unit_costs`` are top-level; a list of a project sits in the
    project or in its ``comparison`` or ``service``; a nested project field is written
    where the JSON holds it (``service_price_year`` is ``service.price_year``).
    """
    if list_name in ("settings", "unit_costs", "agencies"):
        path = list_name
        if row is not None:
            path += f"[{row - 1}]"
        return f"{path}.{field}" if field else path
    if p is None:
        return field or list_name
    path = f"projects[{p}]"
    if list_name in NESTED_LISTS:
        path += f".{NESTED_LISTS[list_name]}"
    if list_name is not None and list_name != "projects":
        path += f".{list_name}"
        if row is not None:
            path += f"[{row - 1}]"
        if field:
            if list_name in NESTED:
                field = NESTED_FIELDS.get(field, (list_name, field))[1]
            path += f".{field}"
        return path
    if field in NESTED_FIELDS:
        nest, key = NESTED_FIELDS[field]
        return f"{path}.{nest}.{key}"
    # a problem of the project as a whole may name a field of its rows: the project it is
    return f"{path}.{field}" if field in _PROJECT_FIELDS else path
