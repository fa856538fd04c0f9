"""Webhooks, the deliveries they owe (triggered webhooks) and each attempt's log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contract_broker.models import TriggeredWebhook, Webhook, WebhookExecution

__all__ = [
    "executions_of",
    "find_triggered",
    "find_webhook",
    "list_webhooks",
    "matching_webhooks",
    "triggered_for_webhook",
]


def find_webhook(session: Session, uuid: str) -> Webhook | None:
    return session.scalar(select(Webhook).where(Webhook.uuid == uuid))


def list_webhooks(
    session: Session, *, consumer_id: int | None = None, provider_id: int | None = None
) -> Sequence[Webhook]:
    query = select(Webhook).order_by(Webhook.id)
    if consumer_id is not None:
        query = query.where(Webhook.consumer_id == consumer_id)
    if provider_id is not None:
        query = query.where(Webhook.provider_id == provider_id)
    return session.scalars(query).all()


def matching_webhooks(session: Session, consumer_id: int, provider_id: int) -> Sequence[Webhook]:
    """Enabled webhooks for this pair (or for any consumer / any provider)."""
    return session.scalars(
        select(Webhook)
        .where(
            Webhook.enabled.is_(True),
            or_(Webhook.consumer_id.is_(None), Webhook.consumer_id == consumer_id),
            or_(Webhook.provider_id.is_(None), Webhook.provider_id == provider_id),
        )
        .order_by(Webhook.id)
    ).all()


def find_triggered(session: Session, uuid: str) -> TriggeredWebhook | None:
    return session.scalar(select(TriggeredWebhook).where(TriggeredWebhook.uuid == uuid))


def triggered_for_webhook(
    session: Session, webhook_uuid: str, limit: int = 100
) -> Sequence[TriggeredWebhook]:
    return session.scalars(
        select(TriggeredWebhook)
        .where(TriggeredWebhook.webhook_uuid == webhook_uuid)
        .order_by(TriggeredWebhook.id.desc())
        .limit(limit)
    ).all()


def executions_of(session: Session, triggered_id: int) -> Sequence[WebhookExecution]:
    return session.scalars(
        select(WebhookExecution)
        .where(WebhookExecution.triggered_webhook_id == triggered_id)
        .order_by(WebhookExecution.id)
    ).all()
