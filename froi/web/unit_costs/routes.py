"""Unit cost tables: every version with its provenance, browsing, comparing, quality.

``/unit-costs/`` browses the table new runs use; ``/unit-costs/tables`` lists every
national version and the organisation's local overrides, with which one new runs use;
``/unit-costs/tables/<id>`` browses one version (search by code, name, agency or unit;
filter by agency, category, grade, price year and theme), each row with its source,
grade and reasons, and its value as published and at base-year prices.  Comparing two
versions and a version's data-quality report are here too.  Uploading, local overrides,
draft editing, publishing and choosing the table in use are in :mod:`.edit`,
on this same blueprint.

Every search and filter is a GET form answered on the server, so each has an address
and no page needs JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import func, select

from calculator.fields import PROJECT_LISTS

from .. import MAX_ID
from ..accounts.access import current_organisation, has_role, table_role
from ..core import models
from ..core.db import get_session
from ..core.forms import ErrorItem
from ..core.reference import (
    FILTERS,
    app_reference,
    current_table,
    effective_rows,
    engine_table,
    search_rows,
    theme_of,
    value_at_base,
)
from ..core.table_diff import diff_tables
from ..projects import documents
from .quality import kind_words, quality_report
from .store import visible_tables

bp = Blueprint("unit_costs", __name__, url_prefix="/unit-costs")

#: Rows shown on one page of a table.
LIMIT = 100
#: The highest page asked for that is looked up (10 million rows; no table is as long).
MAX_PAGE = 100_000


def get_table(table_id: int) -> models.UnitCostTable:
    """A table version this organisation may see (national, or its own), or 404."""
    session = get_session()
    # a posted id (the in-use form) is not bounded by the route's converter
    table = session.get(models.UnitCostTable, table_id) if 0 < table_id <= MAX_ID else None
    if table is None or table.organisation_id not in (None, current_organisation(session).id):
        abort(404, description="There is no such unit cost table version.")
    return table


def status_words(table: models.UnitCostTable, in_use: models.UnitCostTable) -> str:
    words = "Published" if table.status == models.PUBLISHED else "Draft"
    return f"{words}, in use for new runs" if table.id == in_use.id else words


def _choices(table: models.UnitCostTable) -> dict[str, list[tuple[str, str]]]:
    """The values each filter can take in this table, as (value, words) options."""
    session = get_session()
    rows = effective_rows(table).subquery()
    out: dict[str, list[tuple[str, str]]] = {}
    for name in ("agency", "category", "price_year"):
        column = rows.c[name]
        values = session.scalars(select(column).distinct().order_by(column))
        out[name] = [(str(v), str(v)) for v in values]
    grades = set(session.scalars(select(rows.c.confidence_grade).distinct()))
    out["grade"] = [(str(g), str(g)) for g in sorted(g for g in grades if g is not None)]
    if None in grades:
        out["grade"].append(("none", "No grade"))
    groups = session.scalars(select(rows.c.group_name).distinct())
    out["theme"] = [(t, t) for t in sorted({theme_of(g) for g in groups if g})]
    return out


def _replaced(table: models.UnitCostTable) -> set[str]:
    """The codes of a local table's own rows that replace a national row."""
    if table.parent_id is None:
        return set()
    Row = models.UnitCostRow
    own = select(Row.code).where(Row.table_id == table.id)
    found = get_session().scalars(
        select(Row.code).where(Row.table_id == table.parent_id, Row.code.in_(own))
    )
    return set(found)


def browse(table: models.UnitCostTable, endpoint_args: dict[str, Any]) -> str:
    """A version's page: provenance, actions, search and filters, and its rows."""
    session = get_session()
    org = current_organisation(session)
    in_use = current_table(session, org.id)
    reference = app_reference()
    base_year = reference.deflators.latest_year
    text = request.args.get("q", "").strip()
    filters = {name: request.args.get(name, "").strip() for name in FILTERS}
    # a page past the last shows no rows; one past any table keeps OFFSET in range
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    rows, total = search_rows(
        session, table, text, LIMIT, filters=filters, offset=(page - 1) * LIMIT
    )
    pages = max(1, -(-total // LIMIT))

    def page_url(number: int) -> str | None:
        if not 1 <= number <= pages or number == page:
            return None
        args: dict[str, Any] = {**request.args.to_dict(), **endpoint_args, "page": number}
        return url_for(str(request.endpoint), **args)

    return render_template(
        "unit_costs/browse.html",
        table=table,
        in_use=in_use,
        status=status_words(table, in_use),
        q=text,
        filters=filters,
        choices=_choices(table),
        rows=[(row, value_at_base(row, base_year, reference)) for row in rows],
        replaced=_replaced(table),
        total=total,
        page=page,
        pages=pages,
        prev_url=page_url(page - 1),
        next_url=page_url(page + 1),
        base_year=base_year,
        may_change=has_role(table_role(table)),
        editable=table.status == models.DRAFT and has_role(table_role(table)),
    )


@bp.get("/")
def index() -> str:
    """The table new runs use, to browse and search."""
    return browse(current_table(get_session(), current_organisation().id), {})


@bp.get("/tables")
def tables() -> str:
    """Every version this organisation can use, with provenance and which is in use."""
    session = get_session()
    org = current_organisation(session)
    in_use = current_table(session, org.id)
    versions = visible_tables(session, org.id)
    Run = models.Run
    counted = session.execute(
        select(Run.unit_cost_table_id, func.count())
        .where(Run.organisation_id == org.id)
        .group_by(Run.unit_cost_table_id)
    )
    runs = {int(table_id): int(count) for table_id, count in counted}
    return render_template(
        "unit_costs/tables.html",
        runs=runs,
        versions=[(t, status_words(t, in_use)) for t in versions],
        in_use=in_use,
        options=[
            (t.id, f"{t.name}, version {t.version}" + (" (local override)" if t.parent_id else ""))
            for t in versions
            if t.status == models.PUBLISHED
        ],
    )


@bp.get("/tables/<int:table_id>")
def show(table_id: int) -> str:
    return browse(get_table(table_id), {"table_id": table_id})


@bp.get("/tables/<int:table_id>/quality")
def quality(table_id: int) -> str:
    """The version's data-quality report: hierarchy mismatches and other warnings."""
    table = get_table(table_id)
    recorded = table.meta.get("warnings_by_kind") if isinstance(table.meta, dict) else None
    report = quality_report(
        engine_table(table), {str(k): int(v) for k, v in (recorded or {}).items()}
    )
    return render_template(
        "unit_costs/quality.html", table=table, report=report, kind_words=kind_words
    )


@bp.get("/compare")
def compare() -> str:
    """Pick two versions; see rows added, removed and changed field by field."""
    session = get_session()
    versions = visible_tables(session, current_organisation(session).id)
    errors = []
    diff = before = after = None
    picked = {k: request.args.get(k, "") for k in ("from", "to")}
    if picked["from"] or picked["to"]:
        chosen = {}
        for key, words in (
            ("from", "the version to compare from"),
            ("to", "the version to compare with"),
        ):
            table = next((t for t in versions if str(t.id) == picked[key]), None)
            if table is None:
                errors.append(ErrorItem(f"Choose {words}", f"#field-{key}"))
            chosen[key] = table
        before, after = chosen["from"], chosen["to"]
        if before is not None and after is not None:
            diff = diff_tables(engine_table(before), engine_table(after), app_reference().deflators)
    return render_template(
        "unit_costs/compare.html",
        versions=versions,
        picked=picked,
        diff=diff,
        before=before,
        after=after,
        errors=errors,
    )


from . import edit  # noqa: E402,F401  (its views are on this blueprint)


@bp.get("/codes/<path:code>")
def code_page(code: str) -> str:
    """One unit cost: its value, price year and value at base-year prices, source, grade
    and why, its history across the table's versions, and the projects that use it.
    ``?table=<id>`` shows it in that version; otherwise in the table new runs use."""
    session = get_session()
    org = current_organisation(session)
    in_use = current_table(session, org.id)
    asked = request.args.get("table", type=int)
    table = get_table(asked) if asked is not None else in_use
    Row = models.UnitCostRow
    wanted = func.lower(Row.code) == code.lower()
    row = session.scalars(effective_rows(table).where(wanted)).first()
    if row is None:
        abort(404, description=f"There is no unit cost {code} in {table.name} {table.version}.")
    reference = app_reference()
    base_year = reference.deflators.latest_year
    history = []
    for version in visible_tables(session, org.id):
        found = session.scalars(effective_rows(version).where(wanted)).first()
        history.append((version, found))
    using = []
    projects = session.scalars(
        select(models.Project)
        .where(models.Project.organisation_id == org.id)
        .order_by(models.Project.project_ref)
    )
    for project in projects:
        places = [
            (name, number)
            for name in PROJECT_LISTS
            for number, item in enumerate(documents.rows(project.doc, name), start=1)
            if str(item.get("unit_cost_code") or "").lower() == code.lower()
        ]
        if places:
            using.append((project, places))
    return render_template(
        "unit_costs/code.html",
        row=row,
        table=table,
        in_use=in_use,
        base_year=base_year,
        value=value_at_base(row, base_year, reference),
        history=history,
        using=using,
    )
