"""Provider contracts (bi-directional contract testing) and the comparisons made with them.

A provider version may publish its OpenAPI document; the broker compares consumer pacts with
it and records each comparison as a verification of that pact content by that provider
version, marked with the contract it used (``verifications.provider_contract_id``): the
matrix, can-i-deploy, badges and pages read them as they read verifications. A partial unique
index makes a comparison happen at most once per pact content and provider version, however
many requests race to make it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COMPARISON = "provider_contract_id IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "provider_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("provider_version_id", sa.Integer(), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("specification", sa.String(length=255), nullable=False),
        sa.Column("self_verification_success", sa.Boolean(), nullable=True),
        sa.Column("self_verification", sa.JSON(), nullable=True),
        sa.Column("build_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["provider_id"], ["pacticipants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["provider_version_id"], ["versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_version_id"),
    )
    op.create_index(
        op.f("ix_provider_contracts_provider_id"), "provider_contracts", ["provider_id"]
    )
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_contract_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_verifications_provider_contract_id",
            "provider_contracts",
            ["provider_contract_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_index(
        "uq_verifications_comparison",
        "verifications",
        ["pact_version_id", "provider_version_id"],
        unique=True,
        postgresql_where=sa.text(COMPARISON),
        sqlite_where=sa.text(COMPARISON),
    )


def downgrade() -> None:
    op.drop_index("uq_verifications_comparison", "verifications")
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_constraint("fk_verifications_provider_contract_id", type_="foreignkey")
        batch_op.drop_column("provider_contract_id")
    op.drop_index(op.f("ix_provider_contracts_provider_id"), "provider_contracts")
    op.drop_table("provider_contracts")
