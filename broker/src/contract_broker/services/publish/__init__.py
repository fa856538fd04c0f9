"""Publishing pacts: ``POST /contracts/publish`` and the legacy ``PUT``/``PATCH /pacts/...``.

Content is immutable per consumer version and provider: publishing different content for an
existing consumer version is a conflict (409) and changes nothing, unless dangerous contract
modification is allowed. Identical content is accepted with "no changes".

One module per reason to change: ``request`` validates the publish body, ``storage`` stores
one pact (insert-or-get, merge, events), ``notices`` words the answer and the refusals, and
``service`` runs a publish in the request's transaction, webhook deliveries included.
"""

from __future__ import annotations

from contract_broker.services.publish.request import (
    ContractToPublish,
    PublishRequest,
    parse_publish_request,
)
from contract_broker.services.publish.service import (
    PublishedPact,
    PublishResult,
    publish_contracts,
    publish_pact,
)
from contract_broker.services.publish.storage import StoredPact

__all__ = [
    "ContractToPublish",
    "PublishRequest",
    "PublishResult",
    "PublishedPact",
    "StoredPact",
    "parse_publish_request",
    "publish_contracts",
    "publish_pact",
]
