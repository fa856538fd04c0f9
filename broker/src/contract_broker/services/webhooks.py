"""Webhooks: definitions, and triggering them from events.

A definition is validated as HTTP requires (``webhook_requests``, template variables filled in
with a sample value) and as the allow-lists require; it selects its consumer and its provider by
name, by label, or not at all (any).

A triggered webhook is a row holding everything its delivery needs (the rendered template
variables), so deliveries survive a restart and are retried by ``webhook_delivery``.
"""

from __future__ import annotations

import re
import uuid as uuids
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Conflict, Invalid, NotFound
from contract_broker.hal import Urls
from contract_broker.models import (
    Pacticipant,
    PactPublication,
    PactVersion,
    TriggeredWebhook,
    Verification,
    Version,
    Webhook,
    utcnow,
)
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import pacts as pact_repo
from contract_broker.repositories import webhooks as repo
from contract_broker.repositories.unique import insert_new
from contract_broker.services import required_verifications
from contract_broker.services.events import (
    CONTRACT_CONTENT_CHANGED,
    CONTRACT_PUBLISHED,
    CONTRACT_REQUIRING_VERIFICATION_PUBLISHED,
    EVENT_NAMES,
    Event,
)
from contract_broker.services.names import check_name
from contract_broker.services.pacticipants import get_pacticipant
from contract_broker.services.pacts import encode_metadata
from contract_broker.services.webhook_requests import (
    header_name_problem,
    header_value_problem,
    method_problem,
    url_problem,
)
from contract_broker.services.webhook_security import check_definition
from contract_broker.services.webhook_views import WebhookView, view_of
from contract_broker.settings import Settings

__all__ = [
    "REDACTED",
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
REDACTED = "**********"
SECRET_HEADER = re.compile(r"authorization|token", re.IGNORECASE)
TEMPLATE = re.compile(r"\$\{pactbroker\.([A-Za-z]+)\}")
SAMPLE_VALUE = "placeholder"


def get_webhook(session: Session, uuid: str) -> Webhook:
    webhook = repo.find_webhook(session, uuid)
    if webhook is None:
        raise NotFound(f"No webhook with uuid '{uuid}' found")
    return webhook


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


def _definition(session: Session, settings: Settings, body: dict[str, Any]) -> dict[str, Any]:
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


def create_webhook(session: Session, settings: Settings, body: dict[str, Any]) -> WebhookView:
    """POST: a new webhook, with a uuid of its own."""
    values = _definition(session, settings, body)
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
    values = _definition(session, settings, body)
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


def render(template: Any, variables: dict[str, str], *, escape: Any = None) -> Any:
    """``${pactbroker.x}`` replaced in a string, or in every string of a JSON value."""
    if isinstance(template, str):

        def value(match: re.Match[str]) -> str:
            found = variables.get(match.group(1), "")
            return escape(found) if escape else found

        return TEMPLATE.sub(value, template)
    if isinstance(template, dict):
        return {
            render(k, variables): render(v, variables, escape=escape) for k, v in template.items()
        }
    if isinstance(template, list):
        return [render(item, variables, escape=escape) for item in template]
    return template


def _names(values: list[str]) -> str:
    return ", ".join(values)


def template_variables(session: Session, event: Event, urls: Urls) -> dict[str, str]:
    """The ``${pactbroker.*}`` values for ``event``, computed when it happens."""
    publication = session.get(PactPublication, event.context["publication_id"])
    assert publication is not None
    pact_version = session.get(PactVersion, publication.pact_version_id)
    consumer = session.get(Pacticipant, publication.consumer_id)
    provider = session.get(Pacticipant, publication.provider_id)
    assert pact_version is not None
    assert consumer is not None
    assert provider is not None
    consumer_version = publication.consumer_version
    consumer_details = _version_names(session, consumer_version)
    labels = repo.label_names(session, [consumer.id, provider.id])
    variables = {
        "eventName": event.name,
        "consumerName": consumer.name,
        "providerName": provider.name,
        "consumerVersionNumber": consumer_version.number,
        "consumerVersionTags": _names(consumer_details["tags"]),
        "consumerVersionBranch": _names(consumer_details["branches"]),
        "consumerLabels": _names(labels[consumer.id]),
        "providerLabels": _names(labels[provider.id]),
        "pactUrl": urls.pact_version(
            provider.name,
            consumer.name,
            pact_version.sha,
            encode_metadata({"cv": consumer_version.number}),
        ),
        "buildUrl": consumer_version.build_url or "",
        "verificationResultUrl": "",
        "providerVersionNumber": "",
        "providerVersionTags": "",
        "providerVersionBranch": "",
        "providerVersionDescriptions": "",
        "currentlyDeployedProviderVersionNumber": "",
    }
    status = "pending"
    provider_version: Version | None = None
    verification_id = event.context.get("verification_id")
    if verification_id is not None:
        verification = session.get(Verification, verification_id)
        assert verification is not None
        provider_version = verification.provider_version
        status = "success" if verification.success else "failure"
        variables["verificationResultUrl"] = urls.verification(
            provider.name, consumer.name, pact_version.sha, verification.number
        )
        variables["buildUrl"] = verification.build_url or ""
    elif event.context.get("provider_version_id") is not None:
        provider_version = session.get(Version, event.context["provider_version_id"])
    if provider_version is not None:
        names = _version_names(session, provider_version)
        variables["providerVersionNumber"] = provider_version.number
        variables["providerVersionTags"] = _names(names["tags"])
        variables["providerVersionBranch"] = _names(names["branches"])
        variables["providerVersionDescriptions"] = event.context.get("description", "")
    variables["githubVerificationStatus"] = status
    variables["gitlabVerificationStatus"] = {"success": "success", "failure": "failed"}.get(
        status, "running"
    )
    variables["bitbucketVerificationStatus"] = {"success": "SUCCESSFUL", "failure": "FAILED"}.get(
        status, "INPROGRESS"
    )
    variables["azureDevOpsVerificationStatus"] = {"success": "succeeded", "failure": "failed"}.get(
        status, "pending"
    )
    return variables


def _covers(session: Session, webhook: Webhook) -> Callable[[PactPublication], bool]:
    """Whether a pact's consumer and provider are ones ``webhook`` fires for."""
    consumers = repo.labelled(session, webhook.consumer_label) if webhook.consumer_label else None
    providers = repo.labelled(session, webhook.provider_label) if webhook.provider_label else None

    def side(pacticipant_id: int, wanted_id: int | None, labelled: set[int] | None) -> bool:
        if labelled is not None:
            return pacticipant_id in labelled
        return wanted_id in (None, pacticipant_id)

    return lambda p: (
        side(p.consumer_id, webhook.consumer_id, consumers)
        and side(p.provider_id, webhook.provider_id, providers)
    )


def sample_variables(session: Session, webhook: Webhook, urls: Urls) -> dict[str, str]:
    """Variables to test ``webhook`` with: from the latest pact it covers, else placeholders."""
    if webhook.consumer_id is not None and webhook.provider_id is not None:
        publication = pact_repo.latest_publication(
            session, webhook.consumer_id, webhook.provider_id
        )
    else:
        covers = _covers(session, webhook)
        latest = [
            p
            for p in pact_repo.latest_publications_per_integration(session, webhook.provider_id)
            if covers(p)
        ]
        publication = latest[0] if latest else None
    if publication is None:
        return {
            name: f"placeholder-{name}"
            for name in (
                "pactUrl",
                "consumerName",
                "providerName",
                "consumerVersionNumber",
                "providerVersionNumber",
                "consumerVersionBranch",
                "providerVersionBranch",
            )
        }
    event = Event(
        CONTRACT_CONTENT_CHANGED,
        publication.consumer_id,
        publication.provider_id,
        {"publication_id": publication.id},
    )
    return template_variables(session, event, urls)


def _version_names(session: Session, version: Version) -> dict[str, list[str]]:
    tags = pacticipant_repo.tags_of_versions(session, [version.id])[version.id]
    branches = pacticipant_repo.branches_of_versions(session, [version.id])[version.id]
    return {"tags": [t.name for t in tags], "branches": [b.branch_name for b in branches]}


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
