"""Provider contracts: comparing consumer pacts with a provider's OpenAPI document.

Bi-directional contract testing as PactFlow does it: the provider publishes its OpenAPI 3.0 or
3.1 document, and each consumer pact is compared with it instead of being replayed against the
provider. The rules, their codes and severities follow PactFlow's open-source engine,
swagger-mock-validator. ``document`` reads and validates a published document, ``comparison``
compares a pact with it (``matching`` finds the operation, ``request_rules`` and
``response_rules`` judge it, ``views`` and ``schemas`` validate values in the document's
dialect), ``results`` shapes what is found like a pact verification's results.

Pure: no database, no network.
"""

from __future__ import annotations

from contract_broker.services.provider_contracts.comparison import FAILED, compare
from contract_broker.services.provider_contracts.document import (
    InvalidProviderContract,
    parse_document,
)
from contract_broker.services.provider_contracts.results import (
    ERROR_RULES,
    Comparison,
    InteractionResult,
    Mismatch,
    severity_of,
)

__all__ = [
    "ERROR_RULES",
    "FAILED",
    "Comparison",
    "InteractionResult",
    "InvalidProviderContract",
    "Mismatch",
    "compare",
    "parse_document",
    "severity_of",
]
