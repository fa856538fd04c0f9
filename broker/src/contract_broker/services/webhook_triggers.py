"""Triggering webhooks: a delivery queued, in the write's transaction, for every enabled webhook
subscribed to an event the write raised.

A triggered webhook is a row holding everything its delivery needs (the rendered template
variables), so deliveries survive a restart and are retried by ``webhook_delivery``.
"""

from __future__ import annotations

import uuid as uuids

from sqlalchemy.orm import Session

from contract_broker.hal import Urls
from contract_broker.models import TriggeredWebhook, Webhook, utcnow
from contract_broker.repositories import webhooks as repo
from contract_broker.services import required_verifications
from contract_broker.services.events import (
    CONTRACT_PUBLISHED,
    CONTRACT_REQUIRING_VERIFICATION_PUBLISHED,
    Event,
)
from contract_broker.services.webhook_templates import template_variables

__all__ = ["trigger"]


def trigger(session: Session, events: list[Event], *, base_url: str) -> list[dict[str, str]]:
    """Queue a delivery for every enabled webhook subscribed to each event; notices about them.

    Called by the write that raised the events, in its transaction: a delivery row is an outbox
    entry committed with the pact or verification it is about (nothing is lost between a commit
    and a dispatch), and the worker is woken once the transaction commits.
    Publication events also raise ``contract_requiring_verification_published`` once per
    provider version that should verify the content and has not.
    """
    urls = Urls(base_url)
    webhooks_by_pair: dict[tuple[int, int], list[Webhook]] = {}

    def webhooks_for(event: Event) -> list[Webhook]:
        pair = (event.consumer_id, event.provider_id)
        if pair not in webhooks_by_pair:
            webhooks_by_pair[pair] = list(repo.matching_webhooks(session, *pair))
        return webhooks_by_pair[pair]

    events = list(events)
    for event in list(events):
        # Which provider versions must verify is only worth computing for someone listening.
        if event.name == CONTRACT_PUBLISHED and any(
            CONTRACT_REQUIRING_VERIFICATION_PUBLISHED in w.events for w in webhooks_for(event)
        ):
            events += required_verifications.events_for(session, event)
    events = _unique(events)
    notices: list[dict[str, str]] = []
    for event in events:
        subscribed = [w for w in webhooks_for(event) if event.name in w.events]
        if not subscribed:
            continue
        variables = template_variables(session, event, urls)
        for webhook in subscribed:
            triggered = TriggeredWebhook(
                uuid=str(uuids.uuid4()),
                webhook_id=webhook.id,
                webhook_uuid=webhook.uuid,
                event_name=event.name,
                context={"variables": variables},
                status="pending",
                attempts=0,
                next_attempt_at=utcnow(),
            )
            session.add(triggered)
            session.flush()
            session.info["webhooks_queued"] = True  # wakes the delivery worker on commit
            label = repr(webhook.description) if webhook.description else webhook.uuid
            notices.append(
                {
                    "type": "debug",
                    "text": (
                        f"  Webhook {label} triggered for event {event.name}.\n    See logs at "
                        f"{urls.triggered_webhook(triggered.uuid)}/logs"
                    ),
                }
            )
    return notices


def _unique(events: list[Event]) -> list[Event]:
    seen: set[tuple[str, int, int, str]] = set()
    unique = []
    for event in events:
        key = (
            event.name,
            event.consumer_id,
            event.provider_id,
            repr(sorted(event.context.items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(event)
    return unique
