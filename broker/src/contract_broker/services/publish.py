"""Publishing pacts: ``POST /contracts/publish`` and the legacy ``PUT /pacts/...``.

Content is immutable per consumer version and provider: publishing different content for an
existing consumer version is a conflict (409) and changes nothing, unless dangerous contract
modification is allowed. Identical content is accepted with "no changes".

Each publish queues the webhook deliveries its events call for in the same transaction as the
pacts (``webhooks.trigger``): they are committed, or rolled back, together.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Conflict, Invalid
from contract_broker.models import Pacticipant, PactPublication, PactVersion, Tag, Version
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import pacts as repo
from contract_broker.repositories.unique import insert_or_get
from contract_broker.services import pacticipants, webhooks
from contract_broker.services.content import (
    canonical_json,
    interactions_of,
    pact_sha,
    parse_pact,
    with_interaction_ids,
)
from contract_broker.services.events import (
    CONTRACT_CONTENT_CHANGED,
    CONTRACT_PUBLISHED,
    Event,
)
from contract_broker.services.names import check_name
from contract_broker.services.pacts import PactDetail, detail_of, view_of
from contract_broker.settings import Settings

__all__ = [
    "ContractToPublish",
    "PublishRequest",
    "PublishResult",
    "PublishedPact",
    "StoredPact",
    "parse_publish_request",
    "publish_contracts",
    "publish_pact",
]

MERGE = "merge"
OVERWRITE = "overwrite"


@dataclass(frozen=True)
class ContractToPublish:
    consumer_name: str
    provider_name: str
    content: dict[str, Any]
    merge: bool


@dataclass(frozen=True)
class PublishRequest:
    pacticipant_name: str
    version_number: str
    branch: str | None
    tags: tuple[str, ...]
    build_url: str | None
    contracts: tuple[ContractToPublish, ...]


@dataclass
class StoredPact:
    """One stored pact and what publishing it did."""

    publication: PactPublication
    provider: Pacticipant
    outcome: str  # created | unchanged | modified | merged
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class PublishedPact:
    """The legacy publish's answer: what it did, the pact as served, and webhook notices."""

    outcome: str  # created | unchanged | modified | merged
    detail: PactDetail
    notices: list[dict[str, str]]


@dataclass
class PublishResult:
    pacticipant: Pacticipant
    version: Version
    version_created: bool
    tags: list[Tag]
    pacts: list[StoredPact]
    notices: list[dict[str, str]]

    @property
    def events(self) -> list[Event]:
        return [event for pact in self.pacts for event in pact.events]


def _optional_name(body: dict[str, Any], key: str, errors: dict[str, list[str]]) -> str | None:
    if body.get(key) is None:
        return None
    try:
        return check_name(key, body[key])
    except Invalid as exc:
        errors.update(exc.errors)  # type: ignore[arg-type]
        return None


def parse_publish_request(body: dict[str, Any]) -> PublishRequest:
    """Validate a ``/contracts/publish`` body; every problem is reported at once."""
    errors: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for key in ("pacticipantName", "pacticipantVersionNumber"):
        if body.get(key) is None:
            errors[key] = ["is missing"]
            continue
        try:
            names[key] = check_name(key, body[key])
        except Invalid as exc:
            errors.update(exc.errors)  # type: ignore[arg-type]
    branch = _optional_name(body, "branch", errors)
    build_url = body.get("buildUrl")
    if build_url is not None and not isinstance(build_url, str):
        errors["buildUrl"] = ["must be a string"]
    tags_value = body.get("tags") or []
    tags: list[str] = []
    if not isinstance(tags_value, list):
        errors["tags"] = ["must be a list of strings"]
    else:
        for index, tag in enumerate(tags_value):
            try:
                tags.append(check_name(f"tags.{index}", tag))
            except Invalid as exc:
                errors.update(exc.errors)  # type: ignore[arg-type]
    raw_contracts = body.get("contracts")
    contracts: list[ContractToPublish] = []
    if not isinstance(raw_contracts, list) or not raw_contracts:
        errors["contracts"] = ["must be a non-empty list"]
    else:
        seen: dict[str, int] = {}
        for index, raw in enumerate(raw_contracts):
            contract = _parse_contract(index, raw, names.get("pacticipantName"), errors)
            if contract is None:
                continue
            first = seen.setdefault(contract.provider_name, index)
            if first != index:
                errors[f"contracts.{index}.providerName"] = [
                    f"'{contract.provider_name}' is also the provider of contracts.{first}: a "
                    "version has one pact per provider, so publish each provider's pact once"
                ]
            contracts.append(contract)
    if errors:
        raise Invalid(errors)
    return PublishRequest(
        pacticipant_name=names["pacticipantName"],
        version_number=names["pacticipantVersionNumber"],
        branch=branch,
        tags=tuple(dict.fromkeys(tags)),
        build_url=build_url,
        contracts=tuple(contracts),
    )


def _parse_contract(
    index: int, raw: Any, pacticipant_name: str | None, errors: dict[str, list[str]]
) -> ContractToPublish | None:
    prefix = f"contracts.{index}"
    if not isinstance(raw, dict):
        errors[prefix] = ["must be an object"]
        return None
    problems_before = len(errors)
    for key in ("consumerName", "providerName"):
        try:
            check_name(f"{prefix}.{key}", raw.get(key))
        except Invalid as exc:
            errors.update(exc.errors)  # type: ignore[arg-type]
    if raw.get("specification") != "pact":
        errors[f"{prefix}.specification"] = ["must be 'pact'"]
    if raw.get("contentType") != "application/json":
        errors[f"{prefix}.contentType"] = ["must be 'application/json'"]
    on_conflict = raw.get("onConflict", OVERWRITE)
    if on_conflict not in (OVERWRITE, MERGE):
        errors[f"{prefix}.onConflict"] = ["must be 'overwrite' or 'merge'"]
    if pacticipant_name is not None and raw.get("consumerName") != pacticipant_name:
        errors.setdefault(f"{prefix}.consumerName", []).append(
            f"must match pacticipantName ('{pacticipant_name}')"
        )
    content = _decode_content(f"{prefix}.content", raw.get("content"), errors)
    if content is not None:
        for side, key in (("consumer", "consumerName"), ("provider", "providerName")):
            in_pact = content[side]["name"]
            if in_pact != raw.get(key):
                errors.setdefault(f"{prefix}.{key}", []).append(
                    f"does not match the {side} name in the pact content ('{in_pact}')"
                )
    if len(errors) > problems_before or content is None:
        return None
    return ContractToPublish(
        consumer_name=raw["consumerName"],
        provider_name=raw["providerName"],
        content=content,
        merge=on_conflict == MERGE,
    )


def _decode_content(
    field_name: str, value: Any, errors: dict[str, list[str]]
) -> dict[str, Any] | None:
    if not isinstance(value, str) or not value:
        errors[field_name] = ["is missing (base64 encoded pact JSON)"]
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        errors[field_name] = ["is not valid base64 (strict encoding, UTF-8 content)"]
        return None
    try:
        return parse_pact(decoded, field=field_name)
    except Invalid as exc:
        errors.update(exc.errors)  # type: ignore[arg-type]
    return None


def publish_contracts(
    session: Session,
    settings: Settings,
    request: PublishRequest,
    *,
    pact_url: Callable[[str], str],
    base_url: str,
) -> PublishResult:
    """Store the version, branch, tags and pacts; 409 (nothing stored) on changed content.

    ``pact_url(provider_name)`` gives the URL of this version's pact, shown in the notices;
    the webhook deliveries the events call for are queued (``base_url``: the broker's URL).
    Every row is inserted or found by its unique key, and a conflict is decided against the
    publication that is actually stored (by this request or by one that won a race); a
    conflict raises, so the request's transaction leaves nothing behind.
    """
    names = {request.pacticipant_name, *(c.provider_name for c in request.contracts)}
    known = pacticipant_repo.find_pacticipants(session, names)
    # New pacticipants in name order: two publishes creating the same ones in another order
    # could otherwise each wait for the other's row (a deadlock on PostgreSQL).
    for name in sorted(names - known.keys()):
        field = "pacticipantName" if name == request.pacticipant_name else "providerName"
        known[name] = pacticipants.get_or_create_pacticipant(session, name, field=field)
    pacticipant = known[request.pacticipant_name]
    version, version_created = pacticipants.get_or_create_version(
        session, pacticipant, request.version_number, build_url=request.build_url
    )
    # A version this request created has no pacts yet: nobody else can see it.
    existing = {} if version_created else repo.stored_pacts_of_version(session, version.id)
    conflicts: list[dict[str, str]] = []
    # Stored in provider-name order, so two publishes lock their rows in one order (no
    # deadlock on PostgreSQL); reported in the order the request gave.
    by_provider: dict[str, StoredPact] = {}
    for contract in sorted(request.contracts, key=lambda c: c.provider_name):
        provider = known[contract.provider_name]
        try:
            by_provider[contract.provider_name] = _store(
                session,
                version,
                provider,
                contract.content,
                merge=contract.merge,
                may_change=settings.allow_dangerous_contract_modification,
                existing=existing.get(provider.id),
            )
        except ContentChanged as changed:
            conflicts += _conflict_notices(request, contract, changed.stored)
    if conflicts:
        raise Conflict(
            "pact content modification is not allowed",
            notices=conflicts,
            errors={"contracts": [n["text"] for n in conflicts if n["type"] == "error"]},
        )
    if request.branch:
        pacticipants.add_branch(session, settings, version, request.branch)
    # Tags in name order too: a tag named like an environment locks it (a deployment).
    added = {
        t: pacticipants.add_tag(session, settings, version, t)[0] for t in sorted(request.tags)
    }
    tags = [added[t] for t in request.tags]
    stored = [by_provider[c.provider_name] for c in request.contracts]
    notices = [{"type": "debug", "text": _version_notice(request, version_created)}]
    if not request.branch:
        notices.append(
            {
                "type": "prompt",
                "text": "  Next steps:\n    Configure the version "
                "branch to be the value of your repository branch.",
            }
        )
    for pact in stored:
        notices.append({"type": _NOTICE_TYPE[pact.outcome], "text": _pact_notice(request, pact)})
        notices.append(
            {
                "type": "debug",
                "text": f"  View the published pact at {pact_url(pact.provider.name)}",
            }
        )
        if pact.events:
            detected = ", ".join(dict.fromkeys(e.name for e in pact.events))
            notices.append({"type": "debug", "text": f"  Events detected: {detected}"})
    result = PublishResult(pacticipant, version, version_created, tags, stored, notices)
    result.notices += webhooks.trigger(session, result.events, base_url=base_url)
    return result


_NOTICE_TYPE = {
    "created": "success",
    "unchanged": "success",
    "modified": "warning",
    "merged": "success",
}


def _version_notice(request: PublishRequest, created: bool) -> str:
    action = "Created" if created else "Updated"
    text = f"{action} {request.pacticipant_name} version {request.version_number}"
    if request.branch:
        text += f" with branch {request.branch}"
    if request.tags:
        text += (" and" if request.branch else " with") + f" tags {', '.join(request.tags)}"
    return text


def _pact_notice(request: PublishRequest, pact: StoredPact) -> str:
    who = (
        f"{request.pacticipant_name} version {request.version_number} "
        f"and provider {pact.provider.name}"
    )
    return {
        "created": f"Pact successfully published for {who}.",
        "unchanged": f"Pact successfully republished for {who} with no content changes.",
        "modified": f"Pact published for {who}: the content for this version changed "
        "(dangerous contract modification is allowed on this broker).",
        "merged": f"Pact successfully merged for {who}.",
    }[pact.outcome]


def _conflict_notices(
    request: PublishRequest, contract: ContractToPublish, stored: PactVersion
) -> list[dict[str, str]]:
    """The error and the diff for a contract whose content differs from the stored pact."""
    text = _conflict_text(request.pacticipant_name, request.version_number, contract.provider_name)
    diff = _diff(json.loads(stored.content), contract.content)
    return [{"type": "error", "text": text}, {"type": "info", "text": diff}]


def _conflict_text(consumer: str, number: str, provider: str) -> str:
    return (
        f"Cannot change the content of the pact for {consumer} version {number} and provider "
        f"{provider}, as race conditions will cause unreliable results for can-i-deploy. Each "
        "pact must be published with a unique consumer version number. Some Pact libraries "
        "generate random data when a concrete value for a type matcher is not specified, and "
        "this can cause the contract to mutate - ensure you have given example values for all "
        "type matchers. For more information see "
        "https://docs.pact.io/go/versioning (pact_content_modification_not_allowed)"
    )


def _diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    def lines(pact: dict[str, Any]) -> list[str]:
        bare = {k: v for k, v in pact.items() if k not in {"metadata", "_links", "createdAt"}}
        text = json.dumps(_strip_ids(bare), indent=2, sort_keys=True, ensure_ascii=False)
        return text.splitlines()

    diff = difflib.unified_diff(
        lines(old), lines(new), "stored pact", "published pact", lineterm="", n=2
    )
    return "\n".join(diff)


def _strip_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_ids(v) for k, v in value.items() if k != "_id"}
    if isinstance(value, list):
        return [_strip_ids(v) for v in value]
    return value


def publish_pact(
    session: Session,
    settings: Settings,
    *,
    provider_name: str,
    consumer_name: str,
    version_number: str,
    content: dict[str, Any],
    merge: bool = False,
    base_url: str,
) -> PublishedPact:
    """The legacy ``PUT`` (and ``PATCH`` = merge) of a pact at its consumer-version URL."""
    errors: dict[str, list[str]] = {}
    for side, name in (("consumer", consumer_name), ("provider", provider_name)):
        in_pact = content[side]["name"]
        if in_pact != name:
            errors[side] = [
                f"name in pact ('{in_pact}') does not match {side} name in path ('{name}')."
            ]
    if errors:
        raise Invalid(errors)
    # In name order, as publish_contracts does (no lock-order deadlock between two requests).
    found = {
        n: pacticipants.get_or_create_pacticipant(session, n)
        for n in sorted({consumer_name, provider_name})
    }
    consumer, provider = found[consumer_name], found[provider_name]
    version, created = pacticipants.get_or_create_version(session, consumer, version_number)
    existing = (
        None if created else repo.stored_pacts_of_version(session, version.id).get(provider.id)
    )
    try:
        stored = _store(
            session,
            version,
            provider,
            content,
            merge=merge,
            may_change=merge or settings.allow_dangerous_contract_modification,
            existing=existing,
        )
    except ContentChanged:
        raise Conflict(_conflict_text(consumer_name, version_number, provider_name)) from None
    notices = webhooks.trigger(session, stored.events, base_url=base_url)
    detail = detail_of(session, view_of(session, stored.publication))
    return PublishedPact(stored.outcome, detail, notices)


class ContentChanged(Exception):
    """The version already has a pact with this provider, with other content."""

    def __init__(self, stored: PactVersion) -> None:
        super().__init__("pact content modification is not allowed")
        self.stored = stored


def _store(
    session: Session,
    version: Version,
    provider: Pacticipant,
    content: dict[str, Any],
    *,
    merge: bool,
    may_change: bool,
    existing: tuple[PactPublication, PactVersion] | None,
) -> StoredPact:
    """Store ``content`` as ``version``'s pact with ``provider``.

    ``existing`` is what this version had published for the provider when the request read
    it. The publication is inserted or found by its unique key (version, provider), so two
    requests racing to publish it end with one row; the loser compares its content with the
    winner's. Raises ``ContentChanged`` for different content unless ``may_change``.
    """
    consumer_id = version.pacticipant_id
    sha = pact_sha(content)
    if existing is None:
        previous_sha = repo.latest_sha(session, consumer_id, provider.id)
        pact_version = _pact_version(session, consumer_id, provider.id, content, sha)
        publication, inserted = insert_or_get(
            session,
            PactPublication,
            {
                "consumer_version_id": version.id,
                "consumer_id": consumer_id,
                "provider_id": provider.id,
                "pact_version_id": pact_version.id,
            },
            key=["consumer_version_id", "provider_id"],
            look_first=False,  # ``existing`` was read: this version had no pact with it
        )
        if inserted:
            return StoredPact(
                publication, provider, "created", _events(publication, changed=previous_sha != sha)
            )
        # Another request published this version's pact first: decide against its content.
        existing = repo.stored_pacts_of_version(session, version.id)[provider.id]
    publication, stored = existing
    if stored.sha == sha and not merge:
        return StoredPact(publication, provider, "unchanged", _events(publication, changed=False))
    if stored.sha != sha and not may_change:
        raise ContentChanged(stored)
    # Changing a publication: lock it, so concurrent merges apply one after the other.
    publication, stored = repo.lock_publication(session, publication.id)
    if merge:
        content = _merge(json.loads(stored.content), content)
        sha = pact_sha(content)
    if sha == stored.sha:
        outcome = "merged" if merge else "unchanged"
        return StoredPact(publication, provider, outcome, _events(publication, changed=False))
    publication.pact_version_id = _pact_version(session, consumer_id, provider.id, content, sha).id
    publication.revision_number += 1
    session.flush()
    outcome = "merged" if merge else "modified"
    return StoredPact(publication, provider, outcome, _events(publication, changed=True))


def _events(publication: PactPublication, *, changed: bool) -> list[Event]:
    context = {"publication_id": publication.id}
    events = [Event(CONTRACT_PUBLISHED, publication.consumer_id, publication.provider_id, context)]
    if changed:
        events.append(
            Event(
                CONTRACT_CONTENT_CHANGED, publication.consumer_id, publication.provider_id, context
            )
        )
    return events


def _pact_version(
    session: Session, consumer_id: int, provider_id: int, content: dict[str, Any], sha: str
) -> PactVersion:
    found = repo.find_pact_version(session, consumer_id, provider_id, sha)
    if found is not None:
        return found
    stored, _ = insert_or_get(
        session,
        PactVersion,
        {
            "consumer_id": consumer_id,
            "provider_id": provider_id,
            "sha": sha,
            "content": canonical_json(with_interaction_ids(content)),
        },
        key=["consumer_id", "provider_id", "sha"],
        look_first=False,
    )
    return stored


def _interaction_key(interaction: dict[str, Any]) -> str:
    states = interaction.get("providerStates") or interaction.get("providerState")
    return canonical_json([interaction.get("description"), states])


def _merge(stored: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Interactions of both; the same description and state with other content conflicts."""
    merged = dict(stored)
    key = "interactions" if "interactions" in new or "interactions" in stored else "messages"
    by_key = {_interaction_key(i): i for i in interactions_of(stored)}
    for interaction in interactions_of(new):
        k = _interaction_key(interaction)
        current = by_key.get(k)
        bare = {x: y for x, y in interaction.items() if x != "_id"}
        if current is not None and {x: y for x, y in current.items() if x != "_id"} != bare:
            raise Conflict(
                "Cannot merge pacts: the interaction "
                f"'{interaction.get('description')}' already exists with different content"
            )
        by_key[k] = bare
    merged[key] = [{x: y for x, y in i.items() if x != "_id"} for i in by_key.values()]
    return merged
