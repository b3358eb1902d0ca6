"""Jobs whose task could not be put on the queue are marked, and sent as soon as it answers.

Revision ID: 0010_jobs
Revises: 0009_job_queue
Create Date: 2026-12-02

A job is recorded before its task is put on the queue.  When the queue (Redis) cannot be
reached, the job stays recorded and ``unsent`` says its task was never sent: whoever
next reaches the queue (the web process that recorded it, retrying every few seconds;
the next job started; the sweeper; a view of the job's page) sends it then, instead of
after ``FROI_JOB_STALE_AFTER``.  Existing jobs were sent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_jobs"
down_revision = "0009_job_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN, not a batch: on SQLite a batch would copy the table and lose
    # its AUTOINCREMENT (job ids are never reused)
    op.add_column(
        "job", sa.Column("unsent", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("job", "unsent")
