"""Projects keep the agencies their input adds on purpose.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

The canonical input has a top-level ``agencies`` list: agencies a person adds on purpose
beside the unit cost table's (``calculator.agencies``).  A project imported from JSON or a
workbook keeps that list with its settings and local unit costs, so it computes in the
service as it did in the file.  Existing projects declare none (``[]``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("agencies", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.drop_column("agencies")
