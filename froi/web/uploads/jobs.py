"""Background jobs: long work run on a thread pool owned by the app, with real progress.

A request that would take too long (checking or computing a large workbook) creates a
:class:`~froi.web.core.models.Job` row and hands a function to the app's
``concurrent.futures.ThreadPoolExecutor`` (``app.extensions["froi"]["executor"]``); the
request returns at once with a link to the job's page, which shows ``<progress>`` and
the stage in words and refreshes itself every two seconds (``<meta http-equiv=refresh>``,
no JavaScript) until the job is done or has failed.

Each job runs in an app context with **its own database session**: the work's changes
commit together or not at all, and the job's progress is written through a second,
short-lived session so that a page polling the job sees it while the work is still
uncommitted.  A job records the process running it (``worker``) and a ``heartbeat`` at
every report.  On start the app marks failed every job left ``queued`` or ``running``
by a process of this machine that no longer exists, and any job anywhere whose
heartbeat is older than ``JOB_STALE_AFTER`` seconds, so a restart never leaves a job
"running" for ever.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, abort, current_app, redirect, render_template
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from ..accounts.access import owned
from ..core import models, observe
from ..core.db import Database, get_session

log = logging.getLogger(__name__)
bp = Blueprint("jobs", __name__, url_prefix="/jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: What a person is told about a job whose process went away.
INTERRUPTED = (
    "The service was restarted while this work was in progress, so it did not finish. "
    "Nothing was saved. Upload the workbook again."
)
#: What a person is told when a job fails for a reason that is not theirs to fix.
UNEXPECTED = (
    "Sorry, something went wrong on our side and the work did not finish. Nothing was "
    "saved. Try again; if it happens again, tell the service team (job {id})."
)


class JobFailed(Exception):
    """A job's work failed with a message meant for the person who started it."""


#: Tells this process from an earlier one that had the same process id.
BOOT = secrets.token_hex(4)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{BOOT}"


@dataclass
class Progress:
    """What a job's work calls to report its stage and how far it has got."""

    job_id: int
    sessions: sessionmaker[Session]
    #: the latest report, kept so tests and logs can see the stages in order
    stages: list[str] = field(default_factory=list)

    def __call__(self, stage: str, done: int = 0, total: int = 0) -> None:
        """Record the stage; a report that cannot be written never stops the work."""
        self.stages.append(stage)
        try:
            with self.sessions() as session:
                job = session.get(models.Job, self.job_id)
                if job is None:
                    return
                job.stage, job.done, job.total = stage[:300], done, total
                job.heartbeat = models.utcnow()
                session.commit()
        except SQLAlchemyError:
            log.warning("job %s: progress '%s' not recorded", self.job_id, stage, exc_info=True)


#: The work of a job: given its own session and a progress reporter, it does the work,
#: commits it, and returns the address of the page that shows the result.
Work = Callable[[Session, Progress], str]


def executor(app: Flask) -> ThreadPoolExecutor:
    pool: ThreadPoolExecutor = app.extensions["froi"]["executor"]
    return pool


def pending(app: Flask) -> set[Future[None]]:
    futures: set[Future[None]] = app.extensions["froi"]["job_futures"]
    return futures


def start(session: Session, job: models.Job, work: Work) -> models.Job:
    """Record ``job`` (committing the request's session) and run ``work`` in the pool."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    job.status, job.worker = QUEUED, worker_name()
    job.heartbeat = models.utcnow()
    session.add(job)
    session.commit()
    _submit(app, _run, app, job.id, work)
    return job


def after(task: Callable[[], None]) -> None:
    """Run ``task`` in the pool, in an app context, with no job page (work that only
    makes something ready sooner, such as a file a download would otherwise write)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                task()
            except Exception:
                log.warning("background task failed", exc_info=True)

    _submit(app, run)


def _submit(app: Flask, fn: Callable[..., None], *args: Any) -> None:
    future = executor(app).submit(fn, *args)
    with app.extensions["froi"]["job_lock"]:
        pending(app).add(future)
    future.add_done_callback(lambda done: _forget(app, done))


def _forget(app: Flask, future: Future[None]) -> None:
    with app.extensions["froi"]["job_lock"]:
        pending(app).discard(future)


def _run(app: Flask, job_id: int, work: Work) -> None:
    db: Database = app.extensions["froi"]["db"]
    with app.app_context():
        _set(db.sessions, job_id, status=RUNNING, started_at=models.utcnow())
        progress = Progress(job_id, db.sessions)
        try:
            with db.sessions() as session:
                result_url = work(session, progress)
        except JobFailed as failed:
            _set(db.sessions, job_id, status=FAILED, error=str(failed))
        except Exception:
            log.exception("job %s failed", job_id)
            _set(db.sessions, job_id, status=FAILED, error=UNEXPECTED.format(id=job_id))
        else:
            _set(db.sessions, job_id, status=DONE, stage="Done", result_url=result_url)


def _set(sessions: sessionmaker[Session], job_id: int, **values: Any) -> None:
    with sessions() as session:
        job = session.get(models.Job, job_id)
        if job is None:
            return
        for name, value in values.items():
            setattr(job, name, value)
        now = models.utcnow()
        job.heartbeat = now
        if values.get("status") in (DONE, FAILED):
            job.finished_at = now
        session.commit()


def wait_for_jobs(app: Flask, timeout: float = 60) -> None:
    """Wait until no job or task is left, including those started by other jobs (tests,
    and shutting down)."""
    deadline = time.monotonic() + timeout
    while True:
        with app.extensions["froi"]["job_lock"]:
            futures = set(pending(app))
        left = deadline - time.monotonic()
        if not futures or left <= 0:
            return
        wait(futures, timeout=left)


def shutdown(app: Flask, timeout: float = 60) -> None:
    """Let the jobs under way finish, then stop the pool."""
    wait_for_jobs(app, timeout)
    executor(app).shutdown(wait=True)


def _process_gone(worker: str) -> bool:
    """Whether the process named by ``worker`` (host:pid:boot) has certainly ended."""
    host, pid, boot = ([*worker.split(":"), "", ""])[:3]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's process: only its heartbeat can tell
    if int(pid) == os.getpid():
        return boot != BOOT  # an earlier process that had this process's id
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def fail_stale_jobs(session: Session, stale_after: float) -> int:
    """Mark failed the unfinished jobs whose process has gone (see the module's notes)."""
    cutoff = models.utcnow() - timedelta(seconds=stale_after)
    unfinished = session.scalars(select(models.Job).where(models.Job.status.in_((QUEUED, RUNNING))))
    count = 0
    for job in unfinished:
        silent = job.heartbeat is None or job.heartbeat < cutoff
        if _process_gone(job.worker) or silent:
            job.status, job.error = FAILED, INTERRUPTED
            job.finished_at = models.utcnow()
            if job.upload_id is not None:
                upload = session.get(models.Upload, job.upload_id)
                if upload is not None and upload.status in ("checking", "computing"):
                    upload.status = "failed"
            count += 1
    session.commit()
    return count


def get_job(session: Session, job_id: int) -> models.Job:
    return owned(session, models.Job, job_id, "There is no such job.")


@bp.get("/<int:job_id>")
def show(job_id: int) -> str | Response:
    session = get_session()
    job = get_job(session, job_id)
    stale = float(current_app.config["JOB_STALE_AFTER"])
    if job.status in (QUEUED, RUNNING) and fail_stale_jobs(session, stale):
        session.refresh(job)
    if job.status == DONE and job.result_url:
        return redirect(job.result_url)
    return render_template(
        "jobs/show.html",
        job=job,
        job_title=job_title(session, job),
        refresh=job.status in (QUEUED, RUNNING),
    )


#: Titles of job pages by kind, with the file they work on.
TITLES = {"check": "Checking {file}", "compute": "Computing the projects of {file}"}


def job_title(session: Session, job: models.Job) -> str:
    upload = session.get(models.Upload, job.upload_id) if job.upload_id else None
    file = upload.file_name if upload is not None else "the upload"
    return TITLES.get(job.kind, "Working").format(file=file)


@bp.get("/<int:job_id>/result")
def result(job_id: int) -> Response:
    job = get_job(get_session(), job_id)
    if job.status != DONE or not job.result_url:
        abort(404, description="This job has no result yet.")
    return redirect(job.result_url)


def _pool_open(app: Flask) -> None:
    if executor(app)._shutdown:
        raise RuntimeError("the job pool is shut down")


def init_app(app: Flask, consumer: bool = True) -> None:
    """The app's pool, and the jobs a previous process left unfinished marked failed."""
    app.config.setdefault("JOB_WORKERS", 2)
    app.config.setdefault("JOB_STALE_AFTER", 15 * 60)
    froi = app.extensions.setdefault("froi", {})
    froi["executor"] = ThreadPoolExecutor(
        max_workers=int(app.config["JOB_WORKERS"]), thread_name_prefix="froi-job"
    )
    froi["job_futures"] = set()
    froi["job_lock"] = threading.Lock()
    observe.add_readiness_check(app, "queue", _pool_open)
    db: Database = froi["db"]
    with db.sessions() as session:
        fail_stale_jobs(session, float(app.config["JOB_STALE_AFTER"]))
