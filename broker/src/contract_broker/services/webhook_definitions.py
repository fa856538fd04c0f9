"""A webhook's definition from a request body, validated as HTTP and the allow-lists require;
and its request as shown, without secrets.

Template variables in the URL and headers are filled in with a sample value to validate them;
the consumer and the provider are selected by name, by label, or not at all (any).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Invalid
from contract_broker.models import Pacticipant
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.services.events import CONTRACT_CONTENT_CHANGED, EVENT_NAMES
from contract_broker.services.names import check_name
from contract_broker.services.webhook_requests import (
    header_name_problem,
    header_value_problem,
    method_problem,
    url_problem,
)
from contract_broker.services.webhook_security import check_definition
from contract_broker.services.webhook_templates import TEMPLATE
from contract_broker.settings import Settings

__all__ = ["REDACTED", "SECRET_HEADER", "definition_from", "redacted_request"]

REDACTED = "**********"
SECRET_HEADER = re.compile(r"authorization|token", re.IGNORECASE)
SAMPLE_VALUE = "placeholder"


def _provided(value: Any) -> bool:
    """Ruby's ``provided?``: present, and not blank when a string."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _pacticipant(
    session: Session, body: dict[str, Any], key: str, errors: dict[str, list[str]]
) -> tuple[Pacticipant | None, str | None]:
    """The pacticipant a webhook names, or the label selecting its pacticipants.

    As the Pact Broker's ``WebhookPacticipantContract``: one of ``name`` and ``label``.
    """
    value = body.get(key)
    if value is None:
        return None, None
    if not isinstance(value, dict):
        errors[key] = ['must be an object like {"name": "..."} or {"label": "..."}']
        return None, None
    name, label = value.get("name"), value.get("label")
    if not _provided(name) and not _provided(label):
        errors[f"{key}.name"] = ["cannot be blank (give a name, or a label instead)"]
        return None, None
    if _provided(name) and _provided(label):
        errors[f"{key}.label"] = ["name and label cannot be provided at the same time"]
        return None, None
    field = "name" if _provided(name) else "label"
    try:
        given = check_name(f"{key}.{field}", value[field])
    except Invalid as exc:
        errors.update(exc.errors)
        return None, None
    if field == "label":
        return None, given
    found = pacticipant_repo.find_pacticipant(session, given)
    if found is None:
        errors[f"{key}.name"] = [f"No pacticipant with name '{given}' found"]
    return found, None


def _with_sample_values(template: str) -> str:
    """``template`` with every ``${pactbroker.*}`` replaced by a sample value, to validate it."""
    return TEMPLATE.sub(SAMPLE_VALUE, template)


def _request_errors(settings: Settings, request: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with a webhook's request: allow-lists, and what HTTP allows (RFC 9110)."""
    errors: dict[str, list[str]] = {}
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not method.strip():
        errors["request.method"] = ["is missing"]
    if not isinstance(url, str) or not url.strip():
        errors["request.url"] = ["is missing"]
    if not errors:
        method_reason = method_problem(str(method))
        url_reason = url_problem(_with_sample_values(str(url)))
        if url_reason is None:
            try:
                errors.update(
                    check_definition(
                        str(method),
                        str(url),
                        schemes=settings.webhook_scheme_whitelist,
                        methods=settings.webhook_http_method_whitelist,
                        hosts=settings.webhook_host_whitelist,
                    )
                )
            except ValueError as exc:  # parses with sample values, not as written
                url_reason = f"it does not parse ({exc})"
        if url_reason is not None:
            errors["request.url"] = [f"Invalid URL '{url}': {url_reason}"]
        if method_reason is not None:
            errors["request.method"] = [method_reason]
    headers = request.get("headers")
    if headers is not None and not isinstance(headers, dict):
        errors["request.headers"] = ['must be an object like {"Content-Type": "application/json"}']
    elif headers is not None:
        for name, value in headers.items():
            if not isinstance(value, str):
                problem: str | None = f"must be a string, not {type(value).__name__}"
            else:
                problem = header_name_problem(_with_sample_values(name)) or header_value_problem(
                    _with_sample_values(value)
                )
            if problem is not None:
                errors[f"request.headers.{name}"] = [problem]
    for key in ("username", "password"):
        if request.get(key) is not None and not isinstance(request[key], str):
            errors[f"request.{key}"] = ["must be a string"]
    return errors


def definition_from(session: Session, settings: Settings, body: dict[str, Any]) -> dict[str, Any]:
    """The columns of a webhook defined by ``body``; ``Invalid`` naming each bad field."""
    request = body.get("request")
    if not isinstance(request, dict):
        raise Invalid({"request": ["is missing (an object with method and url)"]})
    errors = _request_errors(settings, request)
    raw_events = body.get("events")
    if raw_events is None:
        events = [CONTRACT_CONTENT_CHANGED]
    elif not isinstance(raw_events, list) or not raw_events:
        errors["events"] = ['must be a non-empty list of {"name": ...}']
        events = []
    else:
        events = []
        for index, event in enumerate(raw_events):
            name = event.get("name") if isinstance(event, dict) else None
            if name not in EVENT_NAMES:
                errors[f"events.{index}.name"] = [f"must be one of {', '.join(EVENT_NAMES)}"]
            else:
                events.append(name)
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        errors["description"] = ["must be a string"]
    elif description is not None and "\x00" in description:
        errors["description"] = ["cannot contain a NUL character"]
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        errors["enabled"] = ["must be a boolean"]
    consumer, consumer_label = _pacticipant(session, body, "consumer", errors)
    provider, provider_label = _pacticipant(session, body, "provider", errors)
    if errors:
        raise Invalid(errors)
    return {
        "description": description,
        "enabled": enabled,
        "consumer_id": consumer.id if consumer else None,
        "provider_id": provider.id if provider else None,
        "consumer_label": consumer_label,
        "provider_label": provider_label,
        "events": list(dict.fromkeys(events)),
        "request": {
            "method": str(request["method"]).upper(),
            "url": request["url"],
            "headers": request.get("headers") or {},
            "body": request.get("body"),
            "username": request.get("username"),
            "password": request.get("password"),
        },
    }


def redacted_request(request: dict[str, Any]) -> dict[str, Any]:
    """The request definition with its password and secret headers hidden."""
    shown = {k: v for k, v in request.items() if v is not None or k in {"body"}}
    if request.get("password") is not None:
        shown["password"] = REDACTED
    shown["headers"] = {
        name: (REDACTED if SECRET_HEADER.search(name) else value)
        for name, value in (request.get("headers") or {}).items()
    }
    return shown
