"""Unit cost table versions: local overrides and the table each organisation uses.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23

Adds ``unit_cost_table.parent_id`` (a local override table names the national version it
inherits from) and ``unit_cost_choice`` (which table version an organisation's new runs
use).  Existing data migrates as it stands: every stored table is a published national
table, and each organisation is recorded as using the newest one, which is what new runs
used before.

Written out in full (no imports from the models) so this revision keeps creating the
same tables however the models change later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unit_cost_table", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_unit_cost_table_parent_id_unit_cost_table"),
            "unit_cost_table",
            ["parent_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_unit_cost_table_parent_id"), ["parent_id"], unique=False
        )

    op.create_table(
        "unit_cost_choice",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("chosen_by", sa.String(length=200), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_unit_cost_choice_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["unit_cost_table.id"],
            name=op.f("fk_unit_cost_choice_table_id_unit_cost_table"),
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_unit_cost_choice")),
    )

    # the national table in use stays in use: record it as each organisation's choice
    connection = op.get_bind()
    newest = connection.execute(
        sa.text(
            "SELECT MAX(id) FROM unit_cost_table "
            "WHERE organisation_id IS NULL AND status = 'published'"
        )
    ).scalar()
    if newest is not None:
        connection.execute(
            sa.text(
                "INSERT INTO unit_cost_choice (organisation_id, table_id, chosen_by, chosen_at) "
                "SELECT id, :table_id, 'migration 0003', CURRENT_TIMESTAMP FROM organisation"
            ),
            {"table_id": newest},
        )


def downgrade() -> None:
    op.drop_table("unit_cost_choice")
    with op.batch_alter_table("unit_cost_table", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_cost_table_parent_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_unit_cost_table_parent_id_unit_cost_table"), type_="foreignkey"
        )
        batch_op.drop_column("parent_id")
