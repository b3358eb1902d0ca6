"""Each project's check and headline figures, kept so pages read them.

Revision ID: 0007_fast_pages_summaries
Revises: 0007_fast_pages
Create Date: 2026-12-02

The project page checked the whole project with the engine on every view, and the
portfolio checked and computed every project whenever any one changed.  A
``project_summary`` row keeps, for one project revision under one basis (the settings,
unit cost table, engine and reference tables the figures depend on), the problems found
and the headline figures, so only projects whose inputs or tables changed are checked or
computed again, and the portfolio sorts, filters and pages in the database.  It starts
empty: the rows are made as pages are viewed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_fast_pages_summaries"
down_revision = "0007_fast_pages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("computed", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("pv_costs", sa.Double(), nullable=True),
        sa.Column("pv_fiscal", sa.Double(), nullable=True),
        sa.Column("froi", sa.Double(), nullable=True),
        sa.Column("npv", sa.Double(), nullable=True),
        sa.Column("payback", sa.Double(), nullable=True),
        sa.Column("cashable", sa.Double(), nullable=True),
        sa.Column("band", sa.String(length=60), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("themes_text", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_project_summary_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_summary_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_summary")),
        sa.UniqueConstraint(
            "project_id", "basis", name=op.f("uq_project_summary_project_id_basis")
        ),
    )


def downgrade() -> None:
    op.drop_table("project_summary")
