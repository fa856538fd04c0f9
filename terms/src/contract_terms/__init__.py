"""Names shared by the consumer, the provider and the pipeline, defined once.

Retyping a pacticipant name or a provider-state string in two places is how a pact silently stops
being verified, so every side imports them from here.
"""

from __future__ import annotations

from contract_terms.environments import ENVIRONMENTS, PRODUCTION, TEST
from contract_terms.pacticipants import BILLING_SERVICE, PACT_FILE_NAME, PACTICIPANTS, USER_SERVICE
from contract_terms.provider_states import (
    EXISTING_USER_ID,
    UNKNOWN_USER_ID,
    USER_DOES_NOT_EXIST,
    USER_EXISTS,
)

__all__ = [
    "BILLING_SERVICE",
    "ENVIRONMENTS",
    "EXISTING_USER_ID",
    "PACTICIPANTS",
    "PACT_FILE_NAME",
    "PRODUCTION",
    "TEST",
    "UNKNOWN_USER_ID",
    "USER_DOES_NOT_EXIST",
    "USER_EXISTS",
    "USER_SERVICE",
]
