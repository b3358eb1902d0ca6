"""The database: connection, a session per request, migrations and the default data.

SQLite in the instance folder is the default, so the service runs with nothing installed
beside it; ``DATABASE_URL`` (``postgresql+psycopg://...``) selects PostgreSQL for several
workers.  On start the app brings the schema to the newest Alembic revision and loads the
default data (the organisation and the national unit cost table) if they are missing, so
a first start needs no manual step; ``flask --app app init-db`` does the same by hand.
Both steps are idempotent, and on PostgreSQL they run under an advisory lock so workers
starting together do not race each other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from calculator.reference import ReferenceData

from . import models
from .reference import app_reference, current_table, table_model

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Any fixed number: the PostgreSQL advisory lock that serialises start-up work.
STARTUP_LOCK = 0x46524F49  # "FROI"


@dataclass(frozen=True)
class Database:
    """An app's engine and session factory (one per app, shared by its requests)."""

    engine: Engine
    sessions: sessionmaker[Session]


def database_url(app: Flask) -> str:
    """``DATABASE_URL`` from the config, else a SQLite file in the instance folder.

    The folder and the file are made readable by the service's user only (0700, 0600):
    they hold every organisation's figures.  SQLite gives its journal files the file's
    permissions.
    """
    url = app.config.get("DATABASE_URL")
    if url:
        return str(url)
    folder = Path(app.instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / "froi.sqlite"
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    return f"sqlite:///{path}"


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite ignores foreign keys (and ON DELETE SET NULL) unless asked, per connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_database(url: str) -> Database:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_foreign_keys)
    sessions = sessionmaker(engine, expire_on_commit=False)
    models.watch_published_tables(sessions)
    return Database(engine, sessions)


def database() -> Database:
    db: Database = current_app.extensions["froi"]["db"]
    return db


def get_session() -> Session:
    """The request's session, opened on first use and closed when the request ends."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def upgrade(engine: Engine) -> None:
    """Apply every Alembic migration not yet applied (a no-op when the schema is current)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STARTUP_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")  # every branch: features add their own


def load_defaults(session: Session, reference: ReferenceData) -> list[str]:
    """Create the default organisation and load the shipped national unit cost table.

    Returns what was done, in words (empty when everything was already there).  A table
    version already stored must have the same content hash as the file: a published
    version never changes, so a different hash means the file was edited without a new
    version number, and the service refuses to start rather than compute on either.
    """
    done: list[str] = []
    if session.scalar(select(models.Organisation.id).limit(1)) is None:
        session.add(models.Organisation(name=models.DEFAULT_ORGANISATION))
        done.append(f"created the organisation '{models.DEFAULT_ORGANISATION}'")
    table = reference.unit_costs
    stored = session.scalars(
        select(models.UnitCostTable).where(
            models.UnitCostTable.name == table.meta.name,
            models.UnitCostTable.version == table.meta.version,
        )
    ).first()
    if stored is None:
        session.add(table_model(table))
        done.append(f"loaded unit cost table '{table.label}' ({len(table)} rows)")
    elif stored.sha256 != table.sha256:
        raise click.ClickException(
            f"unit cost table '{table.label}' is stored with SHA-256 {stored.sha256[:12]} but "
            f"the shipped file hashes to {table.sha256[:12]}: a published version cannot "
            "change; give the edited table a new version"
        )
    session.commit()
    return done


def init_db(app: Flask) -> list[str]:
    """Migrate and load the defaults for ``app`` (what start-up and ``init-db`` run)."""
    db: Database = app.extensions["froi"]["db"]
    upgrade(db.engine)
    with app.app_context(), db.sessions() as session:
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STARTUP_LOCK})
        return load_defaults(session, app_reference())


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database and load the default data."""
    # the app has usually just done this on start; report that as well as this run
    done = current_app.extensions["froi"].get("started", []) + init_db(current_app)
    for line in done or ["the database was already up to date; nothing to load"]:
        click.echo(line)
    with database().sessions() as session:
        table = current_table(session)
        click.echo(f"new runs use unit cost table '{table.label}' ({table.row_count} rows)")


def init_app(app: Flask) -> None:
    app.extensions.setdefault("froi", {})["db"] = make_database(database_url(app))
    app.teardown_appcontext(close_session)
    app.cli.add_command(init_db_command)
