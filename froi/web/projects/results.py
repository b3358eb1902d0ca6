"""The results page of a project: the stored run of the project as it stands.

Viewing results never computes and never records anything: ``GET`` reads the newest run
of the project exactly as it stands (the same input document, on the unit cost table
the organisation's new runs use, by this engine version) and draws the page from it
(:mod:`froi.web.core.figures`), exactly as the run's own page is drawn.  When there is
no such run (the project changed, a new table was chosen, the engine was upgraded), the
page says so and offers an analyst "Calculate the results", a ``POST`` that reuses a
matching run if one has appeared meanwhile, or computes and records one.  So a run is
recorded only when something changed and a person asked for it.

Simulations for the uncertainty analysis come from the project's settings or, for a
one-off look, from the ``simulations`` field, checked against the same declaration and
against ``MAX_SIMULATIONS`` (``FROI_MAX_SIMULATIONS``): the CPU a request may cost is
bounded, and only a signed-in analyst's ``POST`` spends it.  ``?simulations=`` on a
``GET`` only looks for a stored run with that many.

**Monte Carlo on the job queue.**  A calculation of more than
``BACKGROUND_ABOVE_SIMULATIONS`` simulations (``FROI_BACKGROUND_ABOVE_SIMULATIONS``,
1,000 unless set) is a job (:mod:`froi.web.uploads.jobs`), like a large upload or re-run:
the request checks the project (its problems are shown at once, as before), reuses a
matching run if there is one, and otherwise queues the job and shows its page, whose
stages say what it is doing; when it is done the page leads to the results.  The job
computes the project as it stands when it runs, and records the run with the job's
``run_id`` in one transaction (an attempt after a worker that stopped finds it, and a
matching run is reused, never recorded twice).  The same calculation already queued or
running (a double click, two analysts) is not started again: its page is shown.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from calculator.errors import InvalidInput
from calculator.fields import SETTINGS, by_name

from ..accounts.access import require_role
from ..core import models
from ..core.audit import current_actor
from ..core.db import get_session
from ..core.figures import project_figures
from ..core.forms import ErrorItem, FormField, form_fields
from ..core.reference import current_table, reference_for
from ..core.running import (
    SharedChecks,
    check_input,
    matching_run,
    problem_links,
    project_results,
    user_name,
)
from ..core.schemas import form_data, load, schema_for
from ..core.summaries import project_problems
from ..uploads import jobs
from .routes import get_project, schedules

bp = Blueprint("results", __name__, url_prefix="/projects/<int:project_id>")

SIMULATIONS = (by_name(SETTINGS)["simulations"],)
#: The most Monte Carlo simulations one request may ask for (``FROI_MAX_SIMULATIONS``).
MAX_SIMULATIONS = 10_000
#: What the analyst role is needed for, in words.
CALCULATE = "calculate results"


def max_simulations() -> int:
    return int(current_app.config.get("MAX_SIMULATIONS") or MAX_SIMULATIONS)


@bp.record_once
def _defaults(state: Any) -> None:
    state.app.config.setdefault("BACKGROUND_ABOVE_SIMULATIONS", 1000)


#: The kind of job that calculates one project's results (its Monte Carlo).
CALCULATE_JOB = "calculate"


def _simulations(
    typed_text: str, project: models.Project
) -> tuple[dict[str, Any], dict[str, str], FormField]:
    """The simulations asked for (an override of the project's setting), with any error."""
    typed = {"simulations": typed_text}
    override, errors = load(schema_for(SIMULATIONS, schedules())(), form_data(SIMULATIONS, typed))
    limit = max_simulations()
    asked = override.get("simulations")
    if asked is None:
        asked = project.settings.get("simulations")
    if not errors and isinstance(asked, int) and asked > limit:
        errors["simulations"] = (
            f"This service computes at most {limit:,} simulations at a time; "
            f"{asked:,} were asked for. Ask for {limit:,} or fewer"
        )
    field = form_fields(SIMULATIONS, typed if errors else override, errors)[0]
    return override, errors, field


@bp.get("/results")
def show(project_id: int) -> str:
    session = get_session()
    project = get_project(session, project_id)
    typed = request.args.get("simulations", "")
    override, errors, simulation_field = _simulations(typed, project)
    page: dict[str, Any] = {
        "project": project,
        "simulation_field": simulation_field,
        "simulations": typed if not errors else "",
        "max_simulations": max_simulations(),
    }
    if errors:
        error = ErrorItem(errors["simulations"], f"#{simulation_field.id}")
        return render_template("results/show.html", errors=[error], **page)
    run = matching_run(session, project, override)
    if run is None:
        problems = [
            p
            for p in check_input(session, project.input_doc(override), project.organisation_id)
            if p.severity == "error"
        ]
        latest = _latest_run(session, project)
        return render_template(
            "results/show.html",
            errors=problem_links(project.id, problems),
            not_calculated=not problems,
            latest=latest,
            **page,
        )
    return render_template(
        "results/show.html", run=run, figures=project_figures(run.results), **page
    )


def _latest_run(session: Any, project: models.Project) -> models.Run | None:
    """The project's newest run, whatever it was computed from (for a link)."""
    from sqlalchemy import select
    from sqlalchemy.orm import load_only

    Run = models.Run
    latest: models.Run | None = session.scalars(
        select(Run)
        .options(load_only(Run.id, Run.computed_at))
        .where(Run.project_id == project.id, Run.organisation_id == project.organisation_id)
        .order_by(Run.id.desc())
        .limit(1)
    ).first()
    return latest


@bp.post("/results")
@require_role(models.ANALYST, CALCULATE)
def calculate(project_id: int) -> str | Response:
    """Calculate the results of the project as it stands (or reuse the stored run), then
    show them."""
    session = get_session()
    project = get_project(session, project_id)
    typed = request.form.get("simulations", "")
    override, errors, simulation_field = _simulations(typed, project)
    page: dict[str, Any] = {
        "project": project,
        "simulation_field": simulation_field,
        "simulations": "",
        "max_simulations": max_simulations(),
    }
    if errors:
        error = ErrorItem(errors["simulations"], f"#{simulation_field.id}")
        return render_template("results/show.html", errors=[error], **page)
    query = {"simulations": override["simulations"]} if "simulations" in override else {}
    results_url = url_for("results.show", project_id=project.id, **query)
    simulations = int(override.get("simulations", project.settings.get("simulations")) or 0)
    if simulations > int(current_app.config["BACKGROUND_ABOVE_SIMULATIONS"]):
        return _in_background(session, project, override, simulations, results_url, page)
    # the project as it stands is the document its stored check is of: computing it
    # reads it once for both, so its page need not check it again
    table = current_table(session, project.organisation_id)
    shared = SharedChecks(table, reference_for(table)) if not override else None
    try:
        _, computed = project_results(session, project, override, shared)
    except InvalidInput as invalid:
        session.rollback()
        if shared is not None:
            project_problems(session, project, shared)
        return render_template(
            "results/show.html", errors=problem_links(project.id, invalid.problems), **page
        )
    session.commit()
    if computed and shared is not None:
        project_problems(session, project, shared)
    return redirect(results_url)


def _in_background(
    session: Session,
    project: models.Project,
    override: dict[str, Any],
    simulations: int,
    results_url: str,
    page: dict[str, Any],
) -> str | Response:
    """Queue the calculation (a large Monte Carlo) and show its job's page; a project with
    problems shows them at once, and a matching stored run is shown without a job."""
    problems = [
        p
        for p in check_input(session, project.input_doc(override), project.organisation_id)
        if p.severity == "error"
    ]
    if problems:
        return render_template(
            "results/show.html", errors=problem_links(project.id, problems), **page
        )
    if matching_run(session, project, override) is not None:
        return redirect(results_url)
    job = models.Job(organisation_id=project.organisation_id, kind=CALCULATE_JOB)
    job.stage = f"Waiting to calculate the results with {simulations:,} simulations"
    job.user_name = user_name()
    same = {"project_id": project.id, "override": override, "simulations": simulations}
    job, started = jobs.start_once(
        session,
        job,
        same,
        project_id=project.id,
        override=override,
        simulations=simulations,
        actor=asdict(current_actor()),
        result_url=results_url,
    )
    if not started:
        flash(jobs.already(job, ALREADY_CALCULATING.format(project=project.project_ref)), "notice")
    return redirect(url_for("jobs.show", job_id=job.id))


#: What an analyst is told when the calculation they asked for is already under way.
ALREADY_CALCULATING = (
    "The same calculation of {project} (with these simulations) is already running: here "
    "it is. It was started {{when}} by {{who}}."
)


@jobs.kind(CALCULATE_JOB)
def calculate_job(session: Session, job: models.Job, progress: jobs.Progress) -> str:
    """Calculate a project's results (its Monte Carlo) in the background: the project as it
    stands now, the run recorded with the job's ``run_id`` in one transaction."""
    params = job.params
    url = str(params["result_url"])
    if job.run_id is not None:
        return url
    project = session.get(models.Project, int(params["project_id"]))
    if project is None or project.organisation_id != job.organisation_id:
        raise jobs.JobFailed(
            "The project was deleted before its results could be calculated. Nothing was saved."
        )
    simulations = int(params.get("simulations") or 0)
    progress(f"Running {simulations:,} Monte Carlo simulations of {project.project_ref}", 0, 0)
    try:
        run, _recorded = project_results(session, project, dict(params.get("override") or {}))
    except InvalidInput as invalid:
        session.rollback()
        reasons = list(dict.fromkeys(p.message for p in invalid.problems))
        more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
        raise jobs.JobFailed(
            f"The project changed since you asked and now has problems: "
            f"{'; '.join(reasons[:3])}{more}. Nothing was saved: correct them on the "
            f"project's page, then calculate again."
        ) from None
    job.run_id = run.id
    session.commit()
    progress(f"Ran {simulations:,} simulations", simulations, simulations)
    return url
