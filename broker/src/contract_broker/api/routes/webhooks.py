"""Webhooks, test executions, and the delivery log (triggered webhooks), secrets redacted."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from contract_broker.api.deps import JsonBody, Name, SessionDep, SettingsDep, UrlsDep
from contract_broker.errors import NotFound
from contract_broker.hal import HalResponse, Urls, iso, link
from contract_broker.models import Pacticipant, TriggeredWebhook, Webhook
from contract_broker.repositories import webhooks as repo
from contract_broker.services import webhooks as service
from contract_broker.services.pacticipants import get_pacticipant
from contract_broker.services.webhook_delivery import build_request, safe_url, send

router = APIRouter(tags=["webhooks"])


def webhook_json(webhook: Webhook, urls: Urls, session: Any) -> dict[str, Any]:
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
    for key, pacticipant_id, label in (
        ("consumer", webhook.consumer_id, webhook.consumer_label),
        ("provider", webhook.provider_id, webhook.provider_label),
    ):
        if pacticipant_id is not None:
            pacticipant = session.get(Pacticipant, pacticipant_id)
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
            "request": service.redacted_request(webhook.request),
            "events": [{"name": name} for name in webhook.events],
            "createdAt": iso(webhook.created_at),
            "updatedAt": iso(webhook.updated_at),
            "_links": links,
        }
    )
    return body


@router.get("/webhooks", response_class=HalResponse)
def list_webhooks(session: SessionDep, urls: UrlsDep) -> HalResponse:
    webhooks = repo.list_webhooks(session)
    return HalResponse(
        {
            "_embedded": {"webhooks": [webhook_json(w, urls, session) for w in webhooks]},
            "_links": {
                "self": link(urls("webhooks"), title="Webhooks"),
                "pb:create": link(urls("webhooks"), title="POST to create a webhook"),
                "pb:webhooks": [
                    link(urls.webhook(w.uuid), title=w.description or w.uuid) for w in webhooks
                ],
            },
        }
    )


def _created(webhook: Webhook, urls: Urls, session: Any) -> HalResponse:
    return HalResponse.created(webhook_json(webhook, urls, session))


@router.post("/webhooks", response_class=HalResponse, status_code=201)
def create_webhook(
    body: JsonBody, session: SessionDep, settings: SettingsDep, urls: UrlsDep
) -> HalResponse:
    return _created(service.create_webhook(session, settings, body), urls, session)


@router.post(
    "/webhooks/provider/{provider}/consumer/{consumer}", response_class=HalResponse, status_code=201
)
def create_pair_webhook(
    provider: Name,
    consumer: Name,
    body: JsonBody,
    session: SessionDep,
    settings: SettingsDep,
    urls: UrlsDep,
) -> HalResponse:
    get_pacticipant(session, provider)
    get_pacticipant(session, consumer)
    body = {**body, "provider": {"name": provider}, "consumer": {"name": consumer}}
    return _created(service.create_webhook(session, settings, body), urls, session)


@router.get("/webhooks/{uuid}", response_class=HalResponse)
def get_webhook(uuid: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    return HalResponse(webhook_json(service.get_webhook(session, uuid), urls, session))


@router.put("/webhooks/{uuid}", response_class=HalResponse)
def put_webhook(
    uuid: Name, body: JsonBody, session: SessionDep, settings: SettingsDep, urls: UrlsDep
) -> HalResponse:
    """Create (201) or replace (200) the webhook with this uuid."""
    webhook, created = service.update_webhook(session, settings, uuid, body)
    if created:
        return _created(webhook, urls, session)
    return HalResponse(webhook_json(webhook, urls, session))


@router.delete("/webhooks/{uuid}", status_code=204)
def delete_webhook(uuid: Name, session: SessionDep) -> Response:
    service.delete_webhook(session, uuid)
    return Response(status_code=204)


@router.post("/webhooks/{uuid}/execute", response_class=HalResponse)
def execute_webhook(
    uuid: Name, session: SessionDep, settings: SettingsDep, urls: UrlsDep
) -> HalResponse:
    """Send the webhook once now (``pact broker test-webhook``) and show what happened."""
    webhook = service.get_webhook(session, uuid)
    # A definition stored before definitions were validated may not be sendable: send() then
    # reports a failed execution with the reason in its logs, never an error.
    request = build_request(dict(webhook.request), service.sample_variables(session, webhook, urls))
    outcome = send(request, settings)
    return HalResponse(
        {
            "success": outcome.success,
            "request": {"method": request.method, "url": safe_url(request.url)},
            "response": {"status": outcome.status},
            "logs": outcome.logs,
            "message": "Webhook executed" if outcome.success else "Webhook execution failed",
            "_links": {"self": link(urls.webhook(uuid) + "/execute")},
        }
    )


def triggered_json(
    triggered: TriggeredWebhook, urls: Urls, session: Any, *, with_logs: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {
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
    }
    if with_logs:
        body["executions"] = [
            {"success": e.success, "createdAt": iso(e.created_at), "logs": e.logs}
            for e in repo.executions_of(session, triggered.id)
        ]
    return body


@router.get("/webhooks/{uuid}/triggered-webhooks", response_class=HalResponse)
def webhook_deliveries(uuid: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """The delivery log of one webhook, newest first."""
    service.get_webhook(session, uuid)
    rows = repo.triggered_for_webhook(session, uuid)
    return HalResponse(
        {
            "_embedded": {
                "triggeredWebhooks": [
                    triggered_json(t, urls, session, with_logs=True) for t in rows
                ]
            },
            "_links": {"self": link(urls.webhook(uuid) + "/triggered-webhooks")},
        }
    )


def _triggered(session: Any, uuid: str) -> TriggeredWebhook:
    triggered = repo.find_triggered(session, uuid)
    if triggered is None:
        raise NotFound(f"No triggered webhook with uuid '{uuid}' found")
    return triggered


@router.get("/triggered-webhooks/{uuid}", response_class=HalResponse)
def get_triggered(uuid: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    return HalResponse(triggered_json(_triggered(session, uuid), urls, session, with_logs=True))


@router.get("/triggered-webhooks/{uuid}/logs", response_class=HalResponse)
def triggered_logs(uuid: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    return HalResponse(triggered_json(_triggered(session, uuid), urls, session, with_logs=True))
