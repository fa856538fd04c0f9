"""What the webhook resources show: definitions with their pacticipants, and delivery logs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from contract_broker.errors import NotFound
from contract_broker.models import Pacticipant, TriggeredWebhook, Webhook, WebhookExecution
from contract_broker.repositories import webhooks as repo

__all__ = [
    "TriggeredView",
    "WebhookView",
    "deliveries_of",
    "find_triggered",
    "get_webhook",
    "list_webhooks",
    "view_of",
]


@dataclass(frozen=True)
class WebhookView:
    """A webhook definition with the consumer and provider it names (None: by label, or any)."""

    webhook: Webhook
    consumer: Pacticipant | None
    provider: Pacticipant | None


@dataclass(frozen=True)
class TriggeredView:
    """A queued delivery of a webhook and its attempts so far."""

    triggered: TriggeredWebhook
    executions: list[WebhookExecution]


def view_of(session: Session, webhook: Webhook) -> WebhookView:
    def named(pacticipant_id: int | None) -> Pacticipant | None:
        return None if pacticipant_id is None else session.get(Pacticipant, pacticipant_id)

    return WebhookView(webhook, named(webhook.consumer_id), named(webhook.provider_id))


def get_webhook(session: Session, uuid: str) -> WebhookView:
    """One webhook, by its uuid."""
    webhook = repo.find_webhook(session, uuid)
    if webhook is None:
        raise NotFound(f"No webhook with uuid '{uuid}' found")
    return view_of(session, webhook)


def list_webhooks(session: Session) -> list[WebhookView]:
    """Every webhook, oldest first."""
    return [view_of(session, w) for w in repo.list_webhooks(session)]


def _triggered_view(session: Session, triggered: TriggeredWebhook) -> TriggeredView:
    return TriggeredView(triggered, list(repo.executions_of(session, triggered.id)))


def deliveries_of(session: Session, uuid: str) -> list[TriggeredView]:
    """The delivery log of one webhook, newest first."""
    if repo.find_webhook(session, uuid) is None:
        raise NotFound(f"No webhook with uuid '{uuid}' found")
    return [_triggered_view(session, t) for t in repo.triggered_for_webhook(session, uuid)]


def find_triggered(session: Session, uuid: str) -> TriggeredView:
    """One queued delivery, by its uuid."""
    triggered = repo.find_triggered(session, uuid)
    if triggered is None:
        raise NotFound(f"No triggered webhook with uuid '{uuid}' found")
    return _triggered_view(session, triggered)
