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


#: How long a SQLite connection waits for another's write to finish, in seconds
#: (``SQLITE_BUSY_TIMEOUT``); writes are short, so a wait this long means something is wrong.
SQLITE_BUSY_TIMEOUT = 15.0
#: Connections a process may open beyond its pool under a burst (the development server
#: starts a thread for every request; gunicorn bounds them).  Sized so that the default
#: pool plus this, ``THREADS + POOL_HEADROOM + OVERFLOW`` = 20 per process, times four
#: gunicorn workers (a four-core machine's default) is 80: under PostgreSQL's default
#: ``max_connections`` of 100, with 20 left for ``make worker`` and an administrator.
OVERFLOW = 10
#: Connections each process keeps open to PostgreSQL beyond its threads (``DATABASE_POOL_SIZE``
#: defaults to the threads a worker serves with, plus these for its background jobs).
POOL_HEADROOM = 2
#: Threads each gunicorn worker serves with when ``WEB_THREADS`` is not set (serving.py):
#: enough that a short page is not queued behind a long save or check in the same worker.
THREADS = 8
#: Seconds a request waits for a free connection before the 503 page (``DATABASE_POOL_TIMEOUT``).
POOL_TIMEOUT = 10.0


@dataclass(frozen=True)
class PoolSettings:
    """How a process connects: SQLite's wait for a lock, PostgreSQL's pool.

    ``pool_size`` connections are kept open and ``max_overflow`` more are opened under a
    burst; a request that finds all of them busy waits ``pool_timeout`` seconds before it
    fails (with the 503 page of :mod:`.failures`).
    """

    busy_timeout: float = SQLITE_BUSY_TIMEOUT
    pool_size: int = THREADS + POOL_HEADROOM
    max_overflow: int = OVERFLOW
    pool_timeout: float = POOL_TIMEOUT
    pool_recycle: int = 1800

    @classmethod
    def from_config(cls, config: Any) -> PoolSettings:
        """From the app's config (``FROI_SQLITE_BUSY_TIMEOUT``, ``FROI_DATABASE_POOL_SIZE``,
        ``FROI_DATABASE_MAX_OVERFLOW``, ``FROI_DATABASE_POOL_TIMEOUT``); ``WEB_THREADS``,
        the threads each gunicorn worker serves requests with (``make serve``), sizes the
        pool when it is not given."""
        threads = int(config.get("WEB_THREADS") or os.environ.get("WEB_THREADS") or THREADS)
        return cls(
            busy_timeout=float(config.get("SQLITE_BUSY_TIMEOUT") or SQLITE_BUSY_TIMEOUT),
            pool_size=int(config.get("DATABASE_POOL_SIZE") or threads + POOL_HEADROOM),
            max_overflow=int(config.get("DATABASE_MAX_OVERFLOW") or OVERFLOW),
            pool_timeout=float(config.get("DATABASE_POOL_TIMEOUT") or POOL_TIMEOUT),
        )


def _sqlite_settings(busy_timeout: float) -> Any:
    """A ``connect`` hook giving each SQLite connection the settings the service needs.

    - foreign keys on: SQLite ignores them (and ON DELETE SET NULL) unless asked;
    - write-ahead logging: readers never wait for a writer, nor a writer for readers, so
      pages keep answering while a save or a run is written (the setting is kept in the
      file; asking again is cheap);
    - ``synchronous=NORMAL``: safe with WAL (a power cut can lose the last commits, never
      corrupt the file), and a commit no longer waits for the disk twice;
    - a busy timeout: a writer waits this long for another writer to finish rather than
      failing at once with "database is locked".
    """
    milliseconds = max(0, round(busy_timeout * 1000))

    def connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={milliseconds:d}")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()
        if mode is not None and str(mode[0]).lower() not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return connect


def make_database(url: str, pool: PoolSettings | None = None) -> Database:
    pool = pool or PoolSettings()
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": pool.busy_timeout},
            pool_size=pool.pool_size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.pool_timeout,
        )
        event.listen(engine, "connect", _sqlite_settings(pool.busy_timeout))
    else:
        engine = create_engine(
            url,
            pool_size=pool.pool_size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.pool_timeout,
            pool_recycle=pool.pool_recycle,
            pool_pre_ping=True,  # a connection the server dropped is replaced, not an error
        )
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
    """Apply every Alembic migration not yet applied (a no-op when the schema is current).

    On SQLite, foreign keys are off while migrations run, as SQLite's procedure for
    rebuilding a table requires (batch mode rebuilds tables): dropping the old copy with
    them on would delete its rows first and run the ON DELETE actions of the tables that
    refer to it.  The links are checked before the migration commits.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # takes effect only outside a transaction
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": STARTUP_LOCK}
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, "heads")  # every branch: features add their own
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration left broken links: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


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
    app.extensions.setdefault("froi", {})["db"] = make_database(
        database_url(app), PoolSettings.from_config(app.config)
    )
    app.teardown_appcontext(close_session)
    app.cli.add_command(init_db_command)
