"""The job queue with ``REDIS_URL``: web processes only queue, ``make worker`` processes
(started here as ``python -m froi.web.worker``, what ``make worker`` runs) do the work,
and a worker SIGKILLed mid-job leaves the job done once on retry, never lost or doubled.

Redis must answer on 127.0.0.1:6379 (``.ci/run`` starts it); without it these tests are
skipped on a workstation and fail under ``CI=true``.  Each test has its own queue name
(huey's key prefix) on its own database number, and removes its keys afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from bench.common import portfolio
from calculator.reference import load_reference
from froi.web import create_app
from froi.web.core import queue
from froi.web.core.db import Database, get_session
from froi.web.core.models import ANALYST, Job, Project, Run, Upload
from froi.web.uploads import jobs
from froi.workbook.template import write_input_workbook

from .conftest import CLEAN_UP, make_user, sign_in
from .job_helpers import job_row
from .test_batch import PORTFOLIO, confirm, upload

ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("FROI_TEST_REDIS", "redis://127.0.0.1:6379/7")
#: The port of the proxy in front of Redis that a test takes down and brings back.
PROXY_PORT = 18431
#: Seconds a claim lasts unless renewed: short, so a killed worker's job is seen quickly.
LEASE = 3


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        reason = f"Redis at {REDIS} is not reachable ({error})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " and CI=true: the Redis tests must run in CI")
        pytest.skip(reason)
    yield REDIS
    client.close()


@pytest.fixture
def redis_app(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    name = f"froi-test-{uuid.uuid4().hex[:10]}"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "QUEUE_NAME": name,
            "JOB_LEASE": LEASE,
            "SECRET_KEY": "test",
            "RESULTS_DIR": str(tmp_path / "results"),
            "PASSWORD_HASHING": "CHEAPEST",
            "BATCH_BACKGROUND_ABOVE_BYTES": 0,
            "BATCH_BACKGROUND_ABOVE_PROJECTS": 0,
        },
        instance_path=str(tmp_path / "instance"),
    )
    yield app
    jobs.shutdown(app)  # stops this process's resender of unsent jobs, if it runs
    huey = queue.huey_of(app)
    huey.storage.flush_all()  # this test's keys only (its queue name)
    db: Database = app.extensions["froi"]["db"]
    with db.engine.begin() as connection:
        for statement in CLEAN_UP:
            connection.execute(text(statement))
    db.engine.dispose()


Worker = Callable[..., subprocess.Popen[str]]


@pytest.fixture
def start_worker(redis_app: Flask, tmp_path: Path) -> Iterator[Worker]:
    """``start_worker()``: a ``make worker`` process on the app's database and queue."""
    started: list[subprocess.Popen[str]] = []
    logs: list[IO[str]] = []

    def start(**settings: str) -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "DATABASE_URL": str(redis_app.config["DATABASE_URL"]),
            "REDIS_URL": str(redis_app.config["REDIS_URL"]),
            "FROI_QUEUE_NAME": str(redis_app.config["QUEUE_NAME"]),
            "FROI_JOB_LEASE": str(LEASE),
            "FROI_JOB_WORKERS": "1",
            "FROI_SECRET_KEY": "test",
            "FROI_RESULTS_DIR": str(redis_app.config["RESULTS_DIR"]),
            "FROI_INSTANCE_PATH": str(tmp_path / "worker-instance"),
            **settings,
        }
        logs.append(open(tmp_path / f"worker-{len(started)}.log", "w"))  # noqa: SIM115
        worker = subprocess.Popen(
            [sys.executable, "-m", "froi.web.worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=logs[-1],
            text=True,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)  # huey: finish what is under way, then stop
    for worker in started:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    for log in logs:
        log.close()


def test_make_worker_runs_what_these_tests_run() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nworker: $(STAMP)\n", 1)[1].split("\n", 1)[0]
    assert recipe.strip() == "$(BIN)/python -m froi.web.worker"


def signed_in(app: Flask) -> FlaskClient:
    user = make_user(app, ANALYST)
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.05)


def counts(app: Flask) -> tuple[int, int]:
    db: Database = app.extensions["froi"]["db"]
    with db.sessions() as session:
        runs = session.scalar(select(func.count()).select_from(Run))
        projects = session.scalar(select(func.count()).select_from(Project))
    return int(runs or 0), int(projects or 0)


def test_with_redis_the_web_process_queues_and_make_worker_works(
    redis_app: Flask, start_worker: Worker, tmp_path: Path
) -> None:
    huey = queue.huey_of(redis_app)
    assert type(huey).__name__ == "RedisHuey" and not queue.embedded(redis_app)
    assert "consumer" not in redis_app.extensions["froi"]  # the web process works nothing
    client = signed_in(redis_app)
    check_url = upload(client, PORTFOLIO).headers["Location"]
    job_id = int(check_url.rsplit("/", 1)[1])
    assert len(huey) == 1  # waiting in Redis for a worker
    assert job_row(redis_app, job_id).status == "queued"
    start_worker()
    until(lambda: job_row(redis_app, job_id).status == "done", 60, "the check job done")
    checked = client.get(check_url)
    assert checked.status_code == 302 and "/batch/" in checked.headers["Location"]
    compute_url = confirm(client, checked.headers["Location"]).headers["Location"]
    compute_id = int(compute_url.rsplit("/", 1)[1])
    until(lambda: job_row(redis_app, compute_id).status == "done", 120, "the compute job done")
    job = job_row(redis_app, compute_id)
    assert (job.attempts, job.done, job.total) == (1, 50, 50)
    assert client.get(compute_url).headers["Location"].endswith("/results")
    assert counts(redis_app) == (1, 50)
    # the worker also wrote the results workbook (a task with no job page)
    until(lambda: any((tmp_path / "results").glob("run-*.xlsx")), 60, "the workbook cached")
    assert client.get("/readyz").get_json()["checked"] == ["database", "queue"]


@pytest.fixture(scope="module")
def big_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough projects that computing them takes a few seconds: time to kill a worker."""
    reference = load_reference()
    path = tmp_path_factory.mktemp("kill") / "portfolio_300.xlsx"
    write_input_workbook(portfolio(reference, 300, 20, 5), path, reference)
    return path


def test_a_worker_killed_mid_job_leaves_it_done_once_on_retry(
    redis_app: Flask, start_worker: Worker, big_workbook: Path
) -> None:
    client = signed_in(redis_app)
    redis_app.config["BATCH_BACKGROUND_ABOVE_BYTES"] = 10**9  # checked at once, computed later
    check_url = upload(client, big_workbook).headers["Location"]
    assert "/batch/" in check_url
    compute_url = confirm(client, check_url).headers["Location"]
    job_id = int(compute_url.rsplit("/", 1)[1])
    worker = start_worker()
    until(
        lambda: job_row(redis_app, job_id).stage.startswith("Computing"),
        60,
        "the worker computing",
    )
    first = job_row(redis_app, job_id)
    assert (first.status, first.attempts) == ("running", 1)
    pid = int(first.worker.split(":")[1])
    assert pid != worker.pid  # a worker process forked by the consumer
    os.kill(pid, signal.SIGKILL)
    # the consumer replaces its worker; the sweeper (on that worker's start, every
    # minute, and on each view of the job's page) sees the claim's process gone and
    # queues the job again; the new worker does it, once
    until(lambda: job_row(redis_app, job_id).status == "done", 120, "the job done on retry")
    done = job_row(redis_app, job_id)
    assert done.attempts == 2 and done.worker != first.worker
    assert counts(redis_app) == (1, 300)  # one run, each project once
    with redis_app.app_context():
        db: Database = redis_app.extensions["froi"]["db"]
        with db.sessions() as session:
            assert session.scalars(select(Upload.status)).one() == "computed"
    assert client.get(compute_url).headers["Location"].endswith("/results")
    assert worker.poll() is None  # the consumer itself carried on


def test_a_worker_killed_on_its_last_attempt_fails_the_job_with_a_message(
    redis_app: Flask, start_worker: Worker, big_workbook: Path
) -> None:
    redis_app.config["JOB_MAX_ATTEMPTS"] = 1
    client = signed_in(redis_app)
    redis_app.config["BATCH_BACKGROUND_ABOVE_BYTES"] = 10**9
    check_url = upload(client, big_workbook).headers["Location"]
    compute_url = confirm(client, check_url).headers["Location"]
    job_id = int(compute_url.rsplit("/", 1)[1])
    start_worker(FROI_JOB_MAX_ATTEMPTS="1")
    until(
        lambda: job_row(redis_app, job_id).stage.startswith("Computing"),
        60,
        "the worker computing",
    )
    os.kill(int(job_row(redis_app, job_id).worker.split(":")[1]), signal.SIGKILL)
    until(lambda: job_row(redis_app, job_id).status == "failed", 60, "the job failed")
    shown = client.get(compute_url).get_data(as_text=True)
    assert "interrupted (the service was restarted or a worker stopped) once" in shown
    assert "Nothing was saved" in shown
    assert counts(redis_app) == (0, 0)
    db: Database = redis_app.extensions["froi"]["db"]
    with db.sessions() as session:
        assert session.scalars(select(Upload.status)).one() == "checked"  # confirm again
    assert jobs.sweep(redis_app).failed == []  # nothing left to sweep


class Proxy:
    """A TCP proxy in front of Redis that can be taken down (its port closed, every
    connection through it cut) and brought back on the same port: Redis down, then back,
    for every process that reaches it through here, without stopping the machine's Redis."""

    def __init__(self, upstream: tuple[str, int], port: int):
        self.upstream, self.port = upstream, port
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self.lock:
            if self.listener is not None:
                with contextlib.suppress(OSError):  # wakes the accept() under way
                    self.listener.shutdown(socket.SHUT_RDWR)
                self.listener.close()
                self.listener = None
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # taken down
            try:
                server = socket.create_connection(self.upstream, timeout=2)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def test_a_job_started_while_redis_is_down_starts_promptly_when_it_returns(
    redis_app: Flask, start_worker: Worker
) -> None:
    """Redis (behind a proxy) goes down for the web process and the worker alike: a job
    started meanwhile is recorded as unsent, the person's request succeeds and the job's
    page says it will start when the queue returns; when Redis is back, the job is sent
    within ``JOB_RESEND_INTERVAL`` (2 s) rather than the sweeper's ``JOB_STALE_AFTER``
    (900 s), a ``make worker`` runs it once, and sending it again runs nothing twice."""
    assert float(redis_app.config["JOB_STALE_AFTER"]) == 900
    real = redis.Redis.from_url(str(redis_app.config["REDIS_URL"]))
    host = real.connection_pool.connection_kwargs
    proxy = Proxy((str(host["host"]), int(host["port"])), PROXY_PORT)
    url = f"redis://127.0.0.1:{PROXY_PORT}/{host.get('db', 0)}"
    froi = redis_app.extensions["froi"]
    direct, tasks = froi["huey"], froi["tasks"]
    redis_app.config["REDIS_URL"] = url
    froi["huey"] = queue.make_huey(redis_app)
    jobs._register_tasks(redis_app)
    try:
        start_worker(REDIS_URL=url)
        client = signed_in(redis_app)
        warm = int(upload(client, PORTFOLIO).headers["Location"].rsplit("/", 1)[1])
        until(lambda: job_row(redis_app, warm).status == "done", 60, "the worker ready")
        proxy.down()
        started = upload(client, PORTFOLIO)
        assert started.status_code == 302  # the person's request succeeds
        job_url = started.headers["Location"]
        assert "/jobs/" in job_url
        job_id = int(job_url.rsplit("/", 1)[1])
        shown = client.get(job_url).get_data(as_text=True)  # the page tries to send it too
        assert "Queued: the job queue cannot be reached at the moment" in shown
        assert client.get("/readyz").status_code == 503
        time.sleep(3)
        job = job_row(redis_app, job_id)
        assert (job.status, job.unsent, job.attempts) == ("queued", True, 0)
        proxy.up()
        back = time.time()
        until(lambda: job_row(redis_app, job_id).started_at is not None, 30, "the job started")
        started_at = job_row(redis_app, job_id).started_at
        assert started_at is not None
        delay = started_at.timestamp() - back
        print(f"Redis back to the job started: {delay:.2f} s")
        assert delay < 10
        until(lambda: job_row(redis_app, job_id).status == "done", 60, "the job done")
        job = job_row(redis_app, job_id)
        assert (job.unsent, job.attempts) == (False, 1)
        jobs._send(redis_app, job_id)  # sent twice: the worker finds it done
        assert jobs.resend_unsent(redis_app) == []
        time.sleep(1.5)
        assert len(direct) == 0 and job_row(redis_app, job_id).attempts == 1
    finally:
        proxy.down()
        jobs.shutdown(redis_app)
        froi["huey"], froi["tasks"] = direct, tasks
        redis_app.config["REDIS_URL"] = REDIS


def test_with_redis_a_portfolio_export_is_a_worker_s_job_and_downloads_anywhere(
    redis_app: Flask, start_worker: Worker, tmp_path: Path
) -> None:
    """The export's job runs in ``make worker``; the file it keeps is downloaded from the
    web process, and written again from the run on a machine without it."""
    start_worker()
    client = signed_in(redis_app)
    check_url = upload(client, PORTFOLIO).headers["Location"]
    until(
        lambda: job_row(redis_app, int(check_url.rsplit("/", 1)[1])).status == "done",
        60,
        "checked",
    )
    compute_url = confirm(client, client.get(check_url).headers["Location"]).headers["Location"]
    until(
        lambda: job_row(redis_app, int(compute_url.rsplit("/", 1)[1])).status == "done",
        120,
        "computed",
    )
    token = client.get("/portfolio/?mode=appraisal").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', token)
    assert csrf is not None
    started = client.post(
        "/portfolio/export", data={"csrf_token": csrf.group(1), "mode": "appraisal"}
    )
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    until(lambda: job_row(redis_app, job_id).status == "done", 120, "the export done")
    job = job_row(redis_app, job_id)
    assert job.attempts == 1 and job.worker.split(":")[1] != str(os.getpid())
    assert job.total > 0 and job.run_id is not None
    kept = list((tmp_path / "results").glob(f"portfolio-run-{job.run_id}-*.xlsx"))
    assert len(kept) == 1  # written by the worker
    first = client.get(f"/portfolio/exports/{job_id}.xlsx")
    assert first.status_code == 200 and first.data == kept[0].read_bytes()
    first.close()
    kept[0].unlink()  # gone (the retention period passed): the worker writes it again
    again = client.get(f"/portfolio/exports/{job_id}.xlsx")
    assert again.status_code == 302 and again.headers["Location"] == f"/jobs/{job_id}"
    until(lambda: job_row(redis_app, job_id).status == "done", 120, "written again")
    assert kept[0].exists() and job_row(redis_app, job_id).run_id == job.run_id
    written = client.get(f"/portfolio/exports/{job_id}.xlsx")
    assert written.status_code == 200 and written.data[:2] == b"PK"
    written.close()
    # a web machine that does not share the worker's results folder: said, not a loop
    kept[0].unlink()
    with redis_app.app_context():
        session = get_session()
        row = session.get(Job, job_id)
        assert row is not None
        row.params = {**row.params, "written_again_for": socket.gethostname()}
        session.commit()
    refused = client.get(f"/portfolio/exports/{job_id}.xlsx")
    assert refused.status_code == 503
    assert "FROI_RESULTS_DIR must be on storage shared" in refused.get_data(as_text=True)
    assert job_row(redis_app, job_id).status == "done"  # not queued again
