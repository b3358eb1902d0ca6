"""Failures while serving: a database that drops every connection, and a disk that fills
during an upload (in the request and in a job).  Each gives a clear message, nothing
half-saved, and the service recovers by itself."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text

from froi.web.core.db import Database, get_session
from froi.web.core.models import AuditEvent, Job, Upload
from froi.web.uploads import jobs

from .conftest import SAMPLES
from .pages import page
from .test_batch import upload

SAMPLE = SAMPLES / "hampshire_offset.xlsx"


def test_the_database_dropping_every_connection_is_recovered_from(
    app: Flask, client: FlaskClient, backend: str
) -> None:
    """PostgreSQL restarted under the service: every connection it held is terminated."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's connections are terminated by the server")
    assert client.get("/projects/").status_code == 200  # connections in the pool
    db: Database = app.extensions["froi"]["db"]
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        ended = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    admin.dispose()
    assert ended and ended >= 1
    statuses = [client.get("/projects/").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]  # each dead connection replaced before use
    assert client.get("/readyz").status_code == 200


def _nothing_saved(app: Flask) -> None:
    with app.app_context():
        session = get_session()
        assert session.scalar(select(func.count()).select_from(Upload)) == 0
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "upload.received")
            )
            == 0
        )


def _disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing the upload to disk for the reader fails as a full disk does."""

    def full(self: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr("froi.web.uploads.work.Path.write_bytes", full)


def test_a_disk_full_during_an_upload_is_a_clear_page_and_nothing_is_kept(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _disk_full(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="froi.storage"):
        response = upload(client, SAMPLE)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    shown = page(response)
    assert shown.h1 == ["The service cannot save anything at the moment"]
    assert "storage is full, so nothing was saved" in shown.text
    assert any("storage failure (disk full)" in r.getMessage() for r in caplog.records)
    _nothing_saved(app)
    monkeypatch.undo()
    assert upload(client, SAMPLE).status_code == 302  # space again: it works


def test_a_disk_full_during_a_background_check_fails_the_job_with_a_message(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["BATCH_BACKGROUND_ABOVE_BYTES"] = 0
    _disk_full(monkeypatch)
    job_url = upload(client, SAMPLE).headers["Location"]
    jobs.wait_for_jobs(app)
    shown = page(client.get(job_url))
    text_ = " ".join(shown.text.split())
    assert "The work did not finish: The service cannot save anything at the moment" in text_
    assert "(disk full). Nothing was saved." in text_
    with app.app_context():
        session = get_session()
        assert session.scalars(select(Job.status)).one() == "failed"
        upload_row = session.scalars(select(Upload)).one()
        assert upload_row.status == "failed" and upload_row.report == {}
