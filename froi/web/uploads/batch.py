"""Batch upload, the way GOV.UK Notify takes a spreadsheet: upload, check, confirm.

``/batch/`` explains the upload and offers the input template and the sample workbooks;
posting a workbook stores its bytes (:mod:`.work`) and checks them, then sends the
person to the check page ``/batch/<id>``: every problem with its cell (the first 50 and
how many more) and a form to upload a corrected workbook, or the one sentence refusing
the file, or a summary of what will be computed and a Confirm button.  Confirming
computes every project in one engine call, stores one run and the projects, and shows
the results side by side with the standard results workbook to download.

Large workbooks are checked and computed in the background (:mod:`.jobs`): an upload
larger than ``BATCH_BACKGROUND_ABOVE_BYTES`` (default 1 MB) is checked in a job, and a
confirm of more than ``BATCH_BACKGROUND_ABOVE_PROJECTS`` projects (default 200), or of
a file above the byte threshold, is computed in one; the person follows the job's page.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response as BaseResponse

from calculator.errors import InvalidInput
from froi.workbook.cells import DEFAULT_SHOWN
from froi.workbook.limits import DEFAULT_LIMITS, MB
from froi.workbook.template import write_template

from ..accounts.access import current_organisation, owned, require_role
from ..core import models
from ..core.audit import Actor, current_actor, record
from ..core.db import get_session
from ..core.forms import ErrorItem
from ..core.reference import current_table, reference_for
from ..core.running import user_name
from ..core.summary import COLUMNS, parse_sort, sort_rows, summary_rows
from . import jobs
from .result_files import workbook_bytes
from .work import (
    CHECKED,
    CHECKING,
    CLASH_RULES,
    COMPUTED,
    COMPUTING,
    FAILED,
    SUFFIX,
    batch_run,
    check_upload,
    compute_upload,
    new_upload,
    no_progress,
    store_upload,
)

bp = Blueprint("batch", __name__, url_prefix="/batch")

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "sample_workbooks"
#: The sample workbooks offered for download, with what each shows.
SAMPLE_FILES = {
    "edge_of_care_appraisal.xlsx": "An appraisal: an edge-of-care service, with costs and outcomes",
    "comparison_group_study.xlsx": "A comparison group study: costs avoided per case",
    "enfield_case_level.xlsx": "Case-level data: observed FROI on the cases seen",
    "hampshire_offset.xlsx": "An appraisal whose costs are offset by savings",
    "portfolio_50_projects.xlsx": "A portfolio of 50 projects of all three modes",
}
ACCEPTED = (".xlsx", ".xlsm")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_FILE = "Select an Excel workbook (.xlsx or .xlsm) to upload"


@bp.record_once
def _defaults(state: Any) -> None:
    state.app.config.setdefault("BATCH_BACKGROUND_ABOVE_BYTES", 1 * MB)
    state.app.config.setdefault("BATCH_BACKGROUND_ABOVE_PROJECTS", 200)


def _above(setting: str, value: int) -> bool:
    return value > int(current_app.config[setting])


def get_upload(session: Session, upload_id: int) -> models.Upload:
    return owned(session, models.Upload, upload_id, "There is no such upload.")


def _upload_form(errors: list[ErrorItem] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "batch/index.html",
        samples=SAMPLE_FILES,
        errors=errors or [],
        max_mb=DEFAULT_LIMITS.max_bytes // MB,
    ), status


UPLOAD = "upload workbooks"


@bp.get("/")
@require_role(models.ANALYST, UPLOAD)
def index() -> tuple[str, int]:
    return _upload_form()


@bp.get("/template.xlsx")
def template() -> Response:
    """The input template, with dropdowns from the unit cost table in use."""
    session = get_session()
    reference = reference_for(current_table(session, current_organisation(session).id))
    with tempfile.TemporaryDirectory(prefix="froi-template-") as folder:
        path = Path(folder) / "template.xlsx"
        write_template(path, reference)
        body = path.read_bytes()
    return send_file(
        io.BytesIO(body),
        mimetype=XLSX,
        as_attachment=True,
        download_name="froi-input-template.xlsx",
    )


@bp.get("/samples/<name>")
def sample(name: str) -> Response:
    if name not in SAMPLE_FILES:
        abort(404, description="There is no such sample workbook.")
    return send_file(SAMPLES / name, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.post("/")
@require_role(models.ANALYST, UPLOAD)
def upload() -> BaseResponse | tuple[str, int]:
    """Store and check an uploaded workbook, then show the check page (or its job)."""
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return _upload_form([ErrorItem(NO_FILE, "#field-file")], 400)
    if not sent.filename.lower().endswith(ACCEPTED):
        message = (
            f"{Path(sent.filename).name} is not an Excel workbook: the file must end in "
            ".xlsx or .xlsm (save it from Excel as an Excel Workbook)"
        )
        return _upload_form([ErrorItem(message, "#field-file")], 400)
    content = sent.read()
    session = get_session()
    org = current_organisation(session)
    if _above("BATCH_BACKGROUND_ABOVE_BYTES", len(content)):
        stored = store_upload(session, org.id, sent.filename, content, user_name())
        _received(session, stored)
        stored.status = CHECKING
        job = models.Job(organisation_id=org.id, kind="check", upload_id=stored.id)
        job.stage, job.user_name = f"Waiting to check {stored.file_name}", user_name()
        jobs.start(session, job, result_url=url_for("batch.show", upload_id=stored.id))
        return redirect(url_for("jobs.show", job_id=job.id))
    # checked before anything is written, then written with its report in one short
    # transaction: SQLite lets one transaction write at a time, and a check holding that
    # lock would keep every other save waiting
    stored = new_upload(org.id, sent.filename, content, user_name())
    check_upload(session, stored)
    session.add(stored)
    session.flush()
    _received(session, stored)
    session.commit()
    return redirect(url_for("batch.show", upload_id=stored.id))


def _received(session: Session, stored: models.Upload) -> None:
    record(
        session,
        "upload.received",
        f"Workbook {stored.file_name} uploaded ({stored.size:,} bytes)",
        object_type="upload",
        object_id=stored.id,
        after={"file": stored.file_name, "sha256": stored.sha256, "size": stored.size},
    )


@jobs.kind("check")
def check_job(session: Session, job: models.Job, progress: jobs.Progress) -> str:
    """Check a large upload in the background.  An upload no longer being checked was
    checked by an earlier attempt whose worker stopped before it could say so."""
    upload_id, url = int(job.upload_id or 0), str(job.params["result_url"])
    upload = get_or_fail(session, upload_id)
    if upload.status != CHECKING:
        return url
    try:
        check_upload(session, upload, progress)
    except jobs.LeaseLost:
        raise  # another worker has the job now: leave the upload to it
    except BaseException:
        session.rollback()
        _mark(session, upload_id, FAILED)
        raise
    return url


@jobs.kind("compute")
def compute_job(session: Session, job: models.Job, progress: jobs.Progress) -> str:
    """Compute a large upload in the background.  An upload already computed was saved
    by an earlier attempt whose worker stopped before it could say so: not again."""
    upload_id, params = int(job.upload_id or 0), job.params
    upload = get_or_fail(session, upload_id)
    if upload.status == COMPUTED:
        return str(params["result_url"])
    if upload.status != COMPUTING:
        raise jobs.JobFailed(
            "The upload is no longer waiting to be computed (it was changed or computed "
            "elsewhere). Nothing was saved by this job."
        )
    actor = Actor(**params["actor"])
    _compute(session, upload, str(params["rule"]), progress, actor)
    return str(params["result_url"])


def get_or_fail(session: Session, upload_id: int) -> models.Upload:
    upload = session.get(models.Upload, upload_id)
    if upload is None:
        raise jobs.JobFailed("The upload was deleted before it could be processed.")
    return upload


def _job_of(session: Session, upload: models.Upload) -> models.Job | None:
    return session.scalars(
        select(models.Job).where(models.Job.upload_id == upload.id).order_by(models.Job.id.desc())
    ).first()


@bp.get("/<int:upload_id>")
def show(upload_id: int) -> BaseResponse | str:
    """The check page: the problems, the refusal, or what will be computed."""
    session = get_session()
    upload = get_upload(session, upload_id)
    if upload.status == COMPUTED:
        return redirect(url_for("batch.results", upload_id=upload.id))
    report = upload.report or {}
    errors = []
    if upload.status == "refused":
        errors = [ErrorItem(f"{upload.file_name}: {report.get('refused', '')}", "#field-file")]
    elif upload.status == "invalid":
        errors = [
            ErrorItem(
                f"{upload.file_name} has {report.get('problem_count', 0):,} "
                f"problem{'' if report.get('problem_count') == 1 else 's'}: correct them and "
                "upload the workbook again",
                "#problems",
            )
        ]
    return render_template(
        "batch/check.html",
        upload=upload,
        report=report,
        errors=errors,
        shown=DEFAULT_SHOWN,
        job=_job_of(session, upload) if upload.status in (CHECKING, COMPUTING) else None,
        max_mb=DEFAULT_LIMITS.max_bytes // MB,
    )


CHOOSE_CLASH = (
    "Choose whether to update the projects whose references are already used, or to add "
    "copies of them"
)


@bp.post("/<int:upload_id>/confirm")
@require_role(models.ANALYST, UPLOAD)
def confirm(upload_id: int) -> BaseResponse:
    """Compute a checked upload (in a job when it is large), then show its results."""
    session = get_session()
    upload = get_upload(session, upload_id)
    rule = request.form.get("clash", "")
    if rule not in CLASH_RULES:
        if (upload.report or {}).get("clashes") and upload.status == CHECKED:
            # the workbook reuses references: the person says what should happen to them
            return render_template(
                "batch/check.html",
                upload=upload,
                report=upload.report,
                errors=[ErrorItem(CHOOSE_CLASH, "#clash-update")],
                clash_error=CHOOSE_CLASH,
                shown=DEFAULT_SHOWN,
                job=None,
                max_mb=DEFAULT_LIMITS.max_bytes // MB,
            ), 400  # type: ignore[return-value]
        rule = SUFFIX
    # claim the upload: a second press of Confirm (another tab) does not compute it twice
    claimed = session.execute(
        update(models.Upload)
        .where(models.Upload.id == upload.id, models.Upload.status == CHECKED)
        .values(status=COMPUTING)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        session.rollback()
        return redirect(url_for("batch.show", upload_id=upload_id))
    session.commit()
    results_url = url_for("batch.results", upload_id=upload_id)
    projects = int((upload.report or {}).get("projects", 0))
    background = _above("BATCH_BACKGROUND_ABOVE_PROJECTS", projects) or _above(
        "BATCH_BACKGROUND_ABOVE_BYTES", upload.size
    )
    actor = current_actor()  # a job has no signed-in user: it records who started it
    if background:
        job = models.Job(
            organisation_id=upload.organisation_id, kind="compute", upload_id=upload_id
        )
        job.stage, job.user_name = f"Waiting to compute {projects:,} projects", user_name()
        jobs.start(session, job, rule=rule, actor=asdict(actor), result_url=results_url)
        return redirect(url_for("jobs.show", job_id=job.id))
    try:
        _compute(session, upload, rule, no_progress, actor)
    except jobs.JobFailed as failed:
        flash(str(failed))
        return redirect(url_for("batch.show", upload_id=upload_id))
    return redirect(results_url)


STALE_CHECK = (
    "The workbook no longer passes its checks (the unit cost table in use may have changed "
    "since it was checked). Nothing was saved. The problems are listed below."
)


#: A project the confirm would update was saved by someone else meanwhile.
CHANGED_MEANWHILE = (
    "A project this workbook updates changed since you opened this page (it was saved "
    "from another page or upload). Nothing was saved: check the project, then confirm "
    "again to update it from the workbook."
)


def _compute(
    session: Session, upload: models.Upload, rule: str, progress: Any, actor: Actor
) -> None:
    """Compute and save, or leave nothing saved and the upload as it was checked."""
    upload_id = upload.id
    try:
        compute_upload(session, upload, rule, actor, progress)
    except InvalidInput:
        session.rollback()
        check_upload(session, session.get(models.Upload, upload_id) or upload)
        raise jobs.JobFailed(STALE_CHECK) from None
    except jobs.LeaseLost:
        raise  # another worker has the job now: its upload is that worker's to mark
    except StaleDataError:
        # an update is conditional on the revision the confirm read: another save won
        session.rollback()
        _mark(session, upload_id, CHECKED)
        raise jobs.JobFailed(CHANGED_MEANWHILE) from None
    except BaseException:
        session.rollback()
        _mark(session, upload_id, CHECKED)  # nothing was saved: it can be confirmed again
        raise


def _mark(session: Session, upload_id: int, status: str) -> None:
    upload = session.get(models.Upload, upload_id)
    if upload is not None:
        upload.status = status
        session.commit()


@bp.get("/<int:upload_id>/results")
def results(upload_id: int) -> BaseResponse | str:
    session = get_session()
    upload = get_upload(session, upload_id)
    run = batch_run(session, upload)
    if upload.status != COMPUTED or run is None:
        return redirect(url_for("batch.show", upload_id=upload_id))
    rows = summary_rows(run.results, reference_for(run.unit_cost_table))
    saved = (upload.report or {}).get("projects_saved") or []
    for row in rows:
        row.project_pk = saved[row.index] if row.index < len(saved) else None
    refs = {p.id: p.project_ref for p in _projects(session, saved)}
    sort, descending = parse_sort(request.args.get("sort"), default="")
    return render_template(
        "batch/results.html",
        upload=upload,
        run=run,
        rows=sort_rows(rows, sort, descending),
        refs=refs,
        columns=[c for c in COLUMNS if c.key != "themes"],
        sort=sort,
        descending=descending,
    )


def _projects(session: Session, ids: list[int]) -> list[models.Project]:
    if not ids:
        return []
    return list(
        session.scalars(
            select(models.Project).where(
                models.Project.id.in_(ids),
                models.Project.organisation_id == current_organisation(session).id,
            )
        )
    )


@bp.get("/<int:upload_id>/results.xlsx")
def results_workbook(upload_id: int) -> Response:
    """The standard results workbook of the batch run, naming the uploaded file."""
    session = get_session()
    upload = get_upload(session, upload_id)
    run = batch_run(session, upload)
    if run is None:
        abort(404, description="This upload has not been computed.")
    stream = io.BytesIO(workbook_bytes(run, upload))
    name = f"{Path(upload.file_name).stem}-results.xlsx"
    return send_file(stream, mimetype=XLSX, as_attachment=True, download_name=name)
