"""Background jobs: long work put on the task queue, with real progress and a lease.

A request that would take too long (checking or computing a large workbook) creates a
:class:`~froi.web.core.models.Job` row naming the *kind* of work and its parameters,
commits it, and puts one huey task on the queue (:mod:`froi.web.core.queue`): "run job
42".  The request returns at once with a link to the job's page, which shows
``<progress>`` and the stage in words until the job is done or has failed.  The same
task runs in the web process's own worker threads on the embedded default and in
``make worker`` processes when ``REDIS_URL`` is set: one code path.

**The row is the lease.**  A queue hands a task to a worker; it cannot tell whether the
worker finished.  So:

- *Claim.*  A worker starts a job only by ``UPDATE job SET status='running',
  worker=<its claim>, attempts=attempts+1, lease_until=now+JOB_LEASE WHERE id=:id AND
  status='queued'``: of two deliveries of one task, one claims it and the other finds
  nothing to do.
- *Heartbeat.*  While it works, a thread renews ``lease_until`` every third of
  ``JOB_LEASE`` (only while ``worker`` is still its claim); progress reports renew it too.
- *Fenced save.*  Every commit the work makes first renews the lease in the same
  transaction, conditional on the claim: a worker whose lease lapsed and was given to
  another can no longer save anything (its commit is refused and rolled back), and the
  job is marked done or failed only by the claim that holds it.  Each kind of work also
  starts by looking at what is already saved (an upload already computed is not computed
  again), so a worker killed between saving and marking the job done leaves nothing to
  save twice.
- *Sweeper.*  A periodic task (every minute), each worker's start and each view of a job
  page look for running jobs whose lease has lapsed (or whose process on this machine
  has certainly ended): each is queued again, up to ``JOB_MAX_ATTEMPTS`` claims, and
  after that marked failed with a message.  A queued job whose task went missing (the
  queue was emptied) is sent again after ``JOB_STALE_AFTER`` seconds.
- *Unsent.*  A job whose task could not be put on the queue (Redis unreachable) is
  recorded all the same, marked ``unsent``, and its page says it will start when the
  queue returns; it is sent as soon as anyone reaches the queue again (this process
  every ``JOB_RESEND_INTERVAL`` seconds, the next job started, the sweeper, a view of its
  page), at most once per ``JOB_RESEND_INTERVAL`` by the sweeper and page views (so
  while the queue is down a page view does not wait for it), and its mark is cleared
  only after a send succeeded.  A job sent twice is claimed once.
- *Once.*  A job started with the same settings as a queued or running one of its
  organisation and kind (a double click, two analysts) is not started:
  :func:`start_once` gives the one under way, so no run is computed and recorded twice.

So a worker killed mid-job leaves its job tried again safely, or failed with a message;
never lost, never saved twice.

Each job runs in an app context with **its own database session** (the work's changes
commit together or not at all); progress is written through short sessions of its own so
a page polling the job sees it while the work is still uncommitted.  Work that only makes
something ready sooner (a results workbook to cache) is a plain task (:func:`after`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, abort, current_app, redirect, render_template
from huey import crontab
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from froi.memory import release_memory

from ..accounts.access import owned
from ..core import audit, failures, models, observe, offload, queue, retention, settings
from ..core.db import Database, get_session
from ..core.formatting import date_time

log = logging.getLogger(__name__)
bp = Blueprint("jobs", __name__, url_prefix="/jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: What a person is told about a job whose workers kept stopping.
INTERRUPTED = (
    "The work was interrupted (the service was restarted or a worker stopped) {times}, "
    "so it did not finish. Nothing was saved. Upload the workbook again; if it happens "
    "again, tell the service team (job {id})."
)
#: What a person is told when a job fails for a reason that is not theirs to fix.
UNEXPECTED = (
    "Sorry, something went wrong on our side and the work did not finish. Nothing was "
    "saved. Try again; if it happens again, tell the service team (job {id})."
)


def interrupted(attempts: int, job_id: int) -> str:
    """The message of a job given up on after ``attempts`` interrupted claims."""
    times = {1: "once", 2: "twice"}.get(attempts, f"{attempts} times")
    return INTERRUPTED.format(times=times, id=job_id)


#: ... and when it failed because the service's storage did (a full disk, say).
STORAGE = (
    "The work did not finish: {title} ({kind}). Nothing was saved. Try again in a few "
    "minutes; if it keeps happening, tell whoever runs the service (job {id})."
)


class JobFailed(Exception):
    """A job's work failed with a message meant for the person who started it."""


class LeaseLost(Exception):
    """This worker's claim on a job lapsed and went to another: it must stop, saving nothing."""


#: Tells this process from an earlier one that had the same process id.
BOOT = secrets.token_hex(4)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{BOOT}"


def _settings(app: Flask) -> tuple[float, int, float]:
    """``JOB_LEASE`` seconds, ``JOB_MAX_ATTEMPTS``, ``JOB_STALE_AFTER`` seconds."""
    return (
        float(app.config["JOB_LEASE"]),
        int(app.config["JOB_MAX_ATTEMPTS"]),
        float(app.config["JOB_STALE_AFTER"]),
    )


def _held(job_id: int, claim: str) -> Any:
    """The condition that ``claim`` still holds job ``job_id``."""
    return (models.Job.id == job_id) & (models.Job.worker == claim) & (models.Job.status == RUNNING)


def _renew(session: Session, job_id: int, claim: str, lease: float, **values: Any) -> bool:
    """Renew the lease (and set ``values``) if ``claim`` still holds it; whether it did."""
    now = models.utcnow()
    return _conditional(
        session,
        (_held(job_id, claim),),
        heartbeat=now,
        lease_until=now + timedelta(seconds=lease),
        **values,
    )


@dataclass
class Progress:
    """What a job's work calls to report its stage and how far it has got.

    Each report renews the lease; a report that finds the lease gone raises
    :class:`LeaseLost`, so the work stops at once.  A report that cannot be written for
    another reason (the database busy) never stops the work.
    """

    job_id: int
    sessions: sessionmaker[Session]
    claim: str = ""
    lease: float = 300.0
    #: the reports in order, so tests and logs can see the stages
    stages: list[str] = field(default_factory=list)

    def __call__(self, stage: str, done: int = 0, total: int = 0) -> None:
        self.stages.append(stage)
        try:
            with self.sessions() as session:
                held = _renew(
                    session,
                    self.job_id,
                    self.claim,
                    self.lease,
                    stage=stage[:300],
                    done=done,
                    total=total,
                )
                session.commit()
        except SQLAlchemyError:
            log.warning("job %s: progress '%s' not recorded", self.job_id, stage, exc_info=True)
            return
        if not held:
            raise LeaseLost(f"job {self.job_id}: the lease of {self.claim} has gone")


#: The work of a kind of job: given its own session, the job and a progress reporter, it
#: does the work, commits it, and returns the address of the page that shows the result.
Work = Callable[[Session, models.Job, Progress], str]
#: Every kind of job, by name (the feature that does the work registers it with :func:`kind`).
KINDS: dict[str, Work] = {}
#: Tasks with no job page (:func:`after`), by name.
AFTER: dict[str, Callable[..., None]] = {}


def kind(name: str) -> Callable[[Work], Work]:
    """Register ``work`` as the kind of job called ``name``."""

    def register(work: Work) -> Work:
        KINDS[name] = work
        return work

    return register


def after_task(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a task with no job page, run by :func:`after`."""

    def register(task: Callable[..., None]) -> Callable[..., None]:
        AFTER[name] = task
        return task

    return register


def _app() -> Flask:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app


def start(session: Session, job: models.Job, **params: Any) -> models.Job:
    """Record ``job`` with ``params`` (committing the request's session) and queue it.

    ``job.kind`` must be a registered kind; ``params`` must be JSON.
    """
    if job.kind not in KINDS:
        raise ValueError(f"no kind of job is called {job.kind!r}")
    _record(session, job, params)
    _queue_new(job.id)
    return job


def start_once(
    session: Session, job: models.Job, same: dict[str, Any], **params: Any
) -> tuple[models.Job, bool]:
    """Like :func:`start`, unless a queued or running job of the same organisation and kind
    was started with the same settings ``same`` (JSON): then that job, and False.

    Two identical requests at once (a double click, two analysts) must not both start one,
    or two workers would each find no stored run and each record it.  So the check and
    the insert run in one transaction that first locks the organisation's row
    (``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL, which rows referring to the
    organisation do not wait for; on SQLite a write, which takes the database's one
    write lock): a second request waits there until the first has committed its job, and
    then finds it.  Only starting such a job waits on the lock, for milliseconds.  (A
    unique partial index would need a column of the settings' key and a migration; this
    needs neither.)"""
    if job.kind not in KINDS:
        raise ValueError(f"no kind of job is called {job.kind!r}")
    key = json.dumps(same, sort_keys=True, separators=(",", ":"), default=str)
    session.commit()  # the lock is held for this transaction only: begin a fresh one
    _lock_organisation(session, job.organisation_id)
    Job = models.Job
    candidates = session.scalars(
        select(Job)
        .where(
            Job.organisation_id == job.organisation_id,
            Job.kind == job.kind,
            Job.status.in_((QUEUED, RUNNING)),
        )
        .order_by(Job.id)
    ).all()
    for other in candidates:
        if (other.params or {}).get("same") == key:
            session.commit()  # releases the lock
            return other, False
    _record(session, job, {**params, "same": key})
    _queue_new(job.id)
    return job, True


def already(job: models.Job, message: str) -> str:
    """``message`` about a job under way (``{when}`` it was started, by ``{who}``)."""
    return message.format(when=date_time(job.created_at), who=job.user_name)


def _lock_organisation(session: Session, organisation_id: int) -> None:
    """Hold the organisation's row (PostgreSQL) or the write lock (SQLite) until commit."""
    Organisation = models.Organisation
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Organisation.id)
            .where(Organisation.id == organisation_id)
            .with_for_update(key_share=True)
        )
    else:
        session.execute(
            update(Organisation)
            .where(Organisation.id == organisation_id)
            .values(id=Organisation.id)
            .execution_options(synchronize_session=False)
        )


def _record(session: Session, job: models.Job, params: dict[str, Any]) -> None:
    job.status, job.worker, job.params = QUEUED, "", params
    job.heartbeat = models.utcnow()
    session.add(job)
    session.commit()


def _queue_new(job_id: int) -> None:
    app = _app()
    if _send(app, job_id):
        resend_unsent(app, due=0)  # the queue answers: send any job it did not take before


def again(job_id: int, stage: str, params: dict[str, Any] | None = None) -> bool:
    """Queue a finished (done or failed) job again, as a new piece of work (its attempts
    counted from none; with ``params`` instead of its own if given); whether it was (a job
    already queued or running again is left as it is)."""
    app = _app()
    db: Database = app.extensions["froi"]["db"]
    Job = models.Job
    with db.sessions() as session:
        queued = _conditional(
            session,
            (Job.id == job_id, Job.status.in_((DONE, FAILED))),
            status=QUEUED,
            worker="",
            stage=stage[:300],
            done=0,
            total=0,
            error="",
            result_url="",
            attempts=0,
            lease_until=None,
            finished_at=None,
            heartbeat=models.utcnow(),
            **({} if params is None else {"params": params}),
        )
        session.commit()
    if queued:
        _send(app, job_id)
    return queued


def after(name: str, *args: Any) -> None:
    """Run the task ``name`` with ``args`` on the queue, with no job page (work that only
    makes something ready sooner, such as a file a download would otherwise write)."""
    if name not in AFTER:
        raise ValueError(f"no task is called {name!r}")
    app = _app()
    _enqueue(app, app.extensions["froi"]["tasks"]["after"], name, *args)


def _send(app: Flask, job_id: int) -> bool:
    """Put "run job ``job_id``" on the queue; whether it went.

    A queue that cannot be reached (Redis down) leaves the job recorded and queued, marked
    ``unsent``: this process tries again every ``JOB_RESEND_INTERVAL`` seconds
    (:class:`Resender`), and the next job started, the sweeper and a view of the job's
    page each send it too, whichever reaches the queue first (``/readyz`` meanwhile says
    the queue is down).  Sending one job twice is harmless: only one delivery claims it."""
    try:
        _enqueue(app, app.extensions["froi"]["tasks"]["run_job"], job_id)
    except Exception:
        log.error(
            "job %s could not be queued (the queue is unreachable); it will be sent as soon "
            "as the queue answers",
            job_id,
            exc_info=True,
        )
        _set_unsent(app, job_id, (models.Job.status == QUEUED,), True)
        _resend_later(app)
        return False
    return True


def _set_unsent(app: Flask, job_id: int, where: tuple[Any, ...], unsent: bool) -> bool:
    """Mark job ``job_id`` unsent (as of now, the last attempt to send it) or sent, if
    ``where`` still holds; whether it did.  A database that is down too leaves it as it was
    (the sweeper's stale check remains)."""
    db: Database = app.extensions["froi"]["db"]
    values: dict[str, Any] = {"unsent": unsent}
    if unsent:
        values["heartbeat"] = models.utcnow()
    try:
        with db.sessions() as session:
            done = _conditional(session, (models.Job.id == job_id, *where), **values)
            session.commit()
    except SQLAlchemyError:
        log.warning("job %s: could not record whether it was sent", job_id, exc_info=True)
        return False
    return done


def resend_unsent(app: Flask, limit: int = 100, due: float | None = None) -> list[int]:
    """Send the queued jobs whose task could not be sent; the ids sent.

    An unsent job's ``heartbeat`` is when it was last tried: only jobs not tried within
    ``due`` seconds (``JOB_RESEND_INTERVAL`` unless given; the resender, which has just
    seen the queue answer, passes 0) are tried, so while the queue is down a view of a
    job's page neither waits for the queue's connect timeout nor writes anything.  Each
    attempt is taken by moving ``heartbeat`` on condition it is as read, so several
    processes doing this at once try each job once; the mark is cleared only once the
    send succeeded (a process killed in between leaves it marked, and it is sent again:
    the worker's claim runs it once).  A send that fails leaves it marked and stops (the
    queue is still down)."""
    db: Database = app.extensions["froi"]["db"]
    Job = models.Job
    wait = float(app.config["JOB_RESEND_INTERVAL"]) if due is None else due
    now = models.utcnow()
    with db.sessions() as session:
        waiting = session.execute(
            select(Job.id, Job.heartbeat)
            .where(
                Job.unsent.is_(True),
                Job.status == QUEUED,
                (Job.heartbeat.is_(None)) | (Job.heartbeat <= now - timedelta(seconds=wait)),
            )
            .order_by(Job.id)
            .limit(limit)
        ).all()
    sent: list[int] = []
    for job_id, tried in waiting:
        seen = (Job.unsent.is_(True), Job.status == QUEUED)
        last = Job.heartbeat.is_(None) if tried is None else Job.heartbeat == tried
        if not _set_unsent(app, job_id, (*seen, last), True):
            continue  # another process is trying it, or it is no longer queued
        try:
            _enqueue(app, app.extensions["froi"]["tasks"]["run_job"], job_id)
        except Exception:
            log.warning("job %s: the queue is still unreachable", job_id, exc_info=True)
            break
        _set_unsent(app, job_id, seen, False)
        sent.append(job_id)
    if sent:
        log.warning("the queue answers again: sent jobs %s", sent)
    return sent


class Resender(threading.Thread):
    """While jobs of this process wait unsent, looks at the queue every
    ``JOB_RESEND_INTERVAL`` seconds and sends them as soon as it answers; stops when none
    is left, when stopped (:func:`shutdown`) or after ``JOB_STALE_AFTER`` (the sweeper's
    own check remains)."""

    def __init__(self, app: Flask):
        super().__init__(name="froi-resender", daemon=True)
        self.app = app
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = float(self.app.config["JOB_RESEND_INTERVAL"])
        deadline = time.monotonic() + float(self.app.config["JOB_STALE_AFTER"])
        while not self.stopped.wait(interval) and time.monotonic() < deadline:
            try:
                queue.reachable(self.app)
            except Exception:
                continue  # still down
            try:
                resend_unsent(self.app, due=0)
                if not _unsent_count(self.app):
                    return
            except Exception:
                log.warning("sending unsent jobs failed", exc_info=True)


def _unsent_count(app: Flask) -> int:
    db: Database = app.extensions["froi"]["db"]
    with db.sessions() as session:
        left = session.scalar(
            select(func.count())
            .select_from(models.Job)
            .where(models.Job.unsent.is_(True), models.Job.status == QUEUED)
        )
    return int(left or 0)


def _resend_later(app: Flask) -> None:
    """Start this process's :class:`Resender`, unless it is running."""
    froi = app.extensions["froi"]
    with froi["job_lock"]:
        running: Resender | None = froi.get("resender")
        if running is not None and running.is_alive():
            return
        froi["resender"] = Resender(app)
        froi["resender"].start()


def ensure_workers(app: Flask) -> None:
    """Start this process's workers on the embedded queue if they are not running (tests
    start them only when they queue work)."""
    froi = app.extensions["froi"]
    if froi["consumer_allowed"]:
        with froi["job_lock"]:
            if "consumer" not in froi:
                queue.start_consumer(app, int(app.config["JOB_WORKERS"]))


def _enqueue(app: Flask, task: Any, *args: Any) -> None:
    froi = app.extensions["froi"]
    ensure_workers(app)
    message = task.s(*args)
    with froi["job_lock"]:  # counted before it can run (and be counted off)
        froi["job_pending"].add(message.id)
    try:
        queue.huey_of(app).enqueue(message)
    except BaseException:
        _done_with(app, message.id)
        raise
    queue.wake(app)


def _done_with(app: Flask, task_id: str | None) -> None:
    with app.extensions["froi"]["job_lock"]:
        app.extensions["froi"]["job_pending"].discard(task_id)


def claim(sessions: sessionmaker[Session], job_id: int, lease: float) -> str | None:
    """Claim a queued job for this worker; the claim's name, or None if it is not queued."""
    name = f"{worker_name()}:{secrets.token_hex(4)}"
    now = models.utcnow()
    with sessions() as session:
        claimed = _conditional(
            session,
            (models.Job.id == job_id, models.Job.status == QUEUED),
            status=RUNNING,
            worker=name,
            attempts=models.Job.attempts + 1,
            started_at=func.coalesce(models.Job.started_at, now),
            heartbeat=now,
            lease_until=now + timedelta(seconds=lease),
        )
        session.commit()
    return name if claimed else None


def _fence(session: Session, job_id: int, claim: str, lease: float) -> None:
    """Every commit of the work's session first renews the lease, in its transaction:
    a commit by a worker that no longer holds the lease is refused."""

    @event.listens_for(session, "before_commit")
    def fenced(_session: Session) -> None:
        if not _renew(session, job_id, claim, lease):
            raise LeaseLost(f"job {job_id}: the lease of {claim} has gone; nothing saved")


class Heartbeat(threading.Thread):
    """Renews a claim's lease every third of the lease until stopped (or the lease is gone)."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int, claim: str, lease: float):
        super().__init__(name=f"froi-heartbeat-{job_id}", daemon=True)
        self.sessions, self.job_id, self.claim, self.lease = sessions, job_id, claim, lease
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.lease / 3):
            try:
                with self.sessions() as session:
                    held = _renew(session, self.job_id, self.claim, self.lease)
                    session.commit()
            except SQLAlchemyError:
                log.warning("job %s: heartbeat not recorded", self.job_id, exc_info=True)
                continue
            if not held:
                return


def run_job(app: Flask, job_id: int) -> None:
    """The task: claim job ``job_id``, do its work under the lease, record the outcome."""
    db: Database = app.extensions["froi"]["db"]
    lease, _attempts, _stale = _settings(app)
    with app.app_context(), observe.job_context(job_id):
        claimed = claim(db.sessions, job_id, lease)
        if claimed is None:
            log.info("job %s is not queued (done, failed or claimed by another)", job_id)
            return
        heartbeat = Heartbeat(db.sessions, job_id, claimed, lease)
        heartbeat.start()
        progress = Progress(job_id, db.sessions, claimed, lease)
        try:
            with db.sessions() as session:
                _fence(session, job_id, claimed, lease)
                job = session.get(models.Job, job_id)
                if job is None:
                    return
                work = KINDS.get(job.kind)
                if work is None:
                    raise RuntimeError(f"no kind of job is called {job.kind!r}")
                actor = job.params.get("actor")
                with audit.acting_as(audit.Actor(**actor)) if actor else nullcontext():
                    result_url = work(session, job, progress)
        except LeaseLost as lost:
            log.warning("%s", lost)
        except JobFailed as failed:
            _finish(db.sessions, job_id, claimed, status=FAILED, error=str(failed))
        except Exception as error:
            log.exception("job %s failed", job_id)
            _finish(db.sessions, job_id, claimed, status=FAILED, error=_message(error, job_id))
        else:
            _finish(db.sessions, job_id, claimed, status=DONE, stage="Done", result_url=result_url)
        finally:
            heartbeat.stopped.set()


def _message(error: Exception, job_id: int) -> str:
    """What the person is told about a job that failed for a reason not theirs to fix: the
    storage failure it was (a full disk, a database gone), or that something went wrong."""
    failure = failures.classify(error)
    if failure is None:
        return UNEXPECTED.format(id=job_id)
    return STORAGE.format(title=failure.title, kind=failure.kind, id=job_id)


def _finish(sessions: sessionmaker[Session], job_id: int, claim: str, **values: Any) -> None:
    """Record the outcome, only if ``claim`` still holds the job."""
    now = models.utcnow()
    with sessions() as session:
        result = session.execute(
            update(models.Job)
            .where(_held(job_id, claim))
            .values(heartbeat=now, finished_at=now, lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    if getattr(result, "rowcount", 0) != 1:
        log.warning("job %s: outcome of %s not recorded, its lease had gone", job_id, claim)


def _process_gone(worker: str) -> bool:
    """Whether the process named by ``worker`` (host:pid:boot...) has certainly ended."""
    host, pid, boot = ([*worker.split(":"), "", ""])[:3]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's process: only its lease can tell
    if int(pid) == os.getpid():
        return boot != BOOT  # an earlier process that had this process's id
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class Swept:
    """What a sweep did: jobs queued again, failed for good, and queued jobs sent again."""

    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)
    #: queued jobs whose task could not be sent before, sent now
    unsent: list[int] = field(default_factory=list)


def sweep(app: Flask) -> Swept:
    """Queue again (or fail) the running jobs whose lease has lapsed; send again the
    queued jobs whose task went missing.  Every change is conditional on the row being as
    it was read, so sweepers running at once on several machines do each thing once."""
    db: Database = app.extensions["froi"]["db"]
    _lease, max_attempts, stale_after = _settings(app)
    now = models.utcnow()
    swept = Swept()
    with db.sessions() as session:
        unfinished = session.scalars(
            select(models.Job).where(models.Job.status.in_((QUEUED, RUNNING)))
        ).all()
        for job in unfinished:
            seen: tuple[Any, ...] = (models.Job.id == job.id, models.Job.status == job.status)
            if job.status == QUEUED:
                if job.unsent:
                    continue  # sent below, as soon as the queue answers
                last = job.heartbeat or job.created_at
                if last + timedelta(seconds=stale_after) < now:
                    _conditional(session, (*seen, models.Job.heartbeat == last), heartbeat=now)
                    swept.resent.append(job.id)
                continue
            ends = job.lease_until or (job.heartbeat or job.created_at) + timedelta(
                seconds=stale_after
            )
            if ends >= now and not _process_gone(job.worker):
                continue
            seen = (*seen, models.Job.worker == job.worker)
            if job.attempts >= max_attempts:
                message = interrupted(job.attempts, job.id)
                if _conditional(
                    session, seen, status=FAILED, error=message, finished_at=now, lease_until=None
                ):
                    _give_up_upload(session, job)
                    swept.failed.append(job.id)
            elif _conditional(
                session,
                seen,
                status=QUEUED,
                worker="",
                lease_until=None,
                heartbeat=now,
                stage=f"Waiting to try again (attempt {job.attempts + 1} of {max_attempts})",
            ):
                swept.retried.append(job.id)
        session.commit()
    for job_id in swept.retried + swept.resent:
        _send(app, job_id)
    swept.unsent = resend_unsent(app)
    if swept.retried or swept.failed or swept.resent:
        log.warning(
            "sweep: queued again %s, failed %s, sent again %s",
            swept.retried,
            swept.failed,
            swept.resent,
        )
    return swept


def _conditional(session: Session, where: tuple[Any, ...], **values: Any) -> bool:
    """Set ``values`` on the one job ``where`` matches, if it still does; whether it did."""
    result = session.execute(
        update(models.Job)
        .where(*where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _give_up_upload(session: Session, job: models.Job) -> None:
    """The upload of a job given up on: a check leaves it failed (upload it again); a
    compute saved nothing, so it is checked and can be confirmed again."""
    if job.upload_id is None:
        return
    upload = session.get(models.Upload, job.upload_id)
    if upload is not None and upload.status in ("checking", "computing"):
        upload.status = "failed" if upload.status == "checking" else "checked"


def pending_tasks(app: Flask) -> int:
    with app.extensions["froi"]["job_lock"]:
        return len(app.extensions["froi"]["job_pending"])


def wait_for_jobs(app: Flask, timeout: float = 60) -> None:
    """Wait until every task this process queued has run, including those queued by other
    tasks, and the work it gave its helper process (:mod:`..core.offload`) is done (tests,
    and shutting down).  With Redis the tasks run elsewhere: wait until no job is queued
    or running."""
    deadline = time.monotonic() + timeout
    db: Database = app.extensions["froi"]["db"]
    while time.monotonic() < deadline:
        if offload.busy():
            pass
        elif queue.embedded(app):
            if not pending_tasks(app):
                return
        else:
            with db.sessions() as session:
                left = session.scalar(
                    select(func.count())
                    .select_from(models.Job)
                    .where(models.Job.status.in_((QUEUED, RUNNING)))
                )
            if not left:
                return
        time.sleep(0.05)


def shutdown(app: Flask, timeout: float = 60) -> None:
    """Let the jobs under way (and the helper process's work) finish, then stop this
    process's workers."""
    deadline = time.monotonic() + timeout
    resender: Resender | None = app.extensions["froi"].get("resender")
    if resender is not None:
        resender.stopped.set()
    if "consumer" in app.extensions["froi"]:
        wait_for_jobs(app, timeout)
    offload.wait_all(max(0.0, deadline - time.monotonic()))
    queue.stop_consumer(app, timeout)


def get_job(session: Session, job_id: int) -> models.Job:
    return owned(session, models.Job, job_id, "There is no such job.")


@bp.get("/<int:job_id>")
def show(job_id: int) -> str | Response:
    session = get_session()
    job = get_job(session, job_id)
    if job.status in (QUEUED, RUNNING):
        swept = sweep(_app())
        if job.id in swept.retried + swept.failed + swept.unsent:
            session.refresh(job)
    if job.status == DONE and job.result_url and job.kind not in DOWNLOADS:
        return redirect(job.result_url)
    return render_template(
        "jobs/show.html",
        job=job,
        job_title=job_title(session, job),
        refresh=job.status in (QUEUED, RUNNING),
    )


#: Titles of job pages by kind, with the file or run they work on.
TITLES = {
    "check": "Checking {file}",
    "compute": "Computing the projects of {file}",
    "rerun": "Re-running run {run}",
    "portfolio_export": "Exporting the portfolio as the standard workbook",
    "calculate": "Calculating the results of {project}",
}
#: Kinds of job whose result is a file: the done job's page offers the download (a page
#: that answered with a file would leave the person on the progress page).
DOWNLOADS = {"portfolio_export"}


def job_title(session: Session, job: models.Job) -> str:
    upload = session.get(models.Upload, job.upload_id) if job.upload_id else None
    file = upload.file_name if upload is not None else "the upload"
    params = job.params or {}
    run, project = params.get("run_id", ""), "the project"
    if params.get("project_id"):
        found = session.get(models.Project, int(params["project_id"]))
        if found is not None and found.organisation_id == job.organisation_id:
            project = found.project_ref
    return TITLES.get(job.kind, "Working").format(file=file, run=run, project=project)


@bp.get("/<int:job_id>/result")
def result(job_id: int) -> Response:
    job = get_job(get_session(), job_id)
    if job.status != DONE or not job.result_url:
        abort(404, description="This job has no result yet.")
    return redirect(job.result_url)


def _register_tasks(app: Flask) -> None:
    """The queue's tasks, bound to ``app`` (the same names in every process)."""
    huey = queue.huey_of(app)

    def run_job_task(job_id: int, task: Any = None) -> None:
        try:
            run_job(app, job_id)
        finally:
            _done_with(app, getattr(task, "id", None))
            release_memory()  # a large job's peak is not held for the worker's life

    def after_task_(name: str, *args: Any, task: Any = None) -> None:
        try:
            with app.app_context():
                AFTER[name](*args)
        except Exception:
            log.warning("background task %s failed", name, exc_info=True)
        finally:
            _done_with(app, getattr(task, "id", None))
            release_memory()

    def sweep_task() -> None:
        sweep(app)

    def purge_task() -> None:
        retention.purge(app)

    def sweep_on_start() -> None:
        try:
            sweep(app)
        except SQLAlchemyError:
            log.warning("sweep on start failed", exc_info=True)

    app.extensions["froi"]["tasks"] = {
        "run_job": huey.task(name="froi.run_job", context=True)(run_job_task),
        "after": huey.task(name="froi.after", context=True)(after_task_),
        "sweep": huey.periodic_task(crontab(minute="*"), name="froi.sweep")(sweep_task),
        "purge": huey.periodic_task(crontab(minute="17", hour="3"), name="froi.purge")(purge_task),
    }
    huey.on_startup(name="froi.sweep_on_start")(sweep_on_start)


def init_app(app: Flask, consumer: bool = True) -> None:
    """The queue, its tasks and, on the embedded default, this process's workers (with
    ``TESTING``, only once the app first queues something)."""
    app.config.setdefault("JOB_WORKERS", 2)
    settings.flag(app, "RESULTS_WORKBOOK_PROCESS", True)  # result_files.start_writing
    app.config.setdefault("JOB_LEASE", 60)
    app.config.setdefault("JOB_MAX_ATTEMPTS", 3)
    app.config.setdefault("JOB_STALE_AFTER", 15 * 60)
    app.config.setdefault("JOB_RESEND_INTERVAL", 2)
    froi = app.extensions.setdefault("froi", {})
    froi["huey"] = queue.make_huey(app)
    froi["job_pending"] = set()
    froi["job_lock"] = threading.Lock()
    _register_tasks(app)
    observe.add_readiness_check(app, "queue", queue.reachable)
    froi["consumer_allowed"] = consumer and queue.embedded(app)
    if froi["consumer_allowed"] and not app.testing:
        queue.start_consumer(app, int(app.config["JOB_WORKERS"]))
