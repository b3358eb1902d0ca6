"""Join the two branches that batch uploads (0002) and table versions (0003) grew from 0001.

Revision ID: 0004
Revises: 0002, 0003
Create Date: 2026-11-23

Nothing changes in the schema: after this revision there is one head again, so
``alembic upgrade head`` works as well as the service's own upgrade of every head.
"""

from __future__ import annotations

revision = "0004"
down_revision = ("0002", "0003")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
