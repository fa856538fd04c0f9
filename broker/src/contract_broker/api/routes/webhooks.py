"""Webhooks, test executions, and the delivery log (triggered webhooks), secrets redacted."""

from __future__ import annotations

from fastapi import APIRouter, Response

from contract_broker.api.deps import JsonBody, Name, SessionDep, SettingsDep, UrlsDep
from contract_broker.api.representations.webhook import (
    deliveries_json,
    execution_json,
    triggered_json,
    webhook_json,
    webhooks_json,
)
from contract_broker.hal import HalResponse
from contract_broker.services import webhook_views as views
from contract_broker.services import webhooks as service
from contract_broker.services.webhook_execution import execute_webhook as execute

__all__ = ["router"]

router = APIRouter(tags=["webhooks"])


@router.get("/webhooks", response_class=HalResponse)
def list_webhooks(session: SessionDep, urls: UrlsDep) -> HalResponse:
    return HalResponse(webhooks_json(views.list_webhooks(session), urls))


@router.post("/webhooks", response_class=HalResponse, status_code=201)
def create_webhook(
    body: JsonBody, session: SessionDep, settings: SettingsDep, urls: UrlsDep
) -> HalResponse:
    return HalResponse.created(webhook_json(service.create_webhook(session, settings, body), urls))


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
    view = service.create_pair_webhook(
        session, settings, body, provider_name=provider, consumer_name=consumer
    )
    return HalResponse.created(webhook_json(view, urls))


@router.get("/webhooks/{uuid}", response_class=HalResponse)
def get_webhook(uuid: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    return HalResponse(webhook_json(views.get_webhook(session, uuid), urls))


@router.put("/webhooks/{uuid}", response_class=HalResponse)
def put_webhook(
    uuid: Name, body: JsonBody, session: SessionDep, settings: SettingsDep, urls: UrlsDep
) -> HalResponse:
    """Create (201) or replace (200) the webhook with this uuid."""
    view, created = service.update_webhook(session, settings, uuid, body)
    if created:
        return HalResponse.created(webhook_json(view, urls))
    return HalResponse(webhook_json(view, urls))


@router.delete("/webhooks/{uuid}", status_code=204)
def delete_webhook(uuid: Name, session: SessionDep) -> Response:
    service.delete_webhook(session, uuid)
    return Response(status_code=204)


@router.post("/webhooks/{uuid}/execute", response_class=HalResponse)
def execute_webhook(
    uuid: Name, session: SessionDep, settings: SettingsDep, urls: UrlsDep
) -> HalResponse:
    """Send the webhook once now (``pact broker test-webhook``) and show what happened."""
    return HalResponse(execution_json(execute(session, settings, uuid, urls), uuid, urls))


@router.get("/webhooks/{uuid}/triggered-webhooks", response_class=HalResponse)
def webhook_deliveries(uuid: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """The delivery log of one webhook, newest first."""
    return HalResponse(deliveries_json(views.deliveries_of(session, uuid), uuid, urls))


@router.get("/triggered-webhooks/{uuid}", response_class=HalResponse)
def get_triggered(uuid: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    return HalResponse(triggered_json(views.find_triggered(session, uuid), urls))


@router.get("/triggered-webhooks/{uuid}/logs", response_class=HalResponse)
def triggered_logs(uuid: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    return HalResponse(triggered_json(views.find_triggered(session, uuid), urls))
