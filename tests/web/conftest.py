"""Fixtures for the web service, run against SQLite and PostgreSQL alike.

``database_url`` is one database per backend per test session: a SQLite file in a
temporary folder, or a uniquely named PostgreSQL database on 127.0.0.1:5432 (trust
authentication, as user postgres or root) that is dropped afterwards.  The ``app``
fixture builds an app on it as a first start would (migrations, default data), and
removes what a test added afterwards so tests never see each other's projects.

Every page needs a signed-in user, so ``client`` is signed in, through the sign-in form,
as an analyst of the first organisation: the least role that creates and changes
projects, uploads and runs, which is what most tests do.  ``client_as(role, ...)`` signs
in a client of any role and organisation (``viewer_client``, ``admin_client``,
``site_admin_client``, ``other_client`` for another organisation's analyst).  Passwords
are hashed with argon2's cheapest profile here (``PASSWORD_HASHING``), so signing in
costs the tests nothing; the default profile has a test of its own.

Without PostgreSQL the PostgreSQL half is skipped on a workstation but fails when
``CI=true``: CI must not pass by silently testing one backend.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from froi.web import create_app
from froi.web.accounts.store import create_user, find_organisation
from froi.web.core.db import Database, get_session
from froi.web.core.models import ADMIN, ANALYST, SITE_ADMIN, VIEWER, Organisation, User
from froi.web.uploads.jobs import shutdown

from .pages import page

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


#: What tests add, deleted after each test (children first).  The default organisation,
#: its first administrator and the national table are what a first start creates, so
#: they stay.
CLEAN_UP = (
    "DELETE FROM audit_event",
    "DELETE FROM sign_in_failure",
    "DELETE FROM job",
    "DELETE FROM run",
    "DELETE FROM project_summary",
    "DELETE FROM upload",
    "DELETE FROM project",
    "DELETE FROM unit_cost_choice",
    "DELETE FROM unit_cost_row WHERE table_id <> (SELECT MIN(id) FROM unit_cost_table)",
    "DELETE FROM unit_cost_table WHERE id <> (SELECT MIN(id) FROM unit_cost_table)",
    "DELETE FROM user_account WHERE id <> (SELECT MIN(id) FROM user_account)",
    "DELETE FROM organisation WHERE id <> (SELECT MIN(id) FROM organisation)",
)
#: The password of every user the tests make (it passes the password rule).
PASSWORD = "a long test pass phrase"
#: The organisation of ``other_client``: none of the first organisation's ids are its.
OTHER = "Another council"


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "RESULTS_DIR": str(tmp_path / "results"),  # cached results workbooks
            "PASSWORD_HASHING": "CHEAPEST",
        },
        instance_path=str(tmp_path / "instance"),  # the first start's password file
    )
    yield app
    shutdown(app)  # background jobs finish before their rows are deleted
    db: Database = app.extensions["froi"]["db"]
    with db.engine.begin() as connection:
        for statement in CLEAN_UP:
            connection.execute(text(statement))
    db.engine.dispose()


def first_organisation(session: Session) -> Organisation:
    """The organisation a first start creates (``client``'s)."""
    org = session.scalars(select(Organisation).order_by(Organisation.id)).first()
    assert org is not None
    return org


def make_user(app: Flask, role: str, organisation: str | None = None, email: str = "") -> User:
    """A user of ``role`` in ``organisation`` (made if missing; default the first one),
    with :data:`PASSWORD`."""
    with app.app_context():
        session = get_session()
        if organisation is None:
            org = first_organisation(session)
        else:
            org = find_organisation(session, organisation)
            if org is None:
                org = Organisation(name=organisation)
                session.add(org)
                session.flush()
        assert org is not None
        slug = "la" if organisation is None else organisation.split()[0].lower()
        user = create_user(session, org, email or f"{role}@{slug}.example", role, PASSWORD)
        session.commit()
        return user


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    """Sign in through the sign-in form, as a person would."""
    token = page(client.get("/sign-in")).hidden()["csrf_token"]
    return client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password})


ClientAs = Callable[..., FlaskClient]


@pytest.fixture
def client_as(app: Flask) -> ClientAs:
    """``client_as(role, organisation=None)``: a client signed in as a new user of ``role``."""

    def signed_in(role: str, organisation: str | None = None, email: str = "") -> FlaskClient:
        user = make_user(app, role, organisation, email)
        client = app.test_client()
        response = sign_in(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
        return client

    return signed_in


@pytest.fixture
def client(client_as: ClientAs) -> FlaskClient:
    """An analyst of the first organisation: creates and changes projects, uploads, runs."""
    return client_as(ANALYST)


@pytest.fixture
def viewer_client(client_as: ClientAs) -> FlaskClient:
    return client_as(VIEWER)


@pytest.fixture
def admin_client(client_as: ClientAs) -> FlaskClient:
    """An organisation administrator: users and local unit cost tables too."""
    return client_as(ADMIN)


@pytest.fixture
def site_admin_client(client_as: ClientAs) -> FlaskClient:
    """A site administrator: organisations and national unit cost tables too."""
    return client_as(SITE_ADMIN)


@pytest.fixture
def other_client(client_as: ClientAs) -> FlaskClient:
    """An analyst of another organisation."""
    return client_as(ANALYST, OTHER)


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def backend(database_url: str) -> str:
    return database_url.split(":", 1)[0].split("+", 1)[0]


SAMPLES = Path(__file__).resolve().parents[2] / "sample_workbooks"
