"""Projects: list and search, create, edit, copy as a scenario, delete, import from JSON.

Every form is plain HTML posted to the server and checked there with the schemas
derived from ``calculator.fields``; nothing needs JavaScript.  A form that fails comes
back with what was typed, each error beside its field and all of them in a summary at
the top linking to the fields (the GOV.UK pattern).  Everything is scoped to the
signed-in user's organisation (:mod:`froi.web.accounts.access`), so a project of another
council is simply not found; reading needs any role, changing needs an analyst, and
every change is in the audit log in the same transaction.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from calculator.errors import InvalidInput
from calculator.fields import PROJECT, SETTINGS
from calculator.jsontext import parse_json

from ..accounts.access import current_organisation, owned, require_role
from ..core import models
from ..core.audit import CHANGES_SHOWN, changed_fields, newest_events, record
from ..core.db import get_session
from ..core.formatting import date_time
from ..core.forms import ErrorItem, FormField, form_fields, posted, summary
from ..core.reference import app_reference, current_table, engine_table, projects_matching
from ..core.running import check_input, problem_links
from ..core.schemas import form_data, load, project_schema, settings_schema
from ..core.summaries import project_problems
from ..core.words import field_label
from . import documents, view

bp = Blueprint("projects", __name__, url_prefix="/projects")

SETTINGS_PREFIX = "settings-"
STALE = (
    "This project changed since you opened it (it was saved from another page, tab or "
    "person). Nothing was saved: check the project below and make your change again."
)


#: What the role checks of the changing views say the analyst role is needed for.
CHANGE = "create and change projects"


def get_project(session: Session, project_id: int) -> models.Project:
    return owned(
        session, models.Project, project_id, "There is no such project. It may have been deleted."
    )


def is_stale(project: models.Project) -> bool:
    """Whether a posted form was built from an older save of the project."""
    return request.form.get("revision", "") != str(project.revision)


def seen_revision() -> int:
    """The revision the posted form was built from (0 if it carries none)."""
    text = request.form.get("revision", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


def save(session: Session) -> bool:
    """Commit a change of a project: False (nothing saved, the session rolled back) when
    another save of the project committed first.

    Every UPDATE of a project is conditional on the revision it read (the mapper's
    ``version_id_col``), so of two saves made from the same revision at the same moment
    exactly one changes the row; the other changes none and is refused here.
    """
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        return False
    return True


def stale_errors(session: Session, project: models.Project, seen: int) -> list[ErrorItem]:
    """:data:`STALE`, then what changed since revision ``seen``: who changed what and when,
    from the audit log (the newest :data:`CHANGES_SHOWN`)."""
    session.refresh(project)
    events = newest_events(session, "project", project.id)
    newer = [e for e in events if _revision_of(e) > seen][:CHANGES_SHOWN]
    items = [ErrorItem(STALE)]
    for event in reversed(newer):
        when = date_time(event.at)
        what = event.summary.removeprefix(f"Project {project.project_ref}: ")
        detail = _change_words(event.before, event.after)
        items.append(
            ErrorItem(f"Since then: {what}, by {event.user_email} at {when}{detail}.", None)
        )
    return items


def _revision_of(event: models.AuditEvent) -> int:
    value = (event.after or {}).get("revision")
    if value is None:
        value = (event.before or {}).get("revision")
    return int(value) if isinstance(value, int) else 0


def _change_words(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """``(name: Old to New; ...)`` for the fields an audit event records as changed."""
    skip = {"list", "row", "revision"}
    before, after = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if k not in skip]
    if not keys or "omitted" in keys:
        return ""
    words = []
    for key in keys[:6]:
        old, new = before.get(key), after.get(key)
        label = key.removeprefix("settings.").replace("_", " ")
        if key in before and key in after:
            words.append(f"{label}: {_short(old)} to {_short(new)}")
        else:
            words.append(f"{label}: {_short(new if key in after else old)}")
    more = f"; and {len(keys) - 6} more" if len(keys) > 6 else ""
    return f" ({'; '.join(words)}{more})"


def _short(value: Any) -> str:
    if value in (None, ""):
        return "blank"
    text = f"{value:,}" if isinstance(value, int) else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def schedules() -> tuple[str, ...]:
    return tuple(app_reference().discount_schedules.schedules)


@bp.get("/")
def index() -> str:
    session = get_session()
    query_text = request.args.get("q", "").strip()
    query = select(models.Project).where(
        models.Project.organisation_id == current_organisation(session).id
    )
    query = projects_matching(query, query_text)
    found = list(session.scalars(query.order_by(models.Project.updated_at.desc())))
    return render_template("projects/index.html", projects=found, q=query_text)


def _details_form(
    values: dict[str, Any],
    settings: dict[str, Any],
    errors: dict[str, str] | None = None,
    settings_errors: dict[str, str] | None = None,
) -> tuple[list[FormField], list[FormField]]:
    return (
        # a comparison needs its two groups' sizes; they show only when it is chosen
        form_fields(
            PROJECT,
            values,
            errors,
            group="project",
            needed={"intervention_cases": True, "comparison_cases": True},
        ),
        form_fields(SETTINGS, settings, settings_errors, prefix=SETTINGS_PREFIX, group="settings"),
    )


def _read_details(
    session: Session, project: models.Project | None
) -> tuple[dict[str, Any], dict[str, Any], list[FormField], list[FormField]]:
    """Check a posted details form; the fields come back with errors for re-display."""
    typed_project = posted(PROJECT, request.form)
    typed_settings = posted(SETTINGS, request.form, SETTINGS_PREFIX)
    values, errors = load(project_schema(schedules()), form_data(PROJECT, typed_project))
    settings, settings_errors = load(
        settings_schema(schedules()), form_data(SETTINGS, typed_settings)
    )
    reference = values.get("project_id")
    if reference and _reference_taken(session, reference, project):
        errors["project_id"] = (
            f"The reference {reference} is already used by another project; give a new one"
        )
    fields = _details_form(typed_project, typed_settings, errors, settings_errors)
    return values, settings, *fields


def _reference_taken(session: Session, reference: str, project: models.Project | None) -> bool:
    query = select(models.Project.id).where(
        models.Project.organisation_id == current_organisation(session).id,
        models.Project.project_ref == reference,
    )
    if project is not None:
        query = query.where(models.Project.id != project.id)
    return session.scalar(query) is not None


def described(project: models.Project) -> dict[str, Any]:
    """A project's details and settings as the audit log keeps them."""
    return {
        **documents.project_values(project.doc),
        **{f"settings.{k}": v for k, v in project.settings.items()},
    }


def _render_details(
    project: models.Project | None,
    fields: list[FormField],
    settings_fields: list[FormField],
    extra: list[ErrorItem] | None = None,
) -> str:
    errors = (extra or []) + summary(fields) + summary(settings_fields)
    return render_template(
        "projects/form.html",
        project=project,
        fields=fields,
        settings_fields=settings_fields,
        errors=errors,
    )


@bp.route("/new", methods=["GET", "POST"])
@require_role(models.ANALYST, CHANGE)
def create() -> str | Response:
    session = get_session()
    if request.method == "GET":
        return _render_details(None, *_details_form({}, {}))
    values, settings, fields, settings_fields = _read_details(session, None)
    if summary(fields) or summary(settings_fields):
        return _render_details(None, fields, settings_fields)
    project = models.Project(organisation_id=current_organisation(session).id, settings=settings)
    project.set_doc(values)
    session.add(project)
    session.flush()
    record(
        session,
        "project.created",
        f"Project {project.project_ref} created",
        object_type="project",
        object_id=project.id,
        after={**described(project), "revision": project.revision},
    )
    session.commit()
    flash(f"Project {project.project_ref} created. Add its costs and outcomes.")
    return redirect(url_for("projects.show", project_id=project.id))


@bp.get("/<int:project_id>")
def show(project_id: int) -> str:
    session = get_session()
    project = get_project(session, project_id)
    problems = project_problems(session, project)  # stored per revision, checked once
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    scenarios = list(
        session.scalars(select(models.Project).where(models.Project.scenario_of_id == project.id))
    )
    reference = app_reference()
    base_year = str(project.settings.get("base_year") or reference.deflators.latest_year)
    if base_year not in reference.deflators.index:
        base_year = reference.deflators.latest_year
    try:
        years = max(1, min(int(project.settings.get("appraisal_years") or 5), 100))
    except (TypeError, ValueError):
        years = 5
    table = engine_table(current_table(session, project.organisation_id))
    doc = project.doc
    facts = view.unit_cost_facts(table.rows, project.unit_costs, view.codes_named(doc))
    lists = []
    for name in documents.lists_shown(doc):
        items = documents.rows(doc, name)
        if name == "costs":
            lists.append(view.costs_view(items, facts, reference, base_year, years))
        elif name == "outcomes":
            themes = reference.outcome_themes
            lists.append(view.outcomes_view(items, facts, reference, base_year, themes))
        else:
            lists.append(view.generic_view(name, items, facts))

    def href(name: str) -> str:
        if name == "details":
            return url_for("projects.edit", project_id=project.id)
        return url_for("rows.new", project_id=project.id, list_name=name)

    steps = view.checklist(doc, href)
    values = documents.project_values(doc)
    by_name = {f.name: f for f in PROJECT}
    details = [
        (field_label(k, "project"), view.cell(by_name[k], v))
        for k, v in values.items()
        if k in by_name
    ]
    settings_fields = {f.name: f for f in SETTINGS}
    settings = [
        (field_label("base_year", "settings"), base_year),
        (
            field_label("appraisal_years", "settings"),
            f"{years} ({view.financial_year(base_year, 0)} to "
            f"{view.financial_year(base_year, years - 1)})",
        ),
    ] + [
        (field_label(k, "settings"), view.cell(settings_fields[k], v))
        for k, v in project.settings.items()
        if k in settings_fields and k not in ("base_year", "appraisal_years")
    ]
    return render_template(
        "projects/show.html",
        project=project,
        details=details,
        settings=settings,
        lists=lists,
        steps=steps,
        ready=all(s.done for s in steps) and not errors,
        base_year=base_year,
        problems=problem_links(project.id, errors),
        warnings=problem_links(project.id, warnings),
        scenarios=scenarios,
    )


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@require_role(models.ANALYST, CHANGE)
def edit(project_id: int) -> str | Response:
    session = get_session()
    project = get_project(session, project_id)
    if request.method == "GET":
        stored = _details_form(documents.project_values(project.doc), project.settings)
        return _render_details(project, *stored)
    values, settings, fields, settings_fields = _read_details(session, project)
    seen = seen_revision()
    if is_stale(project):
        stale = stale_errors(session, project, seen)
        return _render_details(project, fields, settings_fields, stale)
    if summary(fields) or summary(settings_fields):
        return _render_details(project, fields, settings_fields)
    old = described(project)
    project.set_doc(documents.with_project_values(project.doc, values))
    project.settings = settings
    before, after = changed_fields(old, described(project))
    record(
        session,
        "project.changed",
        f"Project {project.project_ref}: {', '.join(after) or 'nothing'} changed",
        object_type="project",
        object_id=project.id,
        before=before,
        after={**after, "revision": project.revision},
    )
    if not save(session):
        stale = stale_errors(session, project, seen)
        return _render_details(project, fields, settings_fields, stale)
    flash("Project details saved.")
    return redirect(url_for("projects.show", project_id=project.id))


@bp.route("/<int:project_id>/copy", methods=["GET", "POST"])
@require_role(models.ANALYST, CHANGE)
def copy(project_id: int) -> str | Response:
    """Copy a project as a scenario: the same inputs under a new reference and name."""
    session = get_session()
    original = get_project(session, project_id)
    names = [f for f in PROJECT if f.name in ("project_id", "name")]
    if request.method == "GET":
        count = 1 + len(
            list(
                session.scalars(
                    select(models.Project.id).where(models.Project.scenario_of_id == original.id)
                )
            )
        )
        suggested = {
            "project_id": f"{original.project_ref}-S{count}",
            "name": f"{original.name or original.project_ref} (scenario {count})",
        }
        return render_template(
            "projects/copy.html",
            project=original,
            fields=form_fields(names, suggested, group="project"),
        )
    typed = posted(names, request.form)
    values, errors = load(project_schema(schedules()), form_data(names, typed))
    if values.get("project_id") and _reference_taken(session, values["project_id"], None):
        errors["project_id"] = (
            f"The reference {values['project_id']} is already used by another project; "
            "give a new one"
        )
    fields = form_fields(names, typed, errors, group="project")
    if summary(fields):
        return render_template(
            "projects/copy.html", project=original, fields=fields, errors=summary(fields)
        )
    scenario = models.Project(
        organisation_id=original.organisation_id,
        settings=dict(original.settings),
        unit_costs=list(original.unit_costs),
        agencies=list(original.agencies),
        scenario_of_id=original.id,
    )
    scenario.set_doc({**original.doc, **values})
    session.add(scenario)
    session.flush()
    record(
        session,
        "project.copied",
        f"Project {scenario.project_ref} created as a copy of {original.project_ref}",
        object_type="project",
        object_id=scenario.id,
        after={"copy_of": original.id, **described(scenario)},
    )
    session.commit()
    flash(f"Scenario {scenario.project_ref} created as a copy of {original.project_ref}.")
    return redirect(url_for("projects.show", project_id=scenario.id))


@bp.route("/<int:project_id>/delete", methods=["GET", "POST"])
@require_role(models.ANALYST, CHANGE)
def delete(project_id: int) -> str | Response:
    """Delete after a confirmation page; its runs stay, as the record of what was computed."""
    session = get_session()
    project = get_project(session, project_id)
    if request.method == "GET":
        return render_template("projects/delete.html", project=project)
    reference = project.project_ref
    record(
        session,
        "project.deleted",
        f"Project {reference} deleted",
        object_type="project",
        object_id=project.id,
        before=described(project),
    )
    session.delete(project)
    session.commit()
    flash(f"Project {reference} deleted. Its runs are kept in the run history.")
    return redirect(url_for("projects.index"))


@bp.route("/import", methods=["GET", "POST"])
@require_role(models.ANALYST, CHANGE)
def import_json() -> str | Response:
    """Add projects from a canonical JSON input (the format ``froi compute`` reads)."""
    if request.method == "GET":
        return render_template("projects/import.html")
    session = get_session()
    upload = request.files.get("file")
    problems: list[ErrorItem] = []
    doc: Any = None
    if upload is None or not upload.filename:
        problems.append(ErrorItem("Choose a JSON file to import", "#field-file"))
    else:
        try:
            doc = parse_json(upload.read(), upload.filename)
        except InvalidInput as exc:
            problems += [ErrorItem(str(p), "#field-file") for p in exc.problems]
    if doc is not None:
        found = check_input(session, doc, current_organisation(session).id)
        problems += [ErrorItem(str(p)) for p in found if p.severity == "error"]
    if not problems:
        for item in doc["projects"]:
            if _reference_taken(session, str(item.get("project_id")), None):
                problems.append(
                    ErrorItem(
                        f"The project reference {item.get('project_id')} is already used here"
                    )
                )
    if problems:
        return render_template("projects/import.html", errors=problems)
    org = current_organisation(session)
    created = []
    name = upload.filename if upload is not None else ""
    for item in doc["projects"]:
        project = models.Project(
            organisation_id=org.id,
            settings=dict(doc.get("settings") or {}),
            unit_costs=list(doc.get("unit_costs") or []),
            agencies=list(doc.get("agencies") or []),
        )
        project.set_doc(item)
        session.add(project)
        created.append(project)
    try:
        session.flush()
        for project in created:
            record(
                session,
                "project.imported",
                f"Project {project.project_ref} imported from {name}",
                object_type="project",
                object_id=project.id,
                after=described(project),
            )
        session.commit()
    except IntegrityError:  # another import took one of the references meanwhile
        session.rollback()
        return render_template(
            "projects/import.html",
            errors=[ErrorItem("A project reference in the file was taken meanwhile; import again")],
        )
    flash(f"Imported {len(created)} project(s): {', '.join(p.project_ref for p in created)}.")
    if len(created) == 1:
        return redirect(url_for("projects.show", project_id=created[0].id))
    return redirect(url_for("projects.index"))
