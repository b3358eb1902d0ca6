"""Rows of a project's lists (costs, outcomes, usage, cases...): add, change, delete.

One set of views serves every list of ``calculator.fields.PROJECT_LISTS``: the form is
built from the list's declarations and checked with the schema derived from them.  A
saved row is then checked by the engine in its project (unknown unit cost codes, a row
costed two ways, a year after the appraisal period...), and the engine's problems with
that row are shown beside its fields exactly like the schema's.

The unit cost picker lives inside the form, after its Save button, as submit buttons:
"Search" redraws the form with what was typed plus the matching unit costs, and each
match's "Use" button fills in the code.  Nothing typed is lost and no JavaScript is
needed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from calculator.agencies import agency_choices
from calculator.errors import Problem
from calculator.fields import PROJECT_LISTS, Field

from ..accounts.access import require_role
from ..core import models
from ..core.audit import changed_fields, record
from ..core.db import get_session
from ..core.formatting import singular
from ..core.forms import ErrorItem, form_fields, is_range, posted, summary
from ..core.reference import (
    app_reference,
    current_table,
    engine_table,
    search_rows,
    value_at_base,
)
from ..core.running import check_input
from ..core.schemas import form_data, load, row_schema
from . import documents
from .routes import (
    CHANGE,
    get_project,
    is_stale,
    save,
    schedules,
    seen_revision,
    stale_errors,
)

bp = Blueprint("rows", __name__, url_prefix="/projects/<int:project_id>")

#: Unit costs listed at most by the picker; a narrower search finds the rest.
PICKER_LIMIT = 25


def _fields(list_name: str) -> tuple[Field, ...]:
    if list_name not in PROJECT_LISTS:
        abort(404, description="A project has no list of that name.")
    return PROJECT_LISTS[list_name]


def _picker(project: models.Project, text: str) -> dict[str, Any]:
    """The unit costs matching ``text``, each valued at the project's base-year prices."""
    session = get_session()
    table = current_table(session, project.organisation_id)
    project_settings = project.settings
    reference = app_reference()
    base_year = str(project_settings.get("base_year") or reference.deflators.latest_year)
    if base_year not in reference.deflators.index:
        base_year = reference.deflators.latest_year
    found, total = search_rows(session, table, text, PICKER_LIMIT)
    return {
        "text": text,
        "rows": [(row, value_at_base(row, base_year, reference)) for row in found],
        "total": total,
        "base_year": base_year,
        "table": table,
        "choose": True,
    }


def _agencies(project: models.Project) -> tuple[str, ...]:
    """The agencies a row of ``project`` may name: the unit cost table's, its own unit
    costs' and those its input adds on purpose (METHOD: one controlled list)."""
    table = engine_table(current_table(get_session(), project.organisation_id))
    local = [str(r.get("agency")) for r in project.unit_costs or [] if isinstance(r, dict)]
    return tuple(agency_choices(table, [*local, *(project.agencies or [])]))


def _row_problems(
    project: models.Project, doc: dict[str, Any], list_name: str, row: int
) -> list[Problem]:
    """The engine's errors about one row of a project document."""
    return [
        p
        for p in check_input(get_session(), doc, project.organisation_id)
        if p.severity == "error" and p.list == list_name and p.row == row
    ]


def _form(project_id: int, list_name: str, row: int | None) -> str | Response:
    """The add and change form: GET draws it, POST searches, picks or saves."""
    session = get_session()
    project = get_project(session, project_id)
    fields = _fields(list_name)
    items = documents.rows(project.doc, list_name)
    if row is not None and not 1 <= row <= len(items):
        abort(404, description="That row does not exist; it may have been deleted.")
    has_code = any(f.name == "unit_cost_code" for f in fields)
    typed: dict[str, Any] = items[row - 1] if row is not None else {}
    errors: dict[str, str] = {}
    extra: list[ErrorItem] = []
    action = "show"
    if request.method == "POST":
        typed = posted(fields, request.form)
        action = request.form.get("action", "save")
        search = request.form.get("search", "").strip()
        if action == "save" and search and search != request.form.get("searched", ""):
            # Enter in the search box submits with the form's default button, Save; a
            # search not yet run is what the person meant
            action = "search"
        if "pick" in request.form:
            typed["unit_cost_code"] = request.form["pick"]
            action = "pick"
        if is_stale(project):
            extra += stale_errors(session, project, seen_revision())
        elif action == "save":
            values, errors = load(row_schema(list_name, schedules()), form_data(fields, typed))
            if not errors:
                doc = documents.with_row(project.doc, list_name, row, values)
                where = row if row is not None else len(items) + 1
                found = _row_problems(
                    project, project.input_doc() | {"projects": [doc]}, list_name, where
                )
                names = {f.name for f in fields}
                errors = {p.field: p.message for p in found if p.field in names}
                extra += [ErrorItem(p.message) for p in found if p.field not in names]
                if not found:
                    project.set_doc(doc)
                    _audit_row(project, list_name, where, items[row - 1] if row else None, values)
                    if save(session):
                        flash(f"{singular(list_name).capitalize()} {where} saved.")
                        anchor = f"#list-{list_name}"
                        return redirect(url_for("projects.show", project_id=project.id) + anchor)
                    extra += stale_errors(session, project, seen_revision())
    picker = None
    if has_code and action == "search":
        picker = _picker(project, request.form.get("search", "").strip())
    answers = {"agency": _agencies(project)} if any(f.name == "agency" for f in fields) else {}
    form = form_fields(fields, typed, errors, answers=answers)
    return render_template(
        "rows/form.html",
        project=project,
        list_name=list_name,
        row=row,
        heading=singular(list_name),
        fields=[f for f in form if not is_range(f.spec)],
        range_fields=[f for f in form if is_range(f.spec)],
        has_code=has_code,
        picker=picker,
        errors=extra + summary(form),
    )


def _audit_row(
    project: models.Project,
    list_name: str,
    row: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Record a row added, changed or deleted, with the row's values before and after."""
    action = "row.added" if before is None else "row.deleted" if after is None else "row.changed"
    words = {"row.added": "added", "row.changed": "changed", "row.deleted": "deleted"}[action]
    if before is not None and after is not None:  # only the fields that changed
        before, after = changed_fields(before, after)
    revision = {"revision": project.revision}
    record(
        get_session(),
        action,
        f"Project {project.project_ref}: {singular(list_name)} {row} {words}",
        object_type="project",
        object_id=project.id,
        before={"list": list_name, "row": row, **before} if before else None,
        after={"list": list_name, "row": row, **after, **revision} if after else revision,
    )


@bp.route("/<list_name>/new", methods=["GET", "POST"])
@require_role(models.ANALYST, CHANGE)
def new(project_id: int, list_name: str) -> str | Response:
    return _form(project_id, list_name, None)


@bp.route("/<list_name>/<int:row>/edit", methods=["GET", "POST"])
@require_role(models.ANALYST, CHANGE)
def edit(project_id: int, list_name: str, row: int) -> str | Response:
    return _form(project_id, list_name, row)


@bp.route("/<list_name>/<int:row>/delete", methods=["GET", "POST"])
@require_role(models.ANALYST, CHANGE)
def delete(project_id: int, list_name: str, row: int) -> str | Response:
    session = get_session()
    project = get_project(session, project_id)
    _fields(list_name)
    items = documents.rows(project.doc, list_name)
    if not 1 <= row <= len(items):
        abort(404, description="That row does not exist; it may have been deleted.")
    heading = singular(list_name)
    errors: list[ErrorItem] = []
    if request.method == "POST":
        if not is_stale(project):
            project.set_doc(documents.without_row(project.doc, list_name, row))
            _audit_row(project, list_name, row, items[row - 1], None)
            if save(session):
                flash(f"{heading.capitalize()} {row} deleted.")
                anchor = f"#list-{list_name}"
                return redirect(url_for("projects.show", project_id=project.id) + anchor)
        errors = stale_errors(session, project, seen_revision())
        items = documents.rows(project.doc, list_name)
        if not 1 <= row <= len(items):
            abort(404, description="That row does not exist; it may have been deleted.")
    return render_template(
        "rows/delete.html",
        project=project,
        list_name=list_name,
        row=row,
        item=items[row - 1],
        heading=heading,
        errors=errors,
    )
