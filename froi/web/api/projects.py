"""``/projects``: list, create, read, replace and delete projects, and their results.

A project is sent and returned as the canonical input that computes it alone (its
settings, local unit costs, agencies and one project): the document ``froi compute``
reads and ``POST /calculations`` takes.  It is checked by the engine on the
organisation's table in use, as the import page checks it, and saved with the same
audit record as a page's save.  ``If-Match`` with the project's revision refuses a
replace made from a stale copy (412), as a page refuses a stale form.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from calculator.engine import compute
from calculator.errors import InvalidInput

from ..accounts.access import current_organisation, need, owned
from ..core import models
from ..core.audit import changed_fields, record
from ..core.db import get_session
from ..core.reference import current_table, like_pattern, reference_for
from ..core.running import check_input, matching_run
from ..projects.routes import CHANGE, described
from . import limits
from .common import (
    ApiBlueprint,
    errors,
    invalid,
    json_response,
    links,
    page_of,
    read_json,
    with_overrides,
)
from .problems import ApiProblem, items
from .schemas import (
    EXAMPLE_INPUT,
    CalculationInput,
    ProjectDetail,
    ProjectList,
    Results,
    ResultsArgs,
    SearchArgs,
)

blp = ApiBlueprint(
    "projects_api",
    __name__,
    url_prefix="/api/v1",
    description="The organisation's projects, each as the input that computes it.",
)
BODY = {
    "required": True,
    "content": {"application/json": {"schema": CalculationInput, "example": EXAMPLE_INPUT}},
}


def get_project(session: Session, project_id: int) -> models.Project:
    return owned(session, models.Project, project_id, "There is no such project.")


def summary(project: models.Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "url": url_for("projects_api.show_project", project_id=project.id),
        "project_id": project.project_ref,
        "name": project.name,
        "organisation": project.organisation_name,
        "mode": str(project.doc.get("mode") or "appraisal"),
        "revision": project.revision,
        "scenario_of": project.scenario_of_id,
        "created_at": project.created_at.isoformat(),
        "updated_at": project.updated_at.isoformat(),
    }


def detail(session: Session, project: models.Project) -> dict[str, Any]:
    found = check_input(session, project.input_doc(), project.organisation_id)
    return {
        **summary(project),
        "input": project.input_doc(),
        "problems": items(p for p in found if p.severity == "error"),
        "warnings": items(p for p in found if p.severity != "error"),
    }


def _checked_input(session: Session, organisation_id: int) -> dict[str, Any]:
    """The body: a canonical input of exactly one project, without problems."""
    doc = read_json()
    limits.check_input_size(doc)
    found = check_input(session, doc, organisation_id)
    wrong = [p for p in found if p.severity == "error"]
    if wrong:
        raise invalid(InvalidInput(found))
    projects = doc["projects"]
    if len(projects) != 1:
        raise ApiProblem(
            422,
            "invalid-input",
            f"A project is sent as an input with exactly one project; this one has "
            f"{len(projects):,}. Send each project on its own.",
        )
    result: dict[str, Any] = doc
    return result


def _taken(session: Session, organisation_id: int, ref: str, project_id: int | None) -> None:
    query = select(models.Project.id).where(
        models.Project.organisation_id == organisation_id, models.Project.project_ref == ref
    )
    if project_id is not None:
        query = query.where(models.Project.id != project_id)
    if session.scalar(query) is not None:
        raise ApiProblem(
            409,
            "conflict",
            f"project_id '{ref}' is already used by another project of your organisation; "
            "give a new one",
        )


def _commit(session: Session, ref: str, *, flush: bool = False) -> None:
    """Commit (or only flush), or 409 if another request took the reference meanwhile:
    nothing is saved."""
    try:
        session.flush() if flush else session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiProblem(
            409,
            "conflict",
            f"project_id '{ref}' was taken by another project meanwhile; nothing was saved",
        ) from None


def _fill(project: models.Project, doc: dict[str, Any]) -> None:
    project.settings = dict(doc.get("settings") or {})
    project.unit_costs = list(doc.get("unit_costs") or [])
    project.agencies = list(doc.get("agencies") or [])
    project.set_doc(doc["projects"][0])


@blp.route("/projects", methods=["GET"])
@blp.arguments(SearchArgs, location="query", as_kwargs=True)
@blp.response(200, ProjectList)
@blp.doc(summary="The organisation's projects, newest change first")
@errors(blp, 422)
def list_projects(q: str, **args: Any) -> Any:
    session = get_session()
    Project = models.Project
    query = select(Project).where(Project.organisation_id == current_organisation(session).id)
    for word in q.split():
        pattern = like_pattern(word)
        query = query.where(
            or_(
                Project.project_ref.ilike(pattern, escape="\\"),
                Project.name.ilike(pattern, escape="\\"),
                Project.organisation_name.ilike(pattern, escape="\\"),
            )
        )
    found, paging = page_of(session, query.order_by(Project.updated_at.desc(), Project.id), args)
    return {"items": [summary(p) for p in found], "paging": paging}


@blp.route("/projects", methods=["POST"])
@blp.doc(
    summary="Create a project from an input of one project",
    requestBody=BODY,
    responses={
        201: {
            "links": links(
                GetProject=("show_project", "project_id", "/id"),
                ReplaceProject=("replace_project", "project_id", "/id"),
                ProjectResults=("project_results", "project_id", "/id"),
                DeleteProject=("delete_project", "project_id", "/id"),
            )
        }
    },
)
@blp.response(201, ProjectDetail, description="Created; Location names it")
@errors(blp, 400, 403, 409, 413, 415, 422)
def create_project() -> Any:
    need(models.ANALYST, CHANGE)
    session = get_session()
    organisation = current_organisation(session)
    doc = _checked_input(session, organisation.id)
    _taken(session, organisation.id, str(doc["projects"][0].get("project_id")), None)
    project = models.Project(organisation_id=organisation.id, revision=0)
    _fill(project, doc)
    session.add(project)
    _commit(session, project.project_ref, flush=True)
    record(
        session,
        "project.created",
        f"Project {project.project_ref} created through the API",
        object_type="project",
        object_id=project.id,
        after=described(project),
    )
    _commit(session, project.project_ref)
    location = url_for("projects_api.show_project", project_id=project.id)
    return json_response(detail(session, project), 201, {"Location": location})


@blp.route("/projects/<int:project_id>", methods=["GET"])
@blp.response(200, ProjectDetail)
@blp.doc(summary="A project, with the problems and warnings the engine finds in it")
@errors(blp, 404)
def show_project(project_id: int) -> Any:
    session = get_session()
    project = get_project(session, project_id)
    return json_response(detail(session, project), headers={"ETag": f'"{project.revision}"'})


@blp.route("/projects/<int:project_id>", methods=["PUT"])
@blp.doc(
    summary="Replace a project's input",
    description='Send `If-Match: "<revision>"` to refuse the replace (412) if the project '
    "was saved since you read it.",
    requestBody=BODY,
)
@blp.response(200, ProjectDetail)
@errors(blp, 400, 403, 404, 409, 412, 413, 415, 422)
def replace_project(project_id: int) -> Any:
    need(models.ANALYST, CHANGE)
    session = get_session()
    project = get_project(session, project_id)
    wanted = request.headers.get("If-Match")
    given = (wanted or "").strip().removeprefix("W/").strip('"')
    if wanted is not None and given != str(project.revision):
        raise ApiProblem(
            412,
            "precondition-failed",
            f"The project is at revision {project.revision}, not {wanted.strip()}: it was "
            "saved since you read it. Read it again and make your change on that.",
        )
    doc = _checked_input(session, project.organisation_id)
    _taken(session, project.organisation_id, str(doc["projects"][0].get("project_id")), project.id)
    old = described(project)
    _fill(project, doc)
    before, after = changed_fields(old, described(project))
    record(
        session,
        "project.changed",
        f"Project {project.project_ref}: {', '.join(after) or 'nothing'} changed through the API",
        object_type="project",
        object_id=project.id,
        before=before,
        after=after,
    )
    _commit(session, project.project_ref)
    return json_response(detail(session, project), headers={"ETag": f'"{project.revision}"'})


@blp.route("/projects/<int:project_id>", methods=["DELETE"])
@blp.response(204, description="Deleted; its runs are kept")
@blp.doc(summary="Delete a project (its runs stay, as the record of what was computed)")
@errors(blp, 403, 404)
def delete_project(project_id: int) -> Any:
    need(models.ANALYST, CHANGE)
    session = get_session()
    project = get_project(session, project_id)
    record(
        session,
        "project.deleted",
        f"Project {project.project_ref} deleted through the API",
        object_type="project",
        object_id=project.id,
        before=described(project),
    )
    session.delete(project)
    session.commit()
    return "", 204


@blp.route("/projects/<int:project_id>/results", methods=["GET"])
@blp.arguments(ResultsArgs, location="query", as_kwargs=True)
@blp.response(200, Results)
@blp.doc(
    summary="A project's results as it stands, on the table in use (nothing recorded)",
    description="The project's stored run when one matches (the same input, settings, "
    "table and engine version, as its results page shows), else computed now and not "
    "stored; POST its input to /calculations to record a run.",
)
@errors(blp, 404, 422)
def project_results(project_id: int, **overrides: Any) -> Any:
    session = get_session()
    project = get_project(session, project_id)
    doc = with_overrides(project.input_doc(), overrides)
    limits.check_input_size(doc)
    stored = matching_run(session, project, overrides)
    if stored is not None:
        return json_response(stored.results)
    reference = reference_for(current_table(session, project.organisation_id))
    try:
        results = compute(doc, reference).to_dict()
    except InvalidInput as problems:
        raise invalid(problems, f"Project {project.project_ref}") from None
    return json_response(results)
