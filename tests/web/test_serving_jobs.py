"""A gunicorn worker told to exit (SIGTERM: a restart, a deploy, ``--max-requests``) while
its embedded queue threads are doing a job lets the job finish (``worker_exit`` in
froi/web/serving.py stops the queue gracefully, up to gunicorn's graceful timeout), and
gunicorn starts another worker; the job is done once, by the worker that had it.

The service runs as ``make serve`` runs it (gunicorn with froi.web.serving), on SQLite in
a folder of its own; the test process puts the job on the same embedded queue file, as a
second web process on the machine would.  A job that could not finish in time is the
killed-worker case: tried again by the sweeper, or failed with a message (tests of the
lease in test_queue.py and test_queue_redis.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from bench.common import free_port, portfolio
from calculator.reference import load_reference
from froi.web import create_app
from froi.web.core.audit import Actor
from froi.web.core.db import Database
from froi.web.core.models import Job, Organisation, Project, Run, Upload, utcnow
from froi.web.uploads import jobs
from froi.web.uploads.work import COMPUTED, COMPUTING, check_upload, store_upload
from froi.workbook.template import write_input_workbook

from .job_helpers import job_row

ROOT = Path(__file__).resolve().parents[2]
#: Ports of these tests.
PORTS = range(18450, 18500)
PROJECTS = 400


def until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.05)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """``make serve``'s gunicorn with one worker process on a fresh SQLite folder."""
    port = free_port(PORTS)
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "FROI_JOB_WORKERS": "1",
        "FROI_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'froi.sqlite'}",
        "FROI_SECRET_KEY": "test",
        "FROI_RESULTS_DIR": str(tmp_path / "results"),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [str(gunicorn), "--config", "python:froi.web.serving", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/readyz"

        def ready() -> bool:
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    return bool(response.status == 200)
            except OSError:
                return False

        until(ready, 60, "gunicorn ready")
        yield server, env
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def beside(env: dict[str, str]) -> Flask:
    """The app as a second web process on the machine: the same database and queue file,
    no queue workers of its own."""
    return create_app(
        {
            "DATABASE_URL": env["DATABASE_URL"],
            "SECRET_KEY": "test",
            "RESULTS_DIR": env["FROI_RESULTS_DIR"],
            "LOG_FORMAT": "",
        },
        instance_path=env["FROI_INSTANCE_PATH"],
        queue_consumer=False,
    )


def test_a_gunicorn_worker_told_to_exit_finishes_its_job(
    served: tuple[subprocess.Popen[str], dict[str, str]], tmp_path: Path
) -> None:
    server, env = served
    reference = load_reference()
    workbook = tmp_path / f"portfolio_{PROJECTS}.xlsx"
    write_input_workbook(portfolio(reference, PROJECTS, 20, 5), workbook, reference)
    app = beside(env)
    db: Database = app.extensions["froi"]["db"]
    with app.app_context(), db.sessions() as session:
        org = session.scalars(select(Organisation).order_by(Organisation.id)).first()
        assert org is not None
        upload = store_upload(session, org.id, workbook.name, workbook.read_bytes(), "test")
        session.commit()
        check_upload(session, upload)
        assert upload.status == "checked", upload.report
        upload.status = COMPUTING
        job = Job(organisation_id=org.id, kind="compute", upload_id=upload.id)
        actor = Actor(None, "graceful@la.example", org.id)
        jobs.start(session, job, rule="suffix", actor=asdict(actor), result_url="/batch/")
        job_id, upload_id = job.id, upload.id
    until(lambda: job_row(app, job_id).stage.startswith("Computing"), 60, "the job computing")
    running = job_row(app, job_id)
    assert running.status == "running"
    pid = int(running.worker.split(":")[1])
    assert pid != server.pid  # gunicorn's worker process, not its master
    signalled = utcnow()
    os.kill(pid, signal.SIGTERM)  # gunicorn: this worker exits gracefully
    until(lambda: job_row(app, job_id).status != "running", 60, "the job ended")

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    until(gone, 60, "the worker exited")
    done = job_row(app, job_id)
    assert (done.status, done.attempts, done.worker) == ("done", 1, running.worker), done.error
    assert done.finished_at is not None and done.finished_at > signalled  # after the signal
    with db.sessions() as session:
        assert session.get(Upload, upload_id).status == COMPUTED  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(Run)) == 1
        assert session.scalar(select(func.count()).select_from(Project)) == PROJECTS
    # the worker's helper process wrote the results workbook before the worker exited
    with db.sessions() as session:
        run_id = session.scalars(select(Run.id)).one()
    kept = [p.name for p in Path(env["FROI_RESULTS_DIR"]).iterdir()]
    assert len(kept) == 1 and kept[0].startswith(f"run-{run_id}-"), kept
    log = (tmp_path / "gunicorn.log").read_text()
    assert f"Worker exiting (pid: {pid})" in log
    # gunicorn started another worker, which answers
    url = f"http://127.0.0.1:{env['PORT']}/readyz"
    until(lambda: _status(url) == 200, 60, "a new worker answering")
    assert server.poll() is None
    db.engine.dispose()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except OSError:
        return 0
