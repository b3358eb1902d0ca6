"""How the service connects: SQLite in WAL mode with a busy timeout; PostgreSQL's pool
sized from the settings."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import text

from froi.web.core.db import Database, PoolSettings, make_database


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    db = make_database(f"sqlite:///{tmp_path / 'x.sqlite'}", PoolSettings(busy_timeout=7.5))
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 7500
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    db.engine.dispose()


def test_the_pool_is_sized_from_the_settings(app: Flask, backend: str) -> None:
    settings = PoolSettings.from_config({"WEB_THREADS": "8", "SQLITE_BUSY_TIMEOUT": "3"})
    assert (settings.pool_size, settings.max_overflow, settings.busy_timeout) == (10, 10, 3.0)
    given = PoolSettings.from_config({"DATABASE_POOL_SIZE": "3", "DATABASE_MAX_OVERFLOW": "1"})
    assert (given.pool_size, given.max_overflow) == (3, 1)
    db: Database = app.extensions["froi"]["db"]
    if backend == "postgresql":
        assert db.engine.pool.size() == PoolSettings.from_config(app.config).pool_size  # type: ignore[attr-defined]
    else:
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_the_default_pool_of_four_workers_stays_under_postgresql_s_default_limit() -> None:
    """PostgreSQL refuses connections beyond its ``max_connections`` (100 by default): four
    gunicorn workers (a four-core machine's default), each opening its whole pool and
    overflow, stay under it, and docs/deployment.md says the defaults the code has."""
    settings = PoolSettings.from_config({})
    assert (settings.pool_size + settings.max_overflow) * 4 < 100
    docs = (Path(__file__).parents[2] / "docs" / "deployment.md").read_text(encoding="utf-8")
    row = next(line for line in docs.splitlines() if "`FROI_DATABASE_MAX_OVERFLOW`" in line)
    defaults = row.rstrip(" |").rsplit("|", 1)[1]
    assert defaults.split(",")[1].strip() == f"`{settings.max_overflow}`"
    assert f"+ 2 + {settings.max_overflow} = {settings.pool_size + settings.max_overflow}" in row
    assert f"open at most {(settings.pool_size + settings.max_overflow) * 4}" in row


def test_a_pool_with_every_connection_busy_is_the_busy_page() -> None:
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from froi.web.core.failures import BUSY, classify

    assert classify(PoolTimeout("QueuePool limit of size 6 overflow 16 reached")) is BUSY
