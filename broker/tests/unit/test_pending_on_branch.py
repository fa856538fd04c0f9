"""The database's pending verdict for a provider branch agrees with ``is_pending``'s rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from contract_broker.models import (
    Branch,
    BranchVersion,
    Pacticipant,
    PactVersion,
    Verification,
    Version,
)
from contract_broker.repositories.selection import (
    VERIFIED,
    VERIFIED_WITH_WIP,
    ProviderVerification,
    verified_for_branch,
)
from contract_broker.services.for_verification import is_pending

T0 = datetime(2024, 1, 1, tzinfo=UTC)

# (minute, provider version's branches, success, wip)
Spec = tuple[int, tuple[str, ...], bool, bool]

CASES: dict[str, tuple[list[Spec], int | None]] = {
    "never verified": ([], 0),
    "verified on it": ([(5, ("main",), True, False)], 0),
    "only failed on it": ([(5, ("main",), False, False)], 0),
    "only a WIP success on it": ([(5, ("main",), True, True)], 0),
    "WIP and non-WIP successes on it": (
        [(5, ("main",), True, True), (6, ("main",), True, False)],
        0,
    ),
    "another branch, branch not created yet": ([(5, ("feat",), True, False)], None),
    "another branch before it was created": ([(5, ("feat",), True, False)], 10),
    "another branch after it was created": ([(15, ("feat",), True, False)], 10),
    "another branch before, WIP only": ([(5, ("feat",), True, True)], 10),
    "a version on no branch, branch not created yet": ([(5, (), True, False)], None),
    "a version on no branch before creation": ([(5, (), True, False)], 10),
    "a version on both branches after creation": ([(15, ("feat", "main"), True, False)], 10),
    "failed on another branch before creation": ([(5, ("feat",), False, False)], 10),
}


@pytest.mark.parametrize(("specs", "created"), list(CASES.values()), ids=list(CASES))
def test_the_database_decides_as_is_pending(
    session: Session, specs: list[Spec], created: int | None
) -> None:
    consumer, provider = Pacticipant(name="consumer"), Pacticipant(name="provider")
    session.add_all([consumer, provider])
    session.flush()
    pact = PactVersion(consumer_id=consumer.id, provider_id=provider.id, sha="s", content="{}")
    session.add(pact)
    branch_created = None if created is None else T0 + timedelta(minutes=created)
    branches: dict[str, Branch] = {}
    if branch_created is not None:
        branches["main"] = Branch(
            pacticipant_id=provider.id, name="main", created_at=branch_created
        )
    session.add_all(branches.values())
    session.flush()
    found: list[ProviderVerification] = []
    for number, (minute, names, success, wip) in enumerate(specs, start=1):
        version = Version(pacticipant_id=provider.id, number=str(number))
        session.add(version)
        session.flush()
        for name in names:
            branch = branches.setdefault(name, Branch(pacticipant_id=provider.id, name=name))
            session.add(branch)
            session.flush()
            session.add(
                BranchVersion(
                    branch_id=branch.id,
                    version_id=version.id,
                    pacticipant_id=provider.id,
                    branch_name=name,
                )
            )
        moment = T0 + timedelta(minutes=minute)
        session.add(
            Verification(
                pact_version_id=pact.id,
                provider_version_id=version.id,
                consumer_id=consumer.id,
                provider_id=provider.id,
                number=number,
                success=success,
                wip=wip,
                created_at=moment,
            )
        )
        if success:
            found.append(
                ProviderVerification(pact.id, True, wip, moment, frozenset(names), frozenset())
            )
    session.flush()

    verdict = verified_for_branch(session, [pact.id], provider_id=provider.id, branch="main")[
        pact.id
    ]

    # The branch's creation as the database has it (None: never created).
    rule = {"main": branches["main"].created_at if "main" in branches else None}
    pending_with_wip = is_pending(found, provider_branch="main", provider_tags=(), first_use=rule)
    non_wip = [v for v in found if not v.wip]
    pending = is_pending(non_wip, provider_branch="main", provider_tags=(), first_use=rule)
    assert (verdict < VERIFIED_WITH_WIP, verdict < VERIFIED) == (pending_with_wip, pending)
