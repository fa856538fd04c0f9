"""``branches.head_version_id`` stays the branch's newest version, kept by the database."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from contract_broker.models import Branch, BranchVersion, Pacticipant, Version


def _head(session: Session, branch_id: int) -> tuple[int | None, int | None]:
    """(stored head, newest version on the branch)."""
    stored = session.scalar(select(Branch.head_version_id).where(Branch.id == branch_id))
    newest = session.scalar(
        select(func.max(BranchVersion.version_id)).where(BranchVersion.branch_id == branch_id)
    )
    return stored, newest


def test_the_stored_head_follows_inserts_in_any_order_and_deletes(session: Session) -> None:
    pacticipant = Pacticipant(name="consumer")
    session.add(pacticipant)
    session.flush()
    versions = [Version(pacticipant_id=pacticipant.id, number=str(n)) for n in range(4)]
    main = Branch(pacticipant_id=pacticipant.id, name="main")
    other = Branch(pacticipant_id=pacticipant.id, name="feat")
    session.add_all([*versions, main, other])
    session.flush()
    assert _head(session, main.id) == (None, None)

    def put(branch: Branch, version: Version) -> BranchVersion:
        row = BranchVersion(
            branch_id=branch.id,
            version_id=version.id,
            pacticipant_id=pacticipant.id,
            branch_name=branch.name,
        )
        session.add(row)
        session.flush()
        return row

    put(main, versions[1])
    assert _head(session, main.id) == (versions[1].id, versions[1].id)
    newest = put(main, versions[3])
    put(main, versions[0])  # an older version added later does not become the head
    put(other, versions[2])
    assert _head(session, main.id) == (versions[3].id, versions[3].id)
    assert _head(session, other.id) == (versions[2].id, versions[2].id)

    session.execute(delete(BranchVersion).where(BranchVersion.id == newest.id))
    assert _head(session, main.id) == (versions[1].id, versions[1].id)
    session.execute(delete(BranchVersion).where(BranchVersion.branch_id == main.id))
    assert _head(session, main.id) == (None, None)
    assert _head(session, other.id) == (versions[2].id, versions[2].id)
