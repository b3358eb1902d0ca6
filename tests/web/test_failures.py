"""Storage failures give a clear 503 page, the reason in the log, and nothing half-saved
(froi/web/core/failures.py); a start-up that cannot write its instance folder says so in
one sentence.  Each failure is a real one from the database driver, not a mock."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, text

from froi.web import create_app
from froi.web.core.db import Database, make_database
from froi.web.core.failures import StartupFailure
from froi.web.core.models import Project

from .pages import page

NEW_PROJECT = {"project_id": "F1", "name": "Failure test", "mode": "appraisal"}


@contextmanager
def on_connect(database: Database, statement: str) -> Iterator[None]:
    """Run ``statement`` on every new connection of ``database`` while in the block."""
    database.engine.dispose()

    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        dbapi_connection.commit()

    event.listen(database.engine, "connect", apply)
    try:
        yield
    finally:
        event.remove(database.engine, "connect", apply)
        database.engine.dispose()


def _post_new_project(client: FlaskClient) -> Any:
    form = page(client.get("/projects/new")).hidden()
    return client.post("/projects/new", data={**form, **NEW_PROJECT})


def _projects(app: Flask) -> int:
    engine = app.extensions["froi"]["db"].engine
    engine.dispose()
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Project)) or 0)


@pytest.fixture
def read_only(app: Flask, backend: str) -> Iterator[None]:
    """The database refuses writes: SQLite's query_only, PostgreSQL's read-only sessions."""
    statement = (
        "PRAGMA query_only = ON"
        if backend == "sqlite"
        else "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
    )
    with on_connect(app.extensions["froi"]["db"], statement):
        yield


def test_a_read_only_database_gives_the_503_page_and_saves_nothing(
    app: Flask, client: FlaskClient, read_only: None, caplog: pytest.LogCaptureFixture
) -> None:
    before = _projects(app)
    with caplog.at_level(logging.ERROR, logger="froi.storage"):
        response = _post_new_project(client)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    shown = page(response)
    assert shown.h1 == ["The service cannot save anything at the moment"]
    assert "database can be read but not changed" in shown.text
    assert any("storage failure (read-only storage)" in r.getMessage() for r in caplog.records)
    # reading still works, and nothing was saved
    assert client.get("/projects/").status_code == 200
    assert _projects(app) == before


def test_a_full_disk_gives_the_503_page(
    app: Flask, client: FlaskClient, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    if backend != "sqlite":
        pytest.skip("a full disk is simulated with SQLite's page limit")
    database: Database = app.extensions["froi"]["db"]
    with database.engine.connect() as connection:
        connection.exec_driver_sql("VACUUM")  # no free pages left: the next new page fails
        pages = int(connection.scalar(text("PRAGMA page_count")) or 0)
    big = {**NEW_PROJECT, "name": "x" * 200}
    with (
        on_connect(database, f"PRAGMA max_page_count = {pages}"),
        caplog.at_level(logging.ERROR, logger="froi.storage"),
    ):
        full = []
        for i in range(400):  # until the page limit is reached
            form = page(client.get("/projects/new")).hidden()
            response = client.post("/projects/new", data={**form, **big, "project_id": f"F{i}"})
            if response.status_code == 503:
                full.append(response)
                break
    assert full, "the page limit was never reached"
    assert page(full[0]).h1 == ["The service cannot save anything at the moment"]
    assert "storage is full" in page(full[0]).text
    assert any("storage failure (disk full)" in r.getMessage() for r in caplog.records)


def test_a_database_that_is_down_gives_the_503_page_and_recovers(
    app: Flask, client: FlaskClient
) -> None:
    working = app.extensions["froi"]["db"]
    down = make_database("postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=2")
    app.extensions["froi"]["db"] = down
    try:
        response = client.get("/projects/")
        assert response.status_code == 503
        assert page(response).h1 == ["The service is not available at the moment"]
    finally:
        app.extensions["froi"]["db"] = working
        down.engine.dispose()
    assert client.get("/projects/").status_code == 200  # back when the database is


def test_an_instance_folder_that_cannot_be_written_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    import os

    os.environ["FROI_INSTANCE_PATH"] = str(blocker / "instance")
    try:
        with pytest.raises(StartupFailure) as caught:
            create_app({"TESTING": True})
    finally:
        del os.environ["FROI_INSTANCE_PATH"]
    message = str(caught.value)
    assert message.startswith(f"the service cannot write to its instance folder {blocker}")
    assert "FROI_INSTANCE_PATH" in message


def test_a_database_that_cannot_be_reached_on_start_is_one_sentence() -> None:
    url = "postgresql+psycopg://postgres:secret@127.0.0.1:9/nowhere?connect_timeout=2"
    with pytest.raises(StartupFailure) as caught:
        create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "t"})
    message = str(caught.value)
    assert "cannot prepare its database (postgresql+psycopg://...127.0.0.1:9" in message
    assert "database unavailable" in message and "secret" not in message


def test_the_instance_folder_and_database_are_the_service_users_only(tmp_path: Path) -> None:
    import os
    import stat

    folder = tmp_path / "instance"
    os.environ["FROI_INSTANCE_PATH"] = str(folder)
    try:
        app = create_app({"TESTING": True})
    finally:
        del os.environ["FROI_INSTANCE_PATH"]
    try:
        for path, mode in (
            (folder, 0o700),
            (folder / "froi.sqlite", 0o600),
            (folder / "secret_key", 0o600),
        ):
            assert stat.S_IMODE(path.stat().st_mode) == mode, path
    finally:
        from froi.web.uploads.jobs import shutdown

        shutdown(app)
        app.extensions["froi"]["db"].engine.dispose()
