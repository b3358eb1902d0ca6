"""The job queue with ``REDIS_URL``: web processes only queue, ``make worker`` processes
(started here as ``python -m froi.web.worker``, what ``make worker`` runs) do the work,
and a worker SIGKILLed mid-job leaves the job done once on retry, never lost or doubled.

Redis must answer on 127.0.0.1:6379 (``.ci/run`` starts it); without it these tests are
skipped on a workstation and fail under ``CI=true``.  Each test has its own queue name
(huey's key prefix) on its own database number, and removes its keys afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
from froi.web.core.db import Database
from froi.web.core.models import ANALYST, Job, Project, Run, Upload
from froi.web.uploads import jobs
from froi.workbook.template import write_input_workbook

from .conftest import CLEAN_UP, make_user, sign_in
from .test_batch import PORTFOLIO, confirm, upload

ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("FROI_TEST_REDIS", "redis://127.0.0.1:6379/7")
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


def job_row(app: Flask, job_id: int) -> Job:
    db: Database = app.extensions["froi"]["db"]
    with db.sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


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
