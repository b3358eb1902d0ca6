"""The job queue on the embedded default (huey on SQLite, workers in the web process) and
the lease on each job row: claim, fenced save, sweeper, nothing saved twice."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from froi.web.core import queue
from froi.web.core.db import Database, get_session
from froi.web.core.models import AuditEvent, Job, Project, Run, Upload, utcnow
from froi.web.uploads import jobs

from .conftest import SAMPLES, first_organisation
from .job_helpers import job_row
from .pages import page
from .test_batch import PORTFOLIO, confirm, count, upload, upload_and_confirm


def _job(app: Flask, **values: object) -> int:
    with app.app_context():
        session = get_session()
        job = Job(organisation_id=first_organisation(session).id, kind="check", **values)
        session.add(job)
        session.commit()
        return job.id


def test_the_embedded_queue_is_huey_on_sqlite_in_the_instance_folder(app: Flask) -> None:
    huey = queue.huey_of(app)
    assert type(huey).__name__ == "SqliteHuey"
    assert huey.storage.filename == f"{app.instance_path}/queue.sqlite"
    assert queue.embedded(app)
    # tasks of one name in every process: a web process and make worker agree
    names = {key.removeprefix("froi.web.uploads.jobs.") for key in huey._registry._registry}
    assert {"froi.run_job", "froi.after", "froi.sweep"} <= names


def test_background_jobs_go_through_the_queue_once_each(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A confirm in the background: one task, one claim, one run; the same task
    delivered again (as a queue may) finds the job done and saves nothing."""
    app.config["BATCH_BACKGROUND_ABOVE_PROJECTS"] = 0
    checked = upload(client, PORTFOLIO)
    job_url = confirm(client, checked.headers["Location"]).headers["Location"]
    job_id = int(job_url.rsplit("/", 1)[1])
    jobs.wait_for_jobs(app, timeout=120)
    job = job_row(app, job_id)
    assert (job.status, job.attempts, job.lease_until) == ("done", 1, None)
    assert job.params["rule"] == "suffix" and job.params["actor"]["email"]
    assert re.fullmatch(r".+:\d+:[0-9a-f]{8}:[0-9a-f]{8}", job.worker)  # host:pid:boot:claim
    jobs._send(app, job_id)  # delivered twice
    jobs.wait_for_jobs(app, timeout=60)
    assert job_row(app, job_id).attempts == 1  # not claimed again
    assert count(app, Run) == 1 and count(app, Project) == 50


def _claimed(app: Flask, job_id: int, lease: float = 60) -> str:
    db: Database = app.extensions["froi"]["db"]
    claim = jobs.claim(db.sessions, job_id, lease)
    assert claim is not None
    return claim


def test_a_job_is_claimed_by_one_worker_only(app: Flask) -> None:
    job_id = _job(app, status="queued")
    first = _claimed(app, job_id)
    db: Database = app.extensions["froi"]["db"]
    assert jobs.claim(db.sessions, job_id, 60) is None
    job = job_row(app, job_id)
    assert (job.status, job.worker, job.attempts) == ("running", first, 1)
    assert job.lease_until is not None and job.lease_until > utcnow() + timedelta(seconds=50)


def test_a_worker_whose_lease_went_to_another_saves_nothing(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fence: a slow worker's commit after its lease lapsed and the job was claimed
    again is refused in its own transaction; the outcome is the new claim's to record."""
    sent: list[int] = []
    monkeypatch.setattr(jobs, "_send", lambda _app, job_id: sent.append(job_id))
    job_id = _job(app, status="queued")
    db: Database = app.extensions["froi"]["db"]
    slow = _claimed(app, job_id, lease=60)
    session = db.sessions()
    jobs._fence(session, job_id, slow, 60)
    org = first_organisation(session).id
    session.add(Project(organisation_id=org, project_ref="SLOW", doc={}))  # not yet flushed
    # its lease lapses (a long pause), the sweeper queues the job again, another claims it
    with db.sessions() as other:
        job = other.get(Job, job_id)
        assert job is not None
        job.lease_until = utcnow() - timedelta(seconds=1)
        other.commit()
    swept = jobs.sweep(app)
    assert swept.retried == [job_id] and sent == [job_id]
    assert job_row(app, job_id).stage == "Waiting to try again (attempt 2 of 3)"
    fresh = _claimed(app, job_id)
    with pytest.raises(jobs.LeaseLost):
        session.commit()
    session.rollback()
    session.close()
    assert count(app, Project) == 0
    # nor can the slow worker report progress or record an outcome
    with pytest.raises(jobs.LeaseLost):
        jobs.Progress(job_id, db.sessions, slow, 60)("Still going", 1, 2)
    jobs._finish(db.sessions, job_id, slow, status="done", result_url="/slow")
    job = job_row(app, job_id)
    assert (job.status, job.worker, job.attempts, job.result_url) == ("running", fresh, 2, "")
    jobs.Progress(job_id, db.sessions, fresh, 60)("Checking", 1, 2)
    jobs._finish(db.sessions, job_id, fresh, status="done", result_url="/fresh")
    job = job_row(app, job_id)
    assert (job.status, job.stage, job.done, job.result_url) == ("done", "Checking", 1, "/fresh")


def test_the_sweeper_retries_up_to_the_limit_then_fails_with_a_message(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[int] = []
    monkeypatch.setattr(jobs, "_send", lambda _app, job_id: sent.append(job_id))
    now = utcnow()
    dead = "localhost-not-this:1:x"  # another machine: only its lease can tell
    gone_here = f"{jobs.socket.gethostname()}:{2**22 + 12345}:old:c"  # a pid that is not
    lapsed = _job(app, status="running", worker=dead, attempts=1, lease_until=now - timedelta(1))
    ended = _job(
        app, status="running", worker=gone_here, attempts=2, lease_until=now + timedelta(1)
    )
    spent = _job(app, status="running", worker=dead, attempts=3, lease_until=now - timedelta(1))
    alive = _job(app, status="running", worker=f"{jobs.worker_name()}:c", attempts=1,
                 lease_until=now + timedelta(minutes=1))  # fmt: skip
    lost = _job(app, status="queued", heartbeat=now - timedelta(hours=1))
    waiting = _job(app, status="queued", heartbeat=now)
    old = _job(app, status="running", worker=dead, heartbeat=now - timedelta(hours=1))
    with app.app_context():
        spent_upload = Upload(
            organisation_id=first_organisation(get_session()).id, file_name="f.xlsx",
            sha256="x", size=1, content=b"x", user_name="u", status="computing", report={},
        )  # fmt: skip
        get_session().add(spent_upload)
        get_session().commit()
        get_session().get(Job, spent).upload_id = spent_upload.id  # type: ignore[union-attr]
        get_session().commit()
    swept = jobs.sweep(app)
    assert sorted(swept.retried) == sorted([lapsed, ended, old])
    assert swept.failed == [spent] and swept.resent == [lost]
    assert sorted(sent) == sorted([lapsed, ended, old, lost])
    assert [job_row(app, i).status for i in (lapsed, ended, old, lost, waiting, alive)] == [
        "queued", "queued", "queued", "queued", "queued", "running",
    ]  # fmt: skip
    failed = job_row(app, spent)
    assert failed.status == "failed" and failed.finished_at is not None
    assert failed.error == jobs.interrupted(3, spent)
    assert "Nothing was saved" in failed.error
    with app.app_context():  # a compute given up on saved nothing: it can be confirmed again
        assert get_session().get(Upload, spent_upload.id).status == "checked"  # type: ignore[union-attr]
    # a second sweep finds nothing more to do
    again = jobs.sweep(app)
    assert (again.retried, again.failed, again.resent) == ([], [], [])


def test_a_failed_job_page_says_why_and_the_queue_is_in_readyz(
    app: Flask, client: FlaskClient
) -> None:
    dead = "localhost-not-this:1:x"
    spent = _job(
        app, status="running", worker=dead, attempts=3, lease_until=utcnow() - timedelta(1)
    )
    shown = client.get(f"/jobs/{spent}").get_data(as_text=True)  # the page sweeps
    assert "interrupted (the service was restarted or a worker stopped) 3 times" in shown
    assert job_row(app, spent).status == "failed"
    assert client.get("/readyz").get_json()["checked"] == ["database", "queue"]


def test_readyz_is_503_while_the_queue_is_unreachable(app: Flask) -> None:
    good = app.extensions["froi"]["huey"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    app.extensions["froi"]["huey"] = queue.make_huey(app)
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["failed"] == {"queue": "unreachable"}
    finally:
        app.config["REDIS_URL"] = None
        app.extensions["froi"]["huey"] = good
    assert app.test_client().get("/readyz").status_code == 200


def test_workers_start_only_when_asked(app: Flask) -> None:
    """A process that only prepares the database (gunicorn's master) runs no workers."""
    from froi.web import create_app

    quiet = create_app(
        {**app.config, "TESTING": False, "LOG_FORMAT": ""},
        instance_path=app.instance_path,
        queue_consumer=False,
    )
    try:
        assert "consumer" not in quiet.extensions["froi"]
    finally:
        quiet.extensions["froi"]["db"].engine.dispose()
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Job)) == 0


def test_a_large_re_run_goes_through_the_queue_as_the_person_who_asked(
    app: Flask, client: FlaskClient
) -> None:
    upload_and_confirm(client, SAMPLES / "edge_of_care_appraisal.xlsx")
    with app.app_context():
        original = get_session().scalars(select(Run)).one()
        original_id = original.id
    app.config["BATCH_BACKGROUND_ABOVE_PROJECTS"] = 0  # any run is "large"
    for action, current in (("rerun", False), ("rerun-current", True)):
        form = page(client.get(f"/runs/{original_id}")).hidden()
        started = client.post(f"/runs/{original_id}/{action}", data=form)
        assert re.fullmatch(r"/jobs/\d+", started.headers["Location"]), action
        job_id = int(started.headers["Location"].rsplit("/", 1)[1])
        shown = page(client.get(started.headers["Location"]))
        assert shown.h1 == [f"Re-running run {original_id}"] or "/runs/" in shown.text
        jobs.wait_for_jobs(app, timeout=120)
        job = job_row(app, job_id)
        assert (job.status, job.params["current"], job.attempts) == ("done", current, 1)
        done = client.get(f"/jobs/{job_id}")
        assert done.headers["Location"] == f"/runs/{job.run_id}"
        with app.app_context():
            again = get_session().get(Run, job.run_id)
            assert again is not None
            assert (again.rerun_of_id, again.reproduced) == (original_id, True)
            assert again.user_name == "analyst@la.example"  # who asked, not the worker
            event = (
                get_session()
                .scalars(
                    select(AuditEvent).where(
                        AuditEvent.action == "run.rerun", AuditEvent.object_id == again.id
                    )
                )
                .one()
            )
            assert event.user_email == "analyst@la.example"
        jobs._send(app, job_id)  # delivered again: nothing recorded twice
        jobs.wait_for_jobs(app, timeout=60)
    assert count(app, Run) == 3


def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.05)


@contextmanager
def unreachable_queue(app: Flask) -> Iterator[None]:
    """Inside, ``app``'s queue is Redis on a closed port, with the service's tasks (as
    with ``REDIS_URL`` pointing at a Redis that is down); after, its own queue again."""
    froi = app.extensions["froi"]
    good, tasks, url = froi["huey"], froi["tasks"], app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    froi["huey"] = queue.make_huey(app)
    jobs._register_tasks(app)
    app.config["REDIS_URL"] = url
    try:
        with pytest.raises(redis.exceptions.ConnectionError):
            queue.reachable(app)
        yield
    finally:
        froi["huey"], froi["tasks"] = good, tasks


def test_a_job_started_while_the_queue_is_unreachable_is_sent_when_it_returns(
    app: Flask, client: FlaskClient
) -> None:
    """The queue cannot be reached (a Redis on a closed port): the person's request still
    succeeds, the job is recorded as unsent and its page says it will start when the queue
    returns; once the queue answers, this process sends it within JOB_RESEND_INTERVAL (not
    after JOB_STALE_AFTER) and it runs once, however often it is sent."""
    upload_and_confirm(client, SAMPLES / "edge_of_care_appraisal.xlsx")
    app.config.update(JOB_RESEND_INTERVAL=0.2, JOB_STALE_AFTER=3600)
    jobs.ensure_workers(app)  # running on the good queue, as outside tests
    with unreachable_queue(app):
        token = page(client.get("/portfolio/")).hidden()["csrf_token"]
        started = client.post("/portfolio/export", data={"csrf_token": token})
        assert started.status_code == 302  # the request succeeds
        job_id = int(started.headers["Location"].rsplit("/", 1)[1])
        job = job_row(app, job_id)
        assert (job.status, job.unsent, job.attempts) == ("queued", True, 0)
        shown = page(client.get(started.headers["Location"]))  # the page sweeps: still down
        assert "Queued: the job queue cannot be reached at the moment" in shown.text
        assert "It will start by itself when the queue returns" in shown.text
        assert job_row(app, job_id).unsent
        time.sleep(0.5)  # the resender keeps looking; the queue is still down
        assert (job_row(app, job_id).status, job_row(app, job_id).unsent) == ("queued", True)
    back = time.monotonic()
    _until(lambda: job_row(app, job_id).status == "done", 60, "the unsent job done")
    assert time.monotonic() - back < 30
    job = job_row(app, job_id)
    assert (job.unsent, job.attempts) == (False, 1)
    assert "cannot be reached" not in page(client.get(f"/jobs/{job_id}")).text
    # sent again (a second process's resender, the sweeper): claimed once, run once
    jobs._send(app, job_id)
    assert jobs.resend_unsent(app) == []
    jobs.wait_for_jobs(app, timeout=60)
    assert job_row(app, job_id).attempts == 1
    with app.app_context():
        exports = get_session().scalar(
            select(func.count()).select_from(Run).where(Run.label.like("Portfolio export%"))
        )
    assert exports == 1


def test_an_unsent_job_is_taken_once_and_marked_again_if_the_send_fails(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resending takes each job by moving its last try on condition it is as read, so two
    resenders send it once; a send that fails leaves it marked; a finished job is not sent."""
    job_id = _job(app, status="queued", unsent=True)
    done = _job(app, status="done", unsent=True)
    sent: list[int] = []
    down = True

    def enqueue(_app: Flask, _task: object, *args: object) -> None:
        if down:
            raise ConnectionError("the queue is down")
        assert job_row(app, int(args[0])).unsent  # type: ignore[call-overload]
        sent.append(int(args[0]))  # type: ignore[call-overload]

    monkeypatch.setattr(jobs, "_enqueue", enqueue)
    assert jobs.resend_unsent(app, due=0) == [] and job_row(app, job_id).unsent  # still down
    down = False
    assert (jobs.resend_unsent(app, due=0), jobs.resend_unsent(app, due=0)) == ([job_id], [])
    assert sent == [job_id]
    assert not job_row(app, job_id).unsent and job_row(app, done).unsent
    assert jobs.sweep(app).unsent == []


def test_the_unsent_mark_is_cleared_only_after_the_send_succeeded(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed while sending (after taking the job, before the queue has it) leaves
    the job marked unsent, so the next resend sends it (not the 15-minute stale check)."""
    job_id = _job(app, status="queued", unsent=True)

    def killed(_app: Flask, _task: object, *args: object) -> None:
        raise KeyboardInterrupt  # the process dies mid-send

    monkeypatch.setattr(jobs, "_enqueue", killed)
    with pytest.raises(KeyboardInterrupt):
        jobs.resend_unsent(app, due=0)
    assert job_row(app, job_id).unsent  # still marked: another resend will send it
    sent: list[int] = []
    monkeypatch.setattr(jobs, "_enqueue", lambda _a, _t, *args: sent.append(int(args[0])))
    assert jobs.resend_unsent(app, due=0) == [job_id] and sent == [job_id]
    assert not job_row(app, job_id).unsent


def test_while_the_queue_is_down_a_job_page_tries_it_at_most_once_an_interval(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Viewing a queued job's page while the queue is down does not try the queue (up to
    its connect timeout) and write the row on every view: only when the job was last
    tried more than JOB_RESEND_INTERVAL ago."""
    app.config["JOB_RESEND_INTERVAL"] = 60
    tries: list[int] = []

    def down(_app: Flask, _task: object, *args: object) -> None:
        tries.append(int(args[0]))  # type: ignore[call-overload]
        raise ConnectionError("the queue is down")

    monkeypatch.setattr(jobs, "_enqueue", down)
    token = page(client.get("/portfolio/")).hidden()["csrf_token"]
    started = client.post("/portfolio/export", data={"csrf_token": token})
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    assert tries == [job_id] and job_row(app, job_id).unsent  # the start's own send
    tried = job_row(app, job_id).heartbeat
    for _ in range(3):
        shown = page(client.get(f"/jobs/{job_id}"))
        assert "Queued: the job queue cannot be reached at the moment" in shown.text
    assert tries == [job_id] and job_row(app, job_id).heartbeat == tried  # no try, no write
    with app.app_context():
        session = get_session()
        job = session.get(Job, job_id)
        assert job is not None and job.heartbeat is not None
        job.heartbeat = job.heartbeat - timedelta(seconds=61)
        session.commit()
    client.get(f"/jobs/{job_id}")
    client.get(f"/jobs/{job_id}")
    assert tries == [job_id, job_id] and job_row(app, job_id).unsent  # one try per interval


def test_the_same_job_twice_at_once_is_started_once(
    app: Flask,
    client: FlaskClient,
    client_as: Callable[..., FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two analysts (or a double click) asking for the same export at the same moment: one
    job is started and both are shown it, with a message; a different export is a job of
    its own, and once the job has finished the same export can be started again."""
    sent: list[int] = []
    monkeypatch.setattr(jobs, "_enqueue", lambda _a, _t, *args: sent.append(int(args[0])))
    record = jobs._record

    def slow_record(*args: object, **kwargs: object) -> None:
        time.sleep(0.3)  # between finding no job and recording one: the race's window
        record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jobs, "_record", slow_record)
    other = client_as("analyst", email="second.analyst@la.example")
    token = page(client.get("/portfolio/")).hidden()["csrf_token"]
    other_token = page(other.get("/portfolio/")).hidden()["csrf_token"]
    answers: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def export(name: str, who: FlaskClient, csrf: str) -> None:
        barrier.wait()
        answers[name] = who.post(
            "/portfolio/export", data={"csrf_token": csrf, "mode": "comparison"}
        ).headers["Location"]

    threads = [
        threading.Thread(target=export, args=("first", client, token)),
        threading.Thread(target=export, args=("second", other, other_token)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers["first"] == answers["second"]
    job_id = int(answers["first"].rsplit("/", 1)[1])
    with app.app_context():
        assert get_session().scalars(select(Job.id)).all() == [job_id]
    assert sent == [job_id]
    # asked again: its page, saying so
    again = client.post(
        "/portfolio/export",
        data={"csrf_token": token, "mode": "comparison"},
        follow_redirects=True,
    )
    text = again.get_data(as_text=True)
    assert "The same export (these projects, on this basis) is already running: here it is" in text
    assert "Exporting the portfolio as the standard workbook" in text
    # other settings: a job of its own
    different = client.post("/portfolio/export", data={"csrf_token": token, "mode": "appraisal"})
    assert different.headers["Location"] != answers["first"]
    # finished: the same settings start a new job
    with app.app_context():
        session = get_session()
        job = session.get(Job, job_id)
        assert job is not None
        job.status = "done"
        session.commit()
    third = client.post("/portfolio/export", data={"csrf_token": token, "mode": "comparison"})
    assert third.headers["Location"] not in (answers["first"], different.headers["Location"])


def test_each_job_gives_its_memory_back_when_it_ends(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task that runs a job calls release_memory when the job ends, done or failed
    (tests/test_memory_release.py shows what that gives back)."""
    released: list[int] = []
    monkeypatch.setattr(jobs, "release_memory", lambda: released.append(1) or True)
    upload_and_confirm(client, SAMPLES / "edge_of_care_appraisal.xlsx")
    jobs.wait_for_jobs(app, timeout=120)
    # its results workbook was written by a helper process, whose memory ends with it
    assert released == []
    token = page(client.get("/portfolio/")).hidden()["csrf_token"]
    first = client.post("/portfolio/export", data={"csrf_token": token})
    jobs.wait_for_jobs(app, timeout=120)
    assert job_row(app, int(first.headers["Location"].rsplit("/", 1)[1])).status == "done"
    assert released == [1]
    failing = _job(app, status="queued", params={"result_url": "/batch/"})  # no upload
    jobs._send(app, failing)
    jobs.wait_for_jobs(app, timeout=60)
    assert job_row(app, failing).status == "failed" and released == [1, 1]
