"""Webhooks: triggered by events, delivered in the background (see issue: pipeline)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from contract_broker.services.events import Event
from contract_broker.settings import Settings

__all__ = ["trigger"]


def trigger(
    session: Session, settings: Settings, events: list[Event], *, base_url: str
) -> list[dict[str, str]]:
    """Queue deliveries for the webhooks subscribed to ``events``; notices describing them."""
    del session, settings, events, base_url
    return []
