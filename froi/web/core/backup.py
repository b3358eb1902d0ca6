"""``flask --app app backup FILE`` and ``flask --app app restore FILE``: the whole database.

**SQLite** (the embedded default): ``backup`` copies the database with SQLite's online
backup API (``sqlite3.Connection.backup``), page by page, consistent even while the
service is running and writing; the copy is itself a SQLite database.  ``restore`` copies
it back over the service's database the same way, in one step.

**PostgreSQL**: ``backup`` runs ``pg_dump --format=custom`` (consistent: one snapshot,
however long it takes) and ``restore`` runs ``pg_restore --clean --if-exists --no-owner
--single-transaction``, so a restore that fails part-way changes nothing.  Both need
PostgreSQL's client programs (``postgresql-client``) of the server's version or newer.

A backup file is written beside its final name and renamed when complete, so a backup cut
short never looks like a good one; an existing file is not overwritten.  ``restore``
replaces everything in the database, so it asks first (``--yes`` for scripts), refuses a
file that is not a backup of the same kind of database, and afterwards brings the schema
up to date (a backup of an older version is migrated like any older database).  Stop the
web and worker processes before restoring.  The instance folder's other files (the
secret key, the embedded job queue, cached results workbooks) are not in a backup: the key
is a setting (``FROI_SECRET_KEY``), the rest can be made again.
"""

from __future__ import annotations

import os
import shutil
import sqlite3

# pg_dump and pg_restore, run with argument lists (no shell) from the PATH
import subprocess  # nosec B404
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import URL, make_url

from .db import Database, database, init_db

SQLITE_MAGIC = b"SQLite format 3\x00"
POSTGRES_MAGIC = b"PGDMP"


def _libpq(url: URL) -> str:
    """The address in the form PostgreSQL's programs take (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _client(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise click.ClickException(
            f"{program} is not installed: install PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client) of the server's version or newer"
        )
    return found


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # nosec B603
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise click.ClickException(f"{Path(command[0]).name} failed: {last}")


def _kind(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(POSTGRES_MAGIC):
        return "postgresql"
    return "unknown"


def backup_to(db: Database, target: Path) -> None:
    """Write a backup of ``db`` to ``target`` (which must not exist)."""
    if target.exists():
        raise click.ClickException(f"{target} exists already: choose a new file name")
    url = db.engine.url
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    part = Path(name)  # readable by the service's user only, like the database
    try:
        if url.get_backend_name() == "sqlite":
            with (
                sqlite3.connect(f"file:{url.database}?mode=ro", uri=True) as source,
                sqlite3.connect(part) as copy,
            ):
                source.backup(copy)
            source.close()
            copy.close()
        elif url.get_backend_name() == "postgresql":
            _run([_client("pg_dump"), "--format=custom", f"--file={part}", _libpq(url)])
        else:
            raise click.ClickException(f"no backup for a {url.get_backend_name()} database")
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def restore_from(db: Database, source: Path) -> None:
    """Replace everything in ``db`` with the backup ``source``."""
    if not source.is_file():
        raise click.ClickException(f"{source} is not a file")
    url = db.engine.url
    backend, kind = url.get_backend_name(), _kind(source)
    if kind != backend:
        found = {"sqlite": "a SQLite backup", "postgresql": "a PostgreSQL backup"}.get(
            kind, "not a backup made by flask backup"
        )
        raise click.ClickException(
            f"{source} is {found}; this service's database is {backend}: restore a backup "
            f"made from a {backend} database"
        )
    db.engine.dispose()  # no connection of this process holds the old database
    if backend == "sqlite":
        with (
            sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup,
            sqlite3.connect(str(make_url(str(url)).database)) as live,
        ):
            backup.backup(live)
        backup.close()
        live.close()
    else:
        _run(
            [
                _client("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq(url)}",
                str(source),
            ]
        )
    db.engine.dispose()


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Back up the whole database to FILE (SQLite online backup, or pg_dump)."""
    db = database()
    backup_to(db, file)
    click.echo(f"backed up the {db.engine.url.get_backend_name()} database to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace everything in the database with the backup FILE (stop the service first)."""
    db = database()
    if not yes:
        click.confirm(
            f"Replace everything in the {db.engine.url.get_backend_name()} database with {file}?",
            abort=True,
        )
    restore_from(db, file)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    init_db(app)  # a backup of an older version is brought up to date
    click.echo(f"restored the database from {file}")
