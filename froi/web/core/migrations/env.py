"""Alembic environment, driven from Python (``froi.web.core.db.upgrade``), never from an .ini.

The caller opens the connection and passes it in ``config.attributes["connection"]``, so
migrations run inside the caller's transaction (and, on PostgreSQL, under its advisory
lock).  ``render_as_batch`` lets the same migration scripts alter tables on SQLite,
which cannot ALTER most things in place.
"""

from __future__ import annotations

from alembic import context

from froi.web.core.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through froi.web.core.db.upgrade (or `flask --app app init-db`), "
        "which passes the connection"
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
