"""Status badges as SVG, drawn by the broker itself (no redirect to an external service).

Texts and colours follow the Pact Broker: a pact badge says verified (bright green), failed
(red), changed (orange) or unknown (light grey); a can-i-deploy badge says "{from} to {to}"
in bright green when deployable and red when not (unknown is not deployable); a missing
resource is light grey.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from contract_broker import warm_up
from contract_broker.errors import NotFound
from contract_broker.repositories import environments as environment_repo
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories.integrations import latest_verification_for_pair
from contract_broker.services import matrix
from contract_broker.services.integrations import pact_status
from contract_broker.services.pacts import find_pact

__all__ = [
    "COLOURS",
    "can_i_deploy_badge",
    "can_i_deploy_branch_to_environment",
    "can_i_deploy_tag_to_tag",
    "latest_pact_badge",
    "not_found_badge",
    "pact_badge",
    "svg",
]

COLOURS = {
    "brightgreen": "#4c1",
    "red": "#e05d44",
    "orange": "#fe7d37",
    "lightgrey": "#9f9f9f",
}
PACT_COLOURS = {
    "verified": "brightgreen",
    "failed": "red",
    "changed": "orange",
    "unknown": "lightgrey",
}


def svg(label: str, value: str, colour: str) -> str:
    """A flat badge; text is escaped by the badge library."""
    # Imported here, not at the top: see contract_broker.warm_up.
    warm_up.wait()
    import anybadge  # type: ignore[import-untyped]

    return str(
        anybadge.Badge(
            label, value, default_color=COLOURS[colour], escape_label=True, escape_value=True
        ).badge_svg_text
    )


def _initials(name: str) -> str:
    parts = [p for p in name.replace("_", "-").replace(" ", "-").split("-") if p]
    return "".join(p[0] for p in parts).lower() if len(parts) > 1 else name.lower()


def pact_badge(
    consumer: str, provider: str, status: str, *, label: str | None = None, initials: bool = False
) -> str:
    """``{consumer}/{provider} pact | status`` (``?label=consumer|provider`` for one name)."""
    if initials:
        consumer, provider = _initials(consumer), _initials(provider)
    if label == "consumer":
        left = consumer
    elif label == "provider":
        left = provider
    elif label:
        left = label
    else:
        left = f"{consumer}/{provider} pact".lower()
    return svg(left, status, PACT_COLOURS.get(status, "lightgrey"))


def latest_pact_badge(
    session: Session,
    provider: str,
    consumer: str,
    *,
    tag: str | None,
    label: str | None,
    initials: bool,
) -> str:
    """The badge of the latest pact between the two (with a tag): unknown when there is none."""
    try:
        view = find_pact(session, provider, consumer, tag=tag)
    except NotFound:
        return pact_badge(consumer, provider, "unknown", label=label, initials=initials)
    verification = latest_verification_for_pair(session, view.consumer.id, view.provider.id)
    status = pact_status(view.pact_version.id, verification)
    return pact_badge(consumer, provider, status, label=label, initials=initials)


def can_i_deploy_badge(
    source: str, destination: str, deployable: bool | None, *, label: str | None = None
) -> str:
    """``can-i-deploy | {source} to {destination}``: a branch or tag to an environment or tag."""
    return svg(
        label or "can-i-deploy",
        f"{source} to {destination}",
        "brightgreen" if deployable else "red",
    )


def not_found_badge(label: str, what: str) -> str:
    return svg(label, f"{what} not found", "lightgrey")


def can_i_deploy_branch_to_environment(
    session: Session, pacticipant: str, branch: str, environment: str, *, label: str | None
) -> str:
    """Can the head of ``branch`` be deployed to ``environment``? (``cvpv``, as can-i-deploy
    ``--branch B --to-environment E``; the Pact Broker's
    ``can_i_deploy_pacticipant_version_by_branch_to_environment_badge``)."""
    left = label or "can-i-deploy"
    found = pacticipant_repo.find_pacticipant(session, pacticipant)
    if found is None:
        return not_found_badge(left, "pacticipant")
    version = pacticipant_repo.latest_version_for_branch(session, found.id, branch)
    if version is None:
        return not_found_badge(left, "branch")
    if environment_repo.find_environment_by_name(session, environment) is None:
        return not_found_badge(left, "environment")
    query = matrix.MatrixQuery(
        selectors=(matrix.Selector(pacticipant=pacticipant, version=version.number),),
        options=matrix.Options(latestby="cvpv", environment=environment),
    )
    deployable = matrix.find(session, query).summary.deployable
    return can_i_deploy_badge(branch, environment, deployable, label=label)


def can_i_deploy_tag_to_tag(
    session: Session, pacticipant: str, tag: str, to: str, *, label: str | None
) -> str:
    """Can the latest version tagged ``tag`` be deployed alongside the latest versions of the
    other pacticipants tagged ``to``? (``latestby=cvp&latest=true&tag=to``, as can-i-deploy
    ``--to TAG``; the Pact Broker's ``can_i_deploy_pacticipant_version_by_tag_to_tag_badge``)."""
    left = label or "can-i-deploy"
    found = pacticipant_repo.find_pacticipant(session, pacticipant)
    if found is None:
        return not_found_badge(left, "pacticipant")
    if pacticipant_repo.latest_version_with_tag(session, found.id, tag) is None:
        return not_found_badge(left, "version")
    query = matrix.MatrixQuery(
        selectors=(matrix.Selector(pacticipant=pacticipant, latest=True, tag=tag),),
        options=matrix.Options(latestby="cvp", latest=True, tag=to),
    )
    deployable = matrix.find(session, query).summary.deployable
    return can_i_deploy_badge(tag, to, deployable, label=label)
