"""Jobs through a task queue, with a lease: attempts, the lease's end, and the job's input.

Revision ID: 0009_job_queue
Revises: 0007_fast_pages_summaries
Create Date: 2026-12-02

Background work now goes through huey (SQLite in the instance folder, or Redis), and a
job row is the lease on that work: ``attempts`` counts the workers that claimed it,
``lease_until`` is when the current claim lapses unless its worker renews it, and
``params`` holds what the work needs (the clash rule, who confirmed it, where the result
is shown), so any worker on any machine can run it from the row alone.  Existing jobs
have made no attempt and have no lease and no parameters.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_job_queue"
down_revision = "0007_fast_pages_summaries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("params", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_column("params")
        batch.drop_column("lease_until")
        batch.drop_column("attempts")
