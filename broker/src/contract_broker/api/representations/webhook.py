"""HAL shapes of webhooks, test executions and deliveries (secrets redacted)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract_broker.hal import Urls, iso, link
from contract_broker.services.webhook_execution import Execution
from contract_broker.services.webhook_views import TriggeredView, WebhookView
from contract_broker.services.webhooks import redacted_request

__all__ = [
    "deliveries_json",
    "execution_json",
    "triggered_json",
    "webhook_json",
    "webhooks_json",
]


def webhook_json(view: WebhookView, urls: Urls) -> dict[str, Any]:
    """A definition: whom it covers (by name or label), its request, its events."""
    webhook = view.webhook
    self_url = urls.webhook(webhook.uuid)
    body: dict[str, Any] = {"uuid": webhook.uuid, "description": webhook.description}
    links: dict[str, Any] = {
        "self": link(self_url, title=webhook.description or "Webhook"),
        "pb:execute": link(self_url + "/execute", title="Test the execution of the webhook"),
        "pb:webhooks": link(urls("webhooks"), title="All webhooks"),
        "pb:triggered-webhooks": link(
            self_url + "/triggered-webhooks", title="Deliveries of this webhook"
        ),
    }
    for key, pacticipant, label in (
        ("consumer", view.consumer, webhook.consumer_label),
        ("provider", view.provider, webhook.provider_label),
    ):
        if pacticipant is not None:
            body[key] = {"name": pacticipant.name}
            links[f"pb:{key}"] = link(
                urls.pacticipant(pacticipant.name), title=key.title(), name=pacticipant.name
            )
        elif label is not None:
            body[key] = {"label": label}
            links[f"pb:{key}s"] = link(
                urls("pacticipants", "label", label), title=f"{key.title()}s by label", name=label
            )
    body.update(
        {
            "enabled": webhook.enabled,
            "request": redacted_request(webhook.request),
            "events": [{"name": name} for name in webhook.events],
            "createdAt": iso(webhook.created_at),
            "updatedAt": iso(webhook.updated_at),
            "_links": links,
        }
    )
    return body


def webhooks_json(views: Sequence[WebhookView], urls: Urls) -> dict[str, Any]:
    """``GET /webhooks``."""
    return {
        "_embedded": {"webhooks": [webhook_json(v, urls) for v in views]},
        "_links": {
            "self": link(urls("webhooks"), title="Webhooks"),
            "pb:create": link(urls("webhooks"), title="POST to create a webhook"),
            "pb:webhooks": [
                link(urls.webhook(v.webhook.uuid), title=v.webhook.description or v.webhook.uuid)
                for v in views
            ],
        },
    }


def execution_json(execution: Execution, uuid: str, urls: Urls) -> dict[str, Any]:
    """``POST /webhooks/{uuid}/execute``: what was sent and what came back."""
    outcome = execution.outcome
    return {
        "success": outcome.success,
        "request": {"method": execution.method, "url": execution.url},
        "response": {"status": outcome.status},
        "logs": outcome.logs,
        "message": "Webhook executed" if outcome.success else "Webhook execution failed",
        "_links": {"self": link(urls.webhook(uuid) + "/execute")},
    }


def triggered_json(view: TriggeredView, urls: Urls) -> dict[str, Any]:
    """One delivery with its attempts."""
    triggered = view.triggered
    return {
        "uuid": triggered.uuid,
        "webhookUuid": triggered.webhook_uuid,
        "eventName": triggered.event_name,
        "status": triggered.status,
        "attempts": triggered.attempts,
        "nextAttemptAt": iso(triggered.next_attempt_at),
        "createdAt": iso(triggered.created_at),
        "_links": {
            "self": link(urls.triggered_webhook(triggered.uuid), title="Triggered webhook"),
            "pb:logs": link(
                urls.triggered_webhook(triggered.uuid) + "/logs", title="Delivery logs"
            ),
            "pb:webhook": link(urls.webhook(triggered.webhook_uuid), title="Webhook"),
        },
        "executions": [
            {"success": e.success, "createdAt": iso(e.created_at), "logs": e.logs}
            for e in view.executions
        ],
    }


def deliveries_json(views: Sequence[TriggeredView], uuid: str, urls: Urls) -> dict[str, Any]:
    """``GET /webhooks/{uuid}/triggered-webhooks``: newest first."""
    return {
        "_embedded": {"triggeredWebhooks": [triggered_json(v, urls) for v in views]},
        "_links": {"self": link(urls.webhook(uuid) + "/triggered-webhooks")},
    }
