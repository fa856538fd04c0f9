"""How many of each thing the broker holds, under the names the Pact Broker's metrics use."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from contract_broker.models import (
    Base,
    DeployedVersion,
    Environment,
    Pacticipant,
    PactPublication,
    PactVersion,
    ReleasedVersion,
    TriggeredWebhook,
    Verification,
    Version,
    Webhook,
)
from contract_broker.repositories.metrics import count_rows

__all__ = ["counts"]

COUNTED: dict[str, type[Base]] = {
    "pacticipants": Pacticipant,
    "pacticipantVersions": Version,
    "pactVersions": PactVersion,
    "pactPublications": PactPublication,
    "verificationResults": Verification,
    "environments": Environment,
    "deployedVersions": DeployedVersion,
    "releasedVersions": ReleasedVersion,
    "webhooks": Webhook,
    "triggeredWebhooks": TriggeredWebhook,
}


def counts(session: Session) -> dict[str, Any]:
    """How many of each thing the broker holds, each as ``{"count": n}``."""
    return {name: {"count": count_rows(session, model)} for name, model in COUNTED.items()}
