"""Index the comparisons by the provider contract they were made with.

A contract's resource and page list its comparisons, and deleting a contract cascades to
them: without this index both read every comparison in the broker.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COMPARISON = "provider_contract_id IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_verifications_provider_contract",
        "verifications",
        ["provider_contract_id", "id"],
        postgresql_where=sa.text(COMPARISON),
        sqlite_where=sa.text(COMPARISON),
    )


def downgrade() -> None:
    op.drop_index("ix_verifications_provider_contract", "verifications")
