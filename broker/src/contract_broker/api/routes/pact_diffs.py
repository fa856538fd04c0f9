"""What changed between two versions of a pact, as a unified diff."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from contract_broker.api.deps import Name, SessionDep
from contract_broker.api.routes.pacts import PAIR
from contract_broker.services import pact_diffs

__all__ = ["router"]

router = APIRouter(prefix="/pacts", tags=["pacts"])


@router.get(PAIR + "/version/{version}/diff/previous-distinct")
def diff_previous_distinct(
    provider: Name, consumer: Name, version: Name, session: SessionDep
) -> PlainTextResponse:
    """What changed since the previous distinct version of this pact (a unified diff)."""
    lines = pact_diffs.diff_previous_distinct(session, provider, consumer, version)
    if lines is None:
        return PlainTextResponse(
            "This is the first version of this pact: no previous "
            "distinct version to compare with.\n"
        )
    return PlainTextResponse("\n".join(lines) + "\n")


@router.get(PAIR + "/version/{version}/diff/version/{other}")
def diff_with_version(
    provider: Name, consumer: Name, version: Name, other: Name, session: SessionDep
) -> PlainTextResponse:
    """What changed between another version's pact and this one (a unified diff)."""
    lines = pact_diffs.diff_versions(session, provider, consumer, version, other)
    return PlainTextResponse("\n".join(lines) + "\n" if lines else "No differences.\n")
