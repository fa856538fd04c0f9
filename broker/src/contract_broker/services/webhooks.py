"""Webhooks: creating, replacing, reading and deleting definitions.

A body is validated in ``webhook_definitions``; template variables are computed and rendered in
``webhook_templates``; deliveries for events are queued in ``webhook_triggers``. The names other
modules use from those are re-exported here.
"""

from __future__ import annotations

import re
import uuid as uuids
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Conflict, Invalid, NotFound
from contract_broker.models import Webhook
from contract_broker.repositories import webhooks as repo
from contract_broker.repositories.unique import insert_new
from contract_broker.services.pacticipants import get_pacticipant
from contract_broker.services.webhook_definitions import (
    REDACTED,
    SECRET_HEADER,
    definition_from,
    redacted_request,
)
from contract_broker.services.webhook_templates import render, sample_variables, template_variables
from contract_broker.services.webhook_triggers import trigger
from contract_broker.services.webhook_views import WebhookView, view_of
from contract_broker.settings import Settings

__all__ = [
    "REDACTED",
    "SECRET_HEADER",
    "create_pair_webhook",
    "create_webhook",
    "delete_webhook",
    "get_webhook",
    "redacted_request",
    "render",
    "sample_variables",
    "template_variables",
    "trigger",
    "update_webhook",
]

UUID_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")


def get_webhook(session: Session, uuid: str) -> Webhook:
    webhook = repo.find_webhook(session, uuid)
    if webhook is None:
        raise NotFound(f"No webhook with uuid '{uuid}' found")
    return webhook


def create_webhook(session: Session, settings: Settings, body: dict[str, Any]) -> WebhookView:
    """POST: a new webhook, with a uuid of its own."""
    values = definition_from(session, settings, body)
    webhook = Webhook(uuid=str(uuids.uuid4()), **values)
    session.add(webhook)
    session.flush()
    return view_of(session, webhook)


def create_pair_webhook(
    session: Session,
    settings: Settings,
    body: dict[str, Any],
    *,
    provider_name: str,
    consumer_name: str,
) -> WebhookView:
    """POST to a pair's URL: a new webhook for that consumer and provider (both must exist)."""
    get_pacticipant(session, provider_name)
    get_pacticipant(session, consumer_name)
    body = {**body, "provider": {"name": provider_name}, "consumer": {"name": consumer_name}}
    return create_webhook(session, settings, body)


def update_webhook(
    session: Session, settings: Settings, uuid: str, body: dict[str, Any]
) -> tuple[WebhookView, bool]:
    """PUT: create (True) or replace the webhook with this uuid.

    Of concurrent PUTs of a new uuid, the database decides which one creates it; the others
    replace what it created, as they would have a moment later.
    """
    if not UUID_PATTERN.match(uuid):
        raise Invalid({"uuid": ["must be 16 to 64 letters, digits, '-' or '_'"]})
    values = definition_from(session, settings, body)
    webhook = repo.find_webhook(session, uuid)
    if webhook is None:
        created = insert_new(session, Webhook, {"uuid": uuid, **values})
        if created is not None:
            return view_of(session, created), True
        webhook = repo.find_webhook(session, uuid)
        if webhook is None:
            raise Conflict(
                f"The webhook with uuid '{uuid}' was created and deleted by other requests at "
                "the same time; retry the request"
            )
    if values["request"].get("password") == REDACTED:
        values["request"]["password"] = webhook.request.get("password")
    for column, value in values.items():
        setattr(webhook, column, value)
    session.flush()
    return view_of(session, webhook), False


def delete_webhook(session: Session, uuid: str) -> None:
    if not repo.delete_webhook(session, get_webhook(session, uuid).id):
        raise NotFound(f"No webhook with uuid '{uuid}' found")
