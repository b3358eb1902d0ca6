"""The portfolio page: every project side by side, on one basis, sortable and filterable.

``/portfolio/`` reads each project's stored summary (:mod:`.data` computes only the
projects whose inputs or tables changed) and shows a row per project: mode, outcome themes, present
values of costs and fiscal benefits, FROI, NPV, payback year, value-for-money band and
cashable benefits.  Every column heading sorts the table (on the server, with
``aria-sort``); the filters narrow it by words, mode and outcome theme; the "by outcome
theme" view shows fiscal benefits per theme, in total and per project.  Projects whose
inputs have problems are listed apart, each linking to its page.  "Export as the
standard workbook" (an analyst's POST to ``/portfolio/export``) starts a job on the
queue (:mod:`froi.web.uploads.jobs`) that computes the projects the filters show, records
the run and writes the workbook into the results folder; the job's page shows its
progress and then the download, ``/portfolio/exports/<job>.xlsx``.  The same export
already under way is shown rather than started twice; a download whose kept file has
gone queues the job again rather than writing the workbook in the request.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from calculator.fields import SETTINGS, by_name

from ..accounts.access import current_organisation, require_role
from ..core import failures, models
from ..core.audit import current_actor
from ..core.db import get_session
from ..core.forms import ErrorItem
from ..core.reference import app_reference
from ..core.running import user_name
from ..core.summary import COLUMNS, parse_sort
from ..uploads import jobs
from ..uploads.batch import XLSX
from ..uploads.result_files import export_path, write_export
from .data import (
    LABEL,
    basis_settings,
    compute_portfolio,
    organisation_projects,
    portfolio_summaries,
    summary_page,
)

log = logging.getLogger(__name__)
bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")

MODES = ("appraisal", "comparison", "case_level")
VIEWS = ("projects", "themes")
YEARS = by_name(SETTINGS)["appraisal_years"]


def _basis(args: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The basis asked for (base year, appraisal years), with any error by field."""
    errors: dict[str, str] = {}
    base_year = args.get("base_year", "").strip()
    if base_year and base_year not in app_reference().deflators.index:
        errors["base_year"] = f"base year {base_year} is not in the deflator table"
        base_year = ""
    years_text = args.get("appraisal_years", "").strip()
    years = None
    if years_text:
        # ASCII digits only: "²" is a digit to isdigit() but not to int()
        whole = years_text.isascii() and years_text.isdigit() and len(years_text) < 6
        ok = whole and (YEARS.minimum or 1) <= int(years_text) <= (YEARS.maximum or 100)
        if ok:
            years = int(years_text)
        else:
            errors["appraisal_years"] = (
                f"appraisal years must be a whole number from {YEARS.minimum} to "
                f"{YEARS.maximum}; got {years_text}"
            )
    return basis_settings(base_year, years), errors


def _filters(args: MultiDict[str, str]) -> dict[str, str]:
    mode = args.get("mode", "")
    return {
        "q": args.get("q", "").strip(),
        "mode": mode if mode in MODES else "",
        "theme": args.get("theme", ""),
    }


@bp.get("/")
def index() -> str:
    """The portfolio from each project's stored summary under the chosen basis: only
    projects whose inputs or tables changed are computed, nothing is recorded as a run,
    and the table is filtered, sorted and paged in the database."""
    session = get_session()
    org = current_organisation(session)
    settings, basis_errors = _basis(request.args)
    basis = portfolio_summaries(session, org.id, settings)
    filters = _filters(request.args)
    view = request.args.get("view", "projects")
    view = view if view in VIEWS else "projects"
    sort, descending = parse_sort(request.args.get("sort"))
    shown = summary_page(
        session,
        org.id,
        basis,
        filters,
        sort,
        descending,
        request.args.get("page", 1, type=int) or 1,
    )
    kept = {k: v for k, v in request.args.items() if k not in ("sort", "page") and v}
    errors = [ErrorItem(text, f"#field-{name}") for name, text in basis_errors.items()]
    reference = app_reference()
    return render_template(
        "portfolio/index.html",
        portfolio=basis,
        table=basis.table,
        basis={
            "base_year": settings.get("base_year") or reference.deflators.latest_year,
            "appraisal_years": settings.get("appraisal_years") or YEARS.default,
        },
        rows=shown.rows,
        shown=shown,
        total=shown.total,
        filters=filters,
        view=view,
        sort=sort,
        descending=descending,
        columns=COLUMNS,
        themes=shown.themes,
        theme_totals=shown.theme_totals,
        modes=MODES,
        kept=kept,
        errors=errors,
        basis_errors=basis_errors,
        base_years=list(reference.deflators.index),
        args=request.args,
        export_fields={k: v for k, v in kept.items() if k != "view"},
    )


#: The kind of job that writes a portfolio export.
EXPORT = "portfolio_export"
#: What the export's form carries: the basis and the filters and sort the page shows.
EXPORT_FIELDS = ("base_year", "appraisal_years", "q", "mode", "theme", "sort")
NOTHING_TO_EXPORT = (
    "No project can be computed, so there is nothing to export. Nothing was saved: "
    "correct the projects listed on the portfolio page as having problems, then export again."
)


#: What an analyst is told when the export they asked for is already under way.
ALREADY_EXPORTING = (
    "The same export (these projects, on this basis) is already running: here it is. "
    "It was started {when} by {who}."
)


@bp.post("/export")
@require_role("analyst", "export the portfolio as a workbook")
def export() -> BaseResponse:
    """Start the job that writes the standard results workbook of the projects the filters
    show, on the same basis, and show its page (progress, then the download).

    Computing it costs seconds of CPU and records a run (or reuses an identical one), so it
    is an analyst's POST from the portfolio page's button, never a GET: following a link
    or viewing a page writes nothing.  The same export already queued or running (a double
    click, two analysts) is not started again: its page is shown (:func:`jobs.start_once`)."""
    session = get_session()
    org = current_organisation(session)
    form = {name: request.form.get(name, "") for name in EXPORT_FIELDS}
    job = models.Job(organisation_id=org.id, kind=EXPORT)
    job.stage, job.user_name = "Waiting to export the portfolio", user_name()
    job, started = jobs.start_once(session, job, form, form=form, actor=asdict(current_actor()))
    if not started:
        flash(jobs.already(job, ALREADY_EXPORTING), "notice")
    return redirect(url_for("jobs.show", job_id=job.id))


@jobs.kind(EXPORT)
def export_job(session: Session, job: models.Job, progress: jobs.Progress) -> str:
    """Compute the projects the export's filters chose, record the run with the job's
    ``run_id`` in one transaction, and keep the workbook in the results folder.  An attempt
    after a worker that stopped finds the run (an identical run is reused, never recorded
    twice) and only writes the file if it is missing; so does the job queued again by a
    download that finds the file gone.

    Writing the workbook comes after the run is recorded: if it fails, the job fails
    saying that the run was recorded and that the workbook can be written again."""
    results = None
    run = session.get(models.Run, job.run_id) if job.run_id is not None else None
    if run is None:
        org_id = job.organisation_id
        form = MultiDict(dict(job.params.get("form") or {}))
        settings, _ = _basis(form)
        progress("Bringing the projects' figures up to date", 0, 0)
        basis = portfolio_summaries(session, org_id, settings)
        sort, descending = parse_sort(form.get("sort"))
        matching = summary_page(
            session, org_id, basis, _filters(form), sort, descending, 1, page_size=10**9
        )
        chosen = {r.project_id for r in matching.rows}
        projects = [p for p in organisation_projects(session, org_id) if p.project_ref in chosen]
        count = len(projects)
        progress(f"Computing {count:,} project{'' if count == 1 else 's'}", 0, count)
        subset, results = compute_portfolio(
            session, org_id, projects, settings, label=f"{LABEL} export"
        )
        if subset.run is None:
            raise jobs.JobFailed(NOTHING_TO_EXPORT)
        run = subset.run
        job.run_id = run.id
        session.commit()
        progress(f"Writing the results workbook of {count:,} projects", count, count)
    else:
        progress("Writing the results workbook", 0, 0)
    try:
        write_export(run, results)
    except jobs.LeaseLost:
        raise
    except Exception as error:
        log.warning("job %s: the workbook of run %s not written", job.id, run.id, exc_info=True)
        failure = failures.classify(error)
        why = f": {failure.title} ({failure.kind})" if failure is not None else ""
        raise jobs.JobFailed(WORKBOOK_NOT_WRITTEN.format(run=run.id, why=why, id=job.id)) from None
    return export_url(job.id)


#: What an analyst is told when the run was recorded but its workbook could not be written.
WORKBOOK_NOT_WRITTEN = (
    "The projects were computed and recorded as run {run}, but the results workbook could "
    "not be written{why}. The run is kept: write the workbook again with the link below; "
    "if it keeps failing, tell whoever runs the service (job {id})."
)


def export_url(job_id: int) -> str:
    """The download of a portfolio export, built from the routes (in a worker, which has
    no request to build it from, as the path the routes give)."""
    if has_request_context():
        return url_for("portfolio.export_file", job_id=job_id)
    adapter = current_app.url_map.bind("localhost")
    return str(adapter.build("portfolio.export_file", {"job_id": job_id}))


#: What a person is told when the workbook they asked for must be written again.
WRITING_AGAIN = (
    "The workbook of run {run} is no longer kept (files are kept for the service's retention "
    "period), so it is being written again from the run: it can be downloaded from this "
    "page when it is ready."
)


#: What a person is told when the workers write exports where this web machine cannot read.
NOT_SHARED = (
    "The workbook was written by a worker into a results folder this machine cannot read, "
    "so it cannot be downloaded here. Tell whoever runs the service: FROI_RESULTS_DIR must "
    "be on storage shared by the web and worker machines (export {id})."
)


@bp.get("/exports/<int:job_id>.xlsx")
def export_file(job_id: int) -> BaseResponse:
    """The workbook a portfolio export job wrote, streamed from the kept file.

    A file that has gone (another machine, the retention period passed), or that the job
    could not write, is never written inside the request (at the row limit that is about a
    minute and most of a gigabyte): the job is queued again (it has its run, so it only
    writes the file) and its page is shown."""
    session = get_session()
    job = jobs.get_job(session, job_id)
    run = session.get(models.Run, job.run_id) if job.run_id is not None else None
    if job.kind != EXPORT or run is None or job.status not in (jobs.DONE, jobs.FAILED):
        if job.kind == EXPORT and run is not None:  # being written again
            return redirect(url_for("jobs.show", job_id=job.id))
        abort(404, description="This export is not ready, or there is no such export.")
    path = export_path(run)
    if job.status == jobs.DONE and path.is_file():
        return send_file(
            path,
            mimetype=XLSX,
            as_attachment=True,
            download_name=f"portfolio-run-{run.id}.xlsx",
            max_age=0,
        )
    host = socket.gethostname()
    lately = models.utcnow() - timedelta(hours=1)
    written_here = job.params.get("written_again_for") == host
    if job.status == jobs.DONE and written_here and (job.finished_at or lately) > lately:
        # written again for this machine within the hour, and still not here: the worker
        # wrote it into a results folder this machine does not share
        log.error("export %s: %s is not on this machine after writing it again", job.id, path)
        abort(503, description=NOT_SHARED.format(id=job.id))
    stage = f"Waiting to write the results workbook of run {run.id} again"
    jobs.again(job.id, stage, {**job.params, "written_again_for": host})
    flash(WRITING_AGAIN.format(run=run.id), "notice")
    return redirect(url_for("jobs.show", job_id=job.id))
