"""Store each branch's head (its newest version) on the branch, kept current by the database.

WIP pacts are the pacts of branch heads published since a date; finding each publication's
branches and then each branch's newest version cost two index probes per publication. Triggers
on ``branch_versions`` keep ``branches.head_version_id`` equal to ``max(version_id)`` of the
branch whoever writes the rows (the app, a bulk load, a cascade): an insert raises it under
the branch row's lock, so concurrent inserts cannot lose one; a delete of the head recomputes it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

RAISE = (
    "UPDATE branches SET head_version_id = NEW.version_id WHERE id = NEW.branch_id"
    " AND (head_version_id IS NULL OR head_version_id < NEW.version_id)"
)
RECOMPUTE = (
    "UPDATE branches SET head_version_id ="
    " (SELECT max(version_id) FROM branch_versions WHERE branch_id = OLD.branch_id)"
    " WHERE id = OLD.branch_id AND head_version_id = OLD.version_id"
)


def upgrade() -> None:
    op.add_column("branches", sa.Column("head_version_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE branches SET head_version_id ="
        " (SELECT max(version_id) FROM branch_versions WHERE branch_id = branches.id)"
    )
    op.create_index("ix_branches_head_version", "branches", ["head_version_id"])
    if op.get_bind().dialect.name == "postgresql":
        for name, body in (("raise", RAISE), ("recompute", RECOMPUTE)):
            op.execute(
                f"CREATE FUNCTION branch_head_{name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {body}; RETURN NULL; END $$"
            )
        op.execute(
            "CREATE TRIGGER branch_versions_head_insert AFTER INSERT ON branch_versions"
            " FOR EACH ROW EXECUTE FUNCTION branch_head_raise()"
        )
        op.execute(
            "CREATE TRIGGER branch_versions_head_delete AFTER DELETE ON branch_versions"
            " FOR EACH ROW EXECUTE FUNCTION branch_head_recompute()"
        )
    else:
        op.execute(
            "CREATE TRIGGER branch_versions_head_insert AFTER INSERT ON branch_versions"
            f" FOR EACH ROW BEGIN {RAISE}; END"
        )
        op.execute(
            "CREATE TRIGGER branch_versions_head_delete AFTER DELETE ON branch_versions"
            f" FOR EACH ROW BEGIN {RECOMPUTE}; END"
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in ("branch_versions_head_insert", "branch_versions_head_delete"):
        op.execute(f"DROP TRIGGER {trigger}" + (" ON branch_versions" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION branch_head_raise()")
        op.execute("DROP FUNCTION branch_head_recompute()")
    op.drop_index("ix_branches_head_version", "branches")
    op.drop_column("branches", "head_version_id")
