"""Badges: SVG images for READMEs (``?label=``; public when badge access is public)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from contract_broker.api.deps import Name, SessionDep
from contract_broker.services import badges

__all__ = ["router"]

router = APIRouter(tags=["badges"])

SVG = "image/svg+xml"
NO_CACHE = {"Cache-Control": "no-cache"}


def _svg(body: str) -> Response:
    return Response(body, media_type=SVG, headers=NO_CACHE)


@router.get("/pacts/provider/{provider}/consumer/{consumer}/latest/badge")
@router.get(
    "/pacts/provider/{provider}/consumer/{consumer}/latest/badge.svg", include_in_schema=False
)
def latest_pact_badge(
    provider: Name,
    consumer: Name,
    session: SessionDep,
    label: str | None = None,
    initials: bool = False,
) -> Response:
    """verified / failed / changed / unknown for the latest pact between the two."""
    return _svg(
        badges.latest_pact_badge(
            session, provider, consumer, tag=None, label=label, initials=initials
        )
    )


@router.get("/pacts/provider/{provider}/consumer/{consumer}/latest/{tag}/badge")
def latest_tagged_pact_badge(
    provider: Name,
    consumer: Name,
    tag: Name,
    session: SessionDep,
    label: str | None = None,
    initials: bool = False,
) -> Response:
    return _svg(
        badges.latest_pact_badge(
            session, provider, consumer, tag=tag, label=label, initials=initials
        )
    )


@router.get(
    "/pacticipants/{pacticipant}/branches/{branch}/latest-version/can-i-deploy/"
    "to-environment/{environment}/badge"
)
def can_i_deploy_badge(
    pacticipant: Name,
    branch: Name,
    environment: Name,
    session: SessionDep,
    label: str | None = None,
) -> Response:
    """Whether the latest version of a branch can be deployed to an environment."""
    return _svg(
        badges.can_i_deploy_branch_to_environment(
            session, pacticipant, branch, environment, label=label
        )
    )


@router.get("/pacticipants/{pacticipant}/latest-version/{tag}/can-i-deploy/to/{to}/badge")
def can_i_deploy_tag_badge(
    pacticipant: Name,
    tag: Name,
    to: Name,
    session: SessionDep,
    label: str | None = None,
) -> Response:
    """Whether the latest version with ``tag`` can be deployed to the versions tagged ``to``."""
    return _svg(badges.can_i_deploy_tag_to_tag(session, pacticipant, tag, to, label=label))
