"""Sending a webhook once now, with sample values (``pact broker test-webhook``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from contract_broker.hal import Urls
from contract_broker.services import webhooks
from contract_broker.services.webhook_delivery import Delivery, build_request, safe_url, send
from contract_broker.settings import Settings

__all__ = ["Execution", "execute_webhook"]


@dataclass(frozen=True)
class Execution:
    """What a test execution sent (its URL without credentials) and what came back."""

    method: str
    url: str
    outcome: Delivery


def execute_webhook(session: Session, settings: Settings, uuid: str, urls: Urls) -> Execution:
    """Send the webhook once, filled in from the latest pact it covers (else placeholders)."""
    webhook = webhooks.get_webhook(session, uuid)
    # A definition stored before definitions were validated may not be sendable: send() then
    # reports a failed execution with the reason in its logs, never an error.
    variables = webhooks.sample_variables(session, webhook, urls)
    request = build_request(dict(webhook.request), variables)
    outcome = send(request, settings)
    return Execution(request.method, safe_url(request.url), outcome)
