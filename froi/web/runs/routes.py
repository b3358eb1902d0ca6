"""Runs: the record of every calculation, each re-runnable to show that it reproduces.

A run page shows what went in (the input document and its SHA-256, the settings, the
unit cost table's name, version and hash, the other reference tables' hashes, the
engine version, who and when) and what came out.  "Re-run" recomputes the stored input
on the stored table version and records the re-run as a run of its own, linked to the
original, with whether every figure came out the same; its page names any figure that
did not, with both values.  "Re-run on the current tables" recomputes the stored input
on the table version now in use, and its page shows each changed figure and why: the
unit cost codes the run used whose rows changed, a changed deflator table, base year or
engine version (:mod:`.rerun_reasons`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from calculator.errors import InvalidInput

from ..accounts.access import current_organisation, owned, require_role
from ..core import models
from ..core.audit import current_actor
from ..core.db import get_session
from ..core.figures import project_figures, project_tables
from ..core.reference import current_table
from ..core.running import rerun, rerun_current, rerun_differences, user_name
from ..uploads import jobs
from .differences import in_words
from .rerun_reasons import rerun_reasons

bp = Blueprint("runs", __name__, url_prefix="/runs")

#: Runs listed on one page, newest first.
PAGE_SIZE = 50
#: Projects whose figures a run page draws at once (a batch run may hold thousands).
PROJECTS_PER_PAGE = 10


def get_run(run_id: int) -> models.Run:
    return owned(get_session(), models.Run, run_id, "There is no such run.")


#: The columns the runs list shows: never a run's input or results (megabytes for a
#: batch), so a page of the list reads a page of small rows.
LISTED = (
    models.Run.id,
    models.Run.project_ref,
    models.Run.label,
    models.Run.computed_at,
    models.Run.user_name,
    models.Run.unit_cost_table_id,
    models.Run.unit_cost_table_name,
    models.Run.unit_cost_table_version,
    models.Run.engine_version,
    models.Run.project_count,
    models.Run.froi,
    models.Run.rerun_of_id,
    models.Run.reproduced,
)


@bp.get("/")
def index() -> str:
    """Runs newest first, a page at a time (LIMIT and OFFSET in the database), each naming
    its unit cost table and version and whether that table is national or local."""
    session = get_session()
    org = current_organisation(session).id
    total = (
        session.scalar(select(func.count(models.Run.id)).where(models.Run.organisation_id == org))
        or 0
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    runs = session.execute(
        select(*LISTED, models.UnitCostTable.organisation_id.label("table_organisation"))
        .join(models.UnitCostTable, models.UnitCostTable.id == models.Run.unit_cost_table_id)
        .where(models.Run.organisation_id == org)
        .order_by(models.Run.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "runs/index.html",
        runs=runs,
        page_size=PAGE_SIZE,
        paging={"page": page, "pages": pages, "count": total},
    )


@bp.get("/<int:run_id>")
def show(run_id: int) -> str:
    run = get_run(run_id)
    # what differs and why is shown only when a re-run did not reproduce (a re-run's
    # ``reproduced`` already says whether anything differs)
    unlike = run.rerun_of if run.rerun_of is not None and not run.reproduced else None
    changed = rerun_differences(unlike, run) if unlike is not None else []
    reasons = rerun_reasons(unlike, run) if unlike is not None else None
    count = len(run.results.get("projects", []))
    pages = max(1, math.ceil(count / PROJECTS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    first = (page - 1) * PROJECTS_PER_PAGE
    shown = range(first, min(first + PROJECTS_PER_PAGE, count))
    return render_template(
        "runs/show.html",
        run=run,
        reasons=reasons,
        in_use=current_table(get_session(), run.organisation_id),
        figures=project_figures(run.results, chart_prefix=f"run-{run.id}", only=shown),
        paging={"page": page, "pages": pages, "shown": shown, "count": count},
        differences=in_words(changed, unlike.results) if unlike is not None else [],
        input_text=json.dumps(run.input_doc, indent=2, ensure_ascii=False),
    )


RERUN = "re-run runs"


#: What a re-run on the current tables that cannot compute says (nothing is recorded).
CANNOT_RERUN = (
    "This run cannot be re-run on {table}, version {version}, the table now in use: "
    "{reasons}{more}. Nothing was recorded."
)


def _cannot(session: Session, run: models.Run, invalid: InvalidInput) -> str:
    table = current_table(session, run.organisation_id)
    reasons = list(dict.fromkeys(p.message for p in invalid.problems))
    more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
    return CANNOT_RERUN.format(
        table=table.name, version=table.version, reasons="; ".join(reasons[:3]), more=more
    )


def _in_background(run: models.Run, current: bool) -> BaseResponse | None:
    """A re-run of more projects than ``BATCH_BACKGROUND_ABOVE_PROJECTS`` goes to the job
    queue (its page shows the progress, then the new run); None for one done here."""
    projects = len((run.input_doc or {}).get("projects") or [])
    if projects <= int(current_app.config["BATCH_BACKGROUND_ABOVE_PROJECTS"]):
        return None
    session = get_session()
    job = models.Job(organisation_id=run.organisation_id, kind="rerun")
    job.stage = f"Waiting to re-run {projects:,} projects"
    job.user_name = user_name()
    jobs.start(session, job, run_id=run.id, current=current, actor=asdict(current_actor()))
    return redirect(url_for("jobs.show", job_id=job.id))


@jobs.kind("rerun")
def rerun_job(session: Session, job: models.Job, progress: jobs.Progress) -> str:
    """Re-run a large run in the background.  The new run is recorded with the job's
    ``run_id`` in one transaction, so an attempt after a worker that stopped finds it."""
    if job.run_id is not None:
        return f"/runs/{job.run_id}"
    run = session.get(models.Run, int(job.params["run_id"]))
    if run is None:
        raise jobs.JobFailed("The run was deleted before it could be re-run. Nothing was saved.")
    projects = len((run.input_doc or {}).get("projects") or [])
    progress(f"Re-running run {run.id}: computing {projects:,} projects", 0, projects)
    try:
        again = rerun_current(session, run) if job.params.get("current") else rerun(session, run)
    except InvalidInput as invalid:
        session.rollback()
        raise jobs.JobFailed(_cannot(session, run, invalid)) from None
    job.run_id = again.id
    session.commit()
    return f"/runs/{again.id}"


@bp.post("/<int:run_id>/rerun")
@require_role(models.ANALYST, RERUN)
def rerun_view(run_id: int) -> BaseResponse:
    session = get_session()
    run = get_run(run_id)
    background = _in_background(run, current=False)
    if background is not None:
        return background
    again = rerun(session, run)
    session.commit()
    return redirect(url_for("runs.show", run_id=again.id))


@bp.post("/<int:run_id>/rerun-current")
@require_role(models.ANALYST, RERUN)
def rerun_current_view(run_id: int) -> BaseResponse:
    """Recompute the stored input on the tables now in use, linked to this run."""
    session = get_session()
    run = get_run(run_id)
    background = _in_background(run, current=True)
    if background is not None:
        return background
    try:
        again = rerun_current(session, run)
    except InvalidInput as invalid:
        # the table in use may lack a code the run used: say so, record nothing
        session.rollback()
        flash(_cannot(session, run, invalid))
        return redirect(url_for("runs.show", run_id=run.id))
    session.commit()
    return redirect(url_for("runs.show", run_id=again.id))


@bp.get("/<int:run_id>/input.json")
def input_json(run_id: int) -> Response:
    run = get_run(run_id)
    body = json.dumps(run.input_doc, indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="run-{run.id}-input.json"'},
    )


@bp.get("/<int:run_id>/projects/<int:index>/<name>.csv")
def table_csv(run_id: int, index: int, name: str) -> Response:
    """One table of figures of a stored run, as CSV (the numbers behind a chart)."""
    run = get_run(run_id)
    count = len(run.results.get("projects", []))
    if not 0 <= index < count:
        abort(404, description="That run has no such table.")
    project = run.results["projects"][index]
    tables = project_tables(project)  # this project's tables, without drawing its charts
    if name not in tables:
        abort(404, description="That run has no such table.")
    safe_ref = re.sub(r"[^A-Za-z0-9_-]+", "_", str(project.get("project_id")))
    return Response(
        tables[name].csv(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="run-{run.id}-{safe_ref}-{name}.csv"'
        },
    )
