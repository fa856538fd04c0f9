"""Pacticipant names as they appear in pacts, in the broker and in CI."""

from __future__ import annotations

BILLING_SERVICE = "billing-service"
"""The consumer: bills users, reads them from the user service."""

USER_SERVICE = "user-service"
"""The provider: serves ``GET /users/{id}``."""

PACTICIPANTS: tuple[str, ...] = (BILLING_SERVICE, USER_SERVICE)
"""Every pacticipant: what the pipeline's tasks accept as ``--pacticipant``."""

PACT_FILE_NAME = f"{BILLING_SERVICE}-{USER_SERVICE}.json"
"""The file the consumer's contract tests write (pact-python names it consumer-provider)."""
