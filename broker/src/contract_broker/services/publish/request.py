"""The ``/contracts/publish`` body, validated into a ``PublishRequest`` (all problems at once)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from contract_broker.errors import Invalid
from contract_broker.services.content import parse_pact
from contract_broker.services.names import check_name

__all__ = ["ContractToPublish", "PublishRequest", "parse_publish_request"]

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


def _optional_name(body: dict[str, Any], key: str, errors: dict[str, list[str]]) -> str | None:
    if body.get(key) is None:
        return None
    try:
        return check_name(key, body[key])
    except Invalid as exc:
        errors.update(exc.errors)
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
            errors.update(exc.errors)
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
                errors.update(exc.errors)
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
            errors.update(exc.errors)
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
        errors.update(exc.errors)
    return None
