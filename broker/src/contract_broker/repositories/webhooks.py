"""Webhooks, the deliveries they owe (triggered webhooks) and each attempt's log; which
webhooks a pair of pacticipants triggers (by id or by label)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from contract_broker.models import PacticipantLabel, TriggeredWebhook, Webhook, WebhookExecution

__all__ = [
    "delete_webhook",
    "executions_of",
    "find_triggered",
    "find_webhook",
    "label_names",
    "labelled",
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


def _selects(
    pacticipant_id: int,
    by_id: InstrumentedAttribute[int | None],
    by_label: InstrumentedAttribute[str | None],
) -> ColumnElement[bool]:
    """A webhook side selects the pacticipant by id, by one of its labels, or selects anyone."""
    labelled = (
        select(PacticipantLabel.id)
        .where(PacticipantLabel.pacticipant_id == pacticipant_id, PacticipantLabel.name == by_label)
        .exists()
    )
    return or_(
        by_id == pacticipant_id,
        and_(by_id.is_(None), by_label.is_(None)),
        labelled,
    )


def matching_webhooks(session: Session, consumer_id: int, provider_id: int) -> Sequence[Webhook]:
    """Enabled webhooks for this pair: each side names the pacticipant, one of its labels, or
    no one (any pacticipant), as the Pact Broker's ``find_by_consumer_and_or_provider``."""
    return session.scalars(
        select(Webhook)
        .where(
            Webhook.enabled.is_(True),
            _selects(consumer_id, Webhook.consumer_id, Webhook.consumer_label),
            _selects(provider_id, Webhook.provider_id, Webhook.provider_label),
        )
        .order_by(Webhook.id)
    ).all()


def labelled(session: Session, label: str) -> set[int]:
    """The ids of the pacticipants that have ``label``."""
    return set(
        session.scalars(
            select(PacticipantLabel.pacticipant_id).where(PacticipantLabel.name == label)
        )
    )


def label_names(session: Session, pacticipant_ids: Iterable[int]) -> dict[int, list[str]]:
    """``{pacticipant id: its label names, sorted}``, in one query."""
    wanted = set(pacticipant_ids)
    names: dict[int, list[str]] = {pacticipant_id: [] for pacticipant_id in wanted}
    if wanted:
        rows = session.execute(
            select(PacticipantLabel.pacticipant_id, PacticipantLabel.name)
            .where(PacticipantLabel.pacticipant_id.in_(wanted))
            .order_by(PacticipantLabel.name)
        )
        for pacticipant_id, name in rows:
            names[pacticipant_id].append(name)
    return names


def delete_webhook(session: Session, webhook_id: int) -> bool:
    """Delete the webhook (its deliveries keep their logs); False when a concurrent request
    deleted it first."""
    deleted = session.scalar(delete(Webhook).where(Webhook.id == webhook_id).returning(Webhook.id))
    return deleted is not None


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
