"""Provider-state strings the consumer's pact uses and the provider's state handlers implement."""

from __future__ import annotations

EXISTING_USER_ID = 123
"""The user the consumer's happy-path interaction asks for (sent as the state parameter ``id``)."""

UNKNOWN_USER_ID = 999
"""A user id the consumer expects the provider not to know (state parameter ``id``)."""

USER_EXISTS = f"user {EXISTING_USER_ID} exists"
USER_DOES_NOT_EXIST = f"user {UNKNOWN_USER_ID} does not exist"
