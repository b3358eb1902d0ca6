"""Batch upload and background jobs: uploaded workbooks, jobs, a run's upload and label.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Adds ``upload`` (an uploaded input workbook, its bytes and what its check found),
``job`` (background work with its stage and progress) and, on ``run``, ``upload_id``
(the workbook a batch run computed) and ``label`` (what a run of many projects was).
Existing runs keep working: both new columns are empty for them.

Written out in full (no imports from the models) so this revision keeps creating the
same tables however the models change later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_upload_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload")),
    )
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_upload_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("upload_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("label", sa.String(length=300), server_default="", nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_run_upload_id_upload"),
            "upload",
            ["upload_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_run_upload_id"), ["upload_id"], unique=False)

    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=300), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("result_url", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_job_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_job_run_id_run"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["upload.id"], name=op.f("fk_job_upload_id_upload"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_job_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_job_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_upload_id"), ["upload_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_upload_id"))
        batch_op.drop_index(batch_op.f("ix_job_status"))
        batch_op.drop_index(batch_op.f("ix_job_organisation_id"))
    op.drop_table("job")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_upload_id"))
        batch_op.drop_constraint(batch_op.f("fk_run_upload_id_upload"), type_="foreignkey")
        batch_op.drop_column("label")
        batch_op.drop_column("upload_id")
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_organisation_id"))
    op.drop_table("upload")
