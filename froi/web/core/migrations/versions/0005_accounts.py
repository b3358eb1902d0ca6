"""Accounts: users, the audit log, failed sign-ins; ids never reused on SQLite.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Adds ``user_account`` (a person: organisation, email, role, argon2id password hash,
session version), ``audit_event`` (every change: who, when, what, before and after) and
``sign_in_failure`` (failed sign-ins, counted to refuse repeated guesses).

On SQLite, every table whose ids appear in addresses is rebuilt as ``AUTOINCREMENT``, so
that an id is never handed out again after its row is deleted (SQLite otherwise reuses
the largest id).  SQLite cannot change this in place: batch mode copies each table into
a new one and renames it.  ``froi.web.core.db.upgrade`` turns foreign keys off around
the migration, as SQLite's own procedure for rebuilding a table requires: dropping the
old table with foreign keys on would delete its rows first and set the links to them in
other tables to NULL.  PostgreSQL's sequences never reuse an id: nothing to do there.

Written out in full (no imports from the models) so this revision keeps creating the
same tables however the models change later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: Tables made before this revision whose ids appear in addresses.
REBUILT = ("organisation", "unit_cost_table", "unit_cost_row", "project", "run", "upload", "job")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in REBUILT:
            with op.batch_alter_table(
                name, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ):
                pass

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_signed_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_user_account_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_user_account_organisation_id"), "user_account", ["organisation_id"])

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_email", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_audit_event_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_audit_event_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sqlite_autoincrement=True,
    )
    for column in ("action", "at", "object_type", "organisation_id", "user_id"):
        op.create_index(op.f(f"ix_audit_event_{column}"), "audit_event", [column])

    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failure")),
    )
    for column in ("address", "at", "email"):
        op.create_index(op.f(f"ix_sign_in_failure_{column}"), "sign_in_failure", [column])


def downgrade() -> None:
    op.drop_table("sign_in_failure")
    op.drop_table("audit_event")
    op.drop_table("user_account")
    # the rebuilt tables keep AUTOINCREMENT: never reusing an id does no harm
