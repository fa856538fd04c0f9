"""Index a provider's publications by date (WIP pacts are those published since a date).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_pact_publications_provider_created", "pact_publications", ["provider_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_pact_publications_provider_created", "pact_publications")
