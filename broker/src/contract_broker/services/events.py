"""Events the broker detects (publications, verifications); webhooks subscribe to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CONTRACT_CONTENT_CHANGED",
    "CONTRACT_PUBLISHED",
    "CONTRACT_REQUIRING_VERIFICATION_PUBLISHED",
    "EVENT_NAMES",
    "PROVIDER_VERIFICATION_FAILED",
    "PROVIDER_VERIFICATION_PUBLISHED",
    "PROVIDER_VERIFICATION_SUCCEEDED",
    "Event",
]

CONTRACT_PUBLISHED = "contract_published"
CONTRACT_CONTENT_CHANGED = "contract_content_changed"
CONTRACT_REQUIRING_VERIFICATION_PUBLISHED = "contract_requiring_verification_published"
PROVIDER_VERIFICATION_PUBLISHED = "provider_verification_published"
PROVIDER_VERIFICATION_SUCCEEDED = "provider_verification_succeeded"
PROVIDER_VERIFICATION_FAILED = "provider_verification_failed"

EVENT_NAMES: tuple[str, ...] = (
    CONTRACT_PUBLISHED,
    CONTRACT_CONTENT_CHANGED,
    CONTRACT_REQUIRING_VERIFICATION_PUBLISHED,
    PROVIDER_VERIFICATION_PUBLISHED,
    PROVIDER_VERIFICATION_SUCCEEDED,
    PROVIDER_VERIFICATION_FAILED,
)


@dataclass(frozen=True)
class Event:
    """Something that happened; ``context`` holds the ids webhook templates are rendered from.

    Context keys: ``publication_id``, ``verification_id``, ``provider_version_id`` (the provider
    version a contract_requiring_verification_published event is for), ``comment``.
    """

    name: str
    consumer_id: int
    provider_id: int
    context: dict[str, Any] = field(default_factory=dict)
