"""Runs keep their headline figures beside their results, for lists read without them.

Revision ID: 0007_fast_pages
Revises: 0008_api_tokens
Create Date: 2026-12-02

The runs list showed each run's FROI (or its count of projects) by reading the run's
whole results document, megabytes for a batch run, for every run listed.  A run now keeps
``project_count`` and ``froi`` (a one-project run's FROI) in columns of their own, so the
list reads a page of small rows; existing runs get them from their stored results.  An
index on (organisation, id) lets the list page in the database, newest first.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007_fast_pages"
down_revision = "0008_api_tokens"
branch_labels = None
depends_on = None


def _headline(results: Any) -> tuple[int, float | None]:
    if isinstance(results, str):
        results = json.loads(results)
    projects = (results or {}).get("projects") or []
    froi = projects[0].get("froi") if len(projects) == 1 else None
    if isinstance(froi, bool) or not isinstance(froi, int | float):
        return len(projects), None
    return len(projects), float(froi)


def upgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.add_column(sa.Column("project_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("froi", sa.Double(), nullable=True))
        batch.create_index("ix_run_organisation_id_id", ["organisation_id", "id"])
    connection = op.get_bind()
    run = sa.table(
        "run",
        sa.column("id", sa.Integer()),
        sa.column("results", sa.JSON()),
        sa.column("project_count", sa.Integer()),
        sa.column("froi", sa.Double()),
    )
    last = 0
    while True:  # a few hundred runs at a time: a batch run's results are large
        rows = connection.execute(
            sa.select(run.c.id, run.c.results).where(run.c.id > last).order_by(run.c.id).limit(200)
        ).all()
        if not rows:
            break
        for row_id, results in rows:
            count, froi = _headline(results)
            connection.execute(
                run.update().where(run.c.id == row_id).values(project_count=count, froi=froi)
            )
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.drop_index("ix_run_organisation_id_id")
        batch.drop_column("froi")
        batch.drop_column("project_count")
