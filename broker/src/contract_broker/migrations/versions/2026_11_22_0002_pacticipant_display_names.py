"""Give pacticipants stored without a display name the generated one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from contract_broker.services.names import display_name_for

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    pacticipants = sa.table(
        "pacticipants",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("display_name", sa.String),
    )
    missing = connection.execute(
        sa.select(pacticipants.c.id, pacticipants.c.name).where(
            pacticipants.c.display_name.is_(None)
        )
    ).all()
    for row_id, name in missing:
        connection.execute(
            sa.update(pacticipants)
            .where(pacticipants.c.id == row_id)
            .values(display_name=display_name_for(name))
        )


def downgrade() -> None:
    """Nothing to undo: a display name is valid data either way."""
