"""Integrity: unique verification numbers, webhook claims with a lease, pacticipant labels.

- ``verifications``: a number is unique per pact version. Numbers duplicated by concurrent
  results before this revision are kept for the oldest row; later rows get the next free numbers.
- ``triggered_webhooks``: ``claimed_by`` / ``claimed_until`` (a delivering replica's lease).
- ``labels`` and the webhooks' ``consumer_label`` / ``provider_label``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _renumber_duplicate_verifications()
    op.create_index(
        "uq_verifications_pact_version_number",
        "verifications",
        ["pact_version_id", "number"],
        unique=True,
    )
    with op.batch_alter_table("triggered_webhooks") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("consumer_label", sa.String(255), nullable=True))
        batch.add_column(sa.Column("provider_label", sa.String(255), nullable=True))
    op.create_table(
        "labels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "pacticipant_id",
            sa.Integer(),
            sa.ForeignKey("pacticipants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("pacticipant_id", "name", name="uq_labels_pacticipant_name"),
    )
    op.create_index("ix_labels_name", "labels", ["name"])


def _renumber_duplicate_verifications() -> None:
    connection = op.get_bind()
    verifications = sa.table(
        "verifications",
        sa.column("id", sa.Integer),
        sa.column("pact_version_id", sa.Integer),
        sa.column("number", sa.Integer),
    )
    duplicated = (
        sa.select(verifications.c.pact_version_id)
        .group_by(verifications.c.pact_version_id, verifications.c.number)
        .having(sa.func.count() > 1)
        .distinct()
    )
    for pact_version_id in connection.scalars(duplicated).all():
        rows = connection.execute(
            sa.select(verifications.c.id, verifications.c.number)
            .where(verifications.c.pact_version_id == pact_version_id)
            .order_by(verifications.c.id)
        ).all()
        seen: set[int] = set()
        next_free = max(number for _, number in rows) + 1
        for row_id, number in rows:
            if number not in seen:
                seen.add(number)
                continue
            connection.execute(
                sa.update(verifications)
                .where(verifications.c.id == row_id)
                .values(number=next_free)
            )
            next_free += 1


def downgrade() -> None:
    op.drop_index("ix_labels_name", "labels")
    op.drop_table("labels")
    with op.batch_alter_table("webhooks") as batch:
        batch.drop_column("provider_label")
        batch.drop_column("consumer_label")
    with op.batch_alter_table("triggered_webhooks") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
    op.drop_index("uq_verifications_pact_version_number", "verifications")
