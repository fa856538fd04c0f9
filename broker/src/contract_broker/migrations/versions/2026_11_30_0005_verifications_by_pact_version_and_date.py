"""Index verifications by pact version and date (pending: verified before a branch existed?).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_verifications_pact_version_created", "verifications", ["pact_version_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_verifications_pact_version_created", "verifications")
