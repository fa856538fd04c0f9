"""Index the versions currently deployed and released (partial indexes).

Pacts-for-verification's ``deployed``/``released`` selectors without an environment ask for
every current deployment: without these, the whole deployment history was read to find the
few rows whose ``undeployed_at`` (``support_ended_at``) is null.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CURRENT = {
    "deployed_versions": ("ix_deployed_versions_current", "undeployed_at IS NULL"),
    "released_versions": ("ix_released_versions_current", "support_ended_at IS NULL"),
}


def upgrade() -> None:
    for table, (name, where) in CURRENT.items():
        op.create_index(
            name,
            table,
            ["version_id"],
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )


def downgrade() -> None:
    for table, (name, _where) in CURRENT.items():
        op.drop_index(name, table)
