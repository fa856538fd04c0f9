"""Queries behind pacts-for-verification: which publications each selector picks.

Each function is one statement whatever the size of the data, built once per shape with bound
parameters (see ``_tables``). The rows carry the consumer version's number and the pact
version's SHA: all a response names, so nothing is looked up again to render it.

``heads`` holds the selector statements, ``lookups`` the provider, its consumers and the labels
of the pacts chosen, ``pending`` what the pending rules read; ``selected`` is what they return.
"""

from __future__ import annotations

from contract_broker.repositories.selection.heads import (
    branch_heads,
    in_environment,
    latest_per_consumer,
    latest_with_tag,
    main_branch_heads,
    wip_candidates,
    with_tag,
)
from contract_broker.repositories.selection.lookups import labels, provider_and_consumers
from contract_broker.repositories.selection.pending import (
    VERIFIED,
    VERIFIED_WITH_WIP,
    ProviderVerification,
    first_use,
    provider_verifications,
    verified_for_branch,
)
from contract_broker.repositories.selection.selected import DEPLOYED_KIND, RELEASED_KIND, Selected

__all__ = [
    "DEPLOYED_KIND",
    "RELEASED_KIND",
    "VERIFIED",
    "VERIFIED_WITH_WIP",
    "ProviderVerification",
    "Selected",
    "branch_heads",
    "first_use",
    "in_environment",
    "labels",
    "latest_per_consumer",
    "latest_with_tag",
    "main_branch_heads",
    "provider_and_consumers",
    "provider_verifications",
    "verified_for_branch",
    "wip_candidates",
    "with_tag",
]
