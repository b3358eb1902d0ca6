"""API tokens: a user's tokens for the JSON API, kept as their SHA-256.

Revision ID: 0008_api_tokens
Revises: 0006
Create Date: 2026-12-02

Adds ``api_token``: whose token it is, its name and first characters, the SHA-256 of the
token (the token itself is never stored), when it was made, last used and revoked, and
the request count of the current minute for the per-token rate limit.  Written out in
full (no imports from the models) so this revision keeps creating the same table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_api_tokens"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey(
                "user_account.id",
                name="fk_api_token_user_id_user_account",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_api_token"),
        sa.UniqueConstraint("token_sha256", name="uq_api_token_token_sha256"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_api_token_user_id", table_name="api_token")
    op.drop_table("api_token")
