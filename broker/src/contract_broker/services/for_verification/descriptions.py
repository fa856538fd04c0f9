"""The Pact Broker's short description of a consumer version selector."""

from __future__ import annotations

from contract_broker.services.for_verification.query import Selector

__all__ = ["describe"]


def describe(selector: Selector, *, fallback: bool = False, environment: str | None = None) -> str:
    """The Pact Broker's short description of a selector (``shortDescription``).

    ``fallback``: the pact came from the selector's fallback tag or branch. ``environment``:
    where the selected version is deployed or released, when the selector names none.
    """
    where = selector.environment or environment
    if selector.main_branch:
        return "latest from main branch"
    if selector.branch:
        return f"latest from branch {selector.fallback_branch if fallback else selector.branch}"
    if selector.tag and selector.latest:
        return f"latest with tag {selector.fallback_tag if fallback else selector.tag}"
    if selector.tag:
        who = f"{selector.consumer} " if selector.consumer else ""
        return f"one of {who}{selector.tag}"
    if selector.deployed and not selector.released:
        return f"deployed to {where}" if where else "currently deployed"
    if selector.released and not selector.deployed:
        return f"released in {where}" if where else "currently released"
    if selector.deployed or selector.released or selector.environment:
        return f"deployed or released to {where}" if where else "deployed or released"
    return "latest"
