"""Initial schema: organisations, unit cost tables and rows, projects, runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Written out in full (no imports from the models) so this revision keeps creating the
same tables however the models change later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("name", name=op.f("uq_organisation_name")),
    )
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("project_ref", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("organisation_name", sa.String(length=300), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("unit_costs", sa.JSON(), nullable=False),
        sa.Column("scenario_of_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_project_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["scenario_of_id"],
            ["project.id"],
            name=op.f("fk_project_scenario_of_id_project"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint(
            "organisation_id", "project_ref", name=op.f("uq_project_organisation_id_project_ref")
        ),
    )
    op.create_table(
        "unit_cost_table",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=False),
        sa.Column("licence", sa.Text(), nullable=False),
        sa.Column("date", sa.String(length=40), nullable=False),
        sa.Column("last_verified", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_unit_cost_table_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_cost_table")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_unit_cost_table_name_version")),
    )
    with op.batch_alter_table("unit_cost_table", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_cost_table_sha256"), ["sha256"], unique=False)

    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("project_ref", sa.String(length=100), nullable=False),
        sa.Column("input_doc", sa.JSON(), nullable=False),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("unit_cost_table_id", sa.Integer(), nullable=False),
        sa.Column("unit_cost_table_name", sa.String(length=300), nullable=False),
        sa.Column("unit_cost_table_version", sa.String(length=100), nullable=False),
        sa.Column("unit_cost_table_sha256", sa.String(length=64), nullable=False),
        sa.Column("engine_version", sa.String(length=40), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rerun_of_id", sa.Integer(), nullable=True),
        sa.Column("reproduced", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_run_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_run_project_id_project"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rerun_of_id"], ["run.id"], name=op.f("fk_run_rerun_of_id_run"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["unit_cost_table_id"],
            ["unit_cost_table.id"],
            name=op.f("fk_run_unit_cost_table_id_unit_cost_table"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_project_id"), ["project_id"], unique=False)

    op.create_table(
        "unit_cost_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("price_year", sa.String(length=7), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("agency_detail", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("cashable", sa.Boolean(), nullable=False),
        sa.Column("confidence_grade", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("grade_reason", sa.Text(), nullable=False),
        sa.Column("group_name", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["unit_cost_table.id"],
            name=op.f("fk_unit_cost_row_table_id_unit_cost_table"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_cost_row")),
        sa.UniqueConstraint("table_id", "code", name=op.f("uq_unit_cost_row_table_id_code")),
    )
    with op.batch_alter_table("unit_cost_row", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_cost_row_code"), ["code"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("unit_cost_row", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_cost_row_code"))

    op.drop_table("unit_cost_row")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_project_id"))

    op.drop_table("run")
    with op.batch_alter_table("unit_cost_table", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_cost_table_sha256"))

    op.drop_table("unit_cost_table")
    op.drop_table("project")
    op.drop_table("organisation")
