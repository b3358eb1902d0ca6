"""Fixtures for the web service, run against SQLite and PostgreSQL alike.

``database_url`` is one database per backend per test session: a SQLite file in a
temporary folder, or a uniquely named PostgreSQL database on 127.0.0.1:5432 (trust
authentication, as user postgres or root) that is dropped afterwards.  The ``app``
fixture builds an app on it as a first start would (migrations, default data), and
removes what a test added afterwards so tests never see each other's projects.

Without PostgreSQL the PostgreSQL half is skipped on a workstation but fails when
``CI=true``: CI must not pass by silently testing one backend.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from froi.web import create_app
from froi.web.core.db import Database
from froi.web.uploads.jobs import shutdown

POSTGRES_HOST = os.environ.get("FROI_TEST_POSTGRES_HOST", "127.0.0.1:5432")
POSTGRES_USERS = ("postgres", "root")
#: The database the test connects to first, to create its own (TESTING.md: ``test``).
POSTGRES_ADMIN_DB = "test"


def _postgres_admin_url() -> str:
    """A working admin URL, or skip (fail under CI) with the reason."""
    errors = []
    for user in POSTGRES_USERS:
        url = f"postgresql+psycopg://{user}@{POSTGRES_HOST}/{POSTGRES_ADMIN_DB}"
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect():
                return url
        except OperationalError as exc:
            errors.append(f"{user}: {str(exc.orig).strip().splitlines()[0]}")
        finally:
            engine.dispose()
    reason = f"PostgreSQL at {POSTGRES_HOST} is not reachable ({'; '.join(errors)})"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " and CI=true: the PostgreSQL tests must run in CI")
    pytest.skip(reason)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('froi-web') / 'froi.sqlite'}"
        return
    admin_url = _postgres_admin_url()
    name = f"froi_web_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


#: What tests add, deleted after each test (children first).  The default organisation
#: and the national table are what a first start creates, so they stay.
CLEAN_UP = (
    "DELETE FROM job",
    "DELETE FROM run",
    "DELETE FROM upload",
    "DELETE FROM project",
    "DELETE FROM unit_cost_choice",
    "DELETE FROM unit_cost_row WHERE table_id <> (SELECT MIN(id) FROM unit_cost_table)",
    "DELETE FROM unit_cost_table WHERE id <> (SELECT MIN(id) FROM unit_cost_table)",
    "DELETE FROM organisation WHERE id <> (SELECT MIN(id) FROM organisation)",
)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "RESULTS_DIR": str(tmp_path / "results"),  # cached results workbooks
        }
    )
    yield app
    shutdown(app)  # background jobs finish before their rows are deleted
    db: Database = app.extensions["froi"]["db"]
    with db.engine.begin() as connection:
        for statement in CLEAN_UP:
            connection.execute(text(statement))
    db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def backend(database_url: str) -> str:
    return database_url.split(":", 1)[0].split("+", 1)[0]


SAMPLES = Path(__file__).resolve().parents[2] / "sample_workbooks"
