"""``pact pactflow publish-provider-contract``: a provider version's OpenAPI document, stored once.

The body is what the official CLI sends (``pacticipantVersionNumber``, ``branch``, ``tags``,
``buildUrl`` and a ``contract`` with base64 ``content``, ``contentType``, ``specification`` and
maybe ``selfVerificationResults``). The document is parsed and validated before anything is
stored; a version's contract never changes (409 for other content, as for pacts), and the
comparisons it allows are made in the same transaction, so can-i-deploy reads stored answers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Conflict, Invalid, NotFound
from contract_broker.models import Pacticipant, ProviderContract, Tag, Version
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import provider_contracts as repo
from contract_broker.services import pacticipants
from contract_broker.services.names import check_name
from contract_broker.services.provider_contracts.document import (
    InvalidProviderContract,
    parse_document,
)
from contract_broker.services.provider_contracts.recording import (
    Compared,
    compare_new_contract,
    remember,
)
from contract_broker.services.verifications import is_url
from contract_broker.settings import Settings

__all__ = [
    "CONTENT_TYPES",
    "ContractComparison",
    "ContractRequest",
    "ContractView",
    "PublishedContract",
    "find_provider_contract",
    "parse_contract_request",
    "publish_provider_contract",
]

#: The document types accepted (the CLI sends application/yaml unless told otherwise).
CONTENT_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "application/json")
#: The comparisons a contract's resource and page show (the newest).
COMPARISONS_SHOWN = 100
#: How much of a self-verification report is kept (its text is shown, never interpreted).
REPORT_LIMIT = 64 * 1024


@dataclass(frozen=True)
class ContractRequest:
    version_number: str
    branch: str | None
    tags: tuple[str, ...]
    build_url: str | None
    content: bytes
    content_type: str
    document: dict[str, Any]
    self_verification_success: bool | None
    self_verification: dict[str, Any] | None


@dataclass
class PublishedContract:
    provider: Pacticipant
    version: Version
    contract: ProviderContract
    created: bool
    tags: list[Tag]
    compared: list[Compared] = field(default_factory=list)


def _base64(errors: dict[str, list[str]], key: str, value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        errors.setdefault(key, []).append("is missing or not a string (base64 of the file)")
        return b""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        errors.setdefault(key, []).append("is not valid base64")
        return b""


def _optional_text(errors: dict[str, list[str]], key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 1024 or "\x00" in value:
        errors.setdefault(key, []).append("must be a string of at most 1024 characters")
        return None
    return value


def _self_verification(
    errors: dict[str, list[str]], value: Any
) -> tuple[bool | None, dict[str, Any] | None]:
    """(success, what is kept of the report): (None, None) when none was sent."""
    key = "contract.selfVerificationResults"
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        errors[key] = ["must be an object"]
        return None, None
    success = value.get("success")
    if not isinstance(success, bool):
        errors[f"{key}.success"] = ["is missing or not a boolean (true or false)"]
    kept: dict[str, Any] = {"success": success}
    if value.get("content") is not None:
        report = _base64(errors, f"{key}.content", value.get("content"))
        kept["content"] = report[:REPORT_LIMIT].decode("utf-8", errors="replace")
    for name in ("contentType", "format", "verifier", "verifierVersion"):
        text = _optional_text(errors, f"{key}.{name}", value.get(name))
        if text is not None:
            kept[name] = text
    return (success if isinstance(success, bool) else None), kept


def _names(errors: dict[str, list[str]], key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        errors[key] = ["must be a list of names"]
        return ()
    for item in value:
        try:
            check_name(key, item)
        except Invalid as exc:
            for field_name, messages in exc.errors.items():
                errors.setdefault(field_name, []).extend(messages)
    return tuple(dict.fromkeys(v for v in value if isinstance(v, str)))


def parse_contract_request(body: Mapping[str, Any]) -> ContractRequest:
    """The request, checked: 400 (``Invalid``, by field) for anything wrong, nothing stored."""
    errors: dict[str, list[str]] = {}
    number = body.get("pacticipantVersionNumber")
    for key, value in (("pacticipantVersionNumber", number), ("branch", body.get("branch"))):
        if key == "branch" and value is None:
            continue
        try:
            check_name(key, value)
        except Invalid as exc:
            errors.update(exc.errors)
    tags = _names(errors, "tags", body.get("tags"))
    build_url = body.get("buildUrl")
    if build_url is not None and not is_url(build_url):
        errors["buildUrl"] = [f"Invalid URL '{build_url}'. Expected format: http://example.org"]
    contract = body.get("contract")
    if not isinstance(contract, Mapping):
        errors["contract"] = ["is missing or not an object"]
        raise Invalid(errors)
    content = _base64(errors, "contract.content", contract.get("content"))
    content_type = contract.get("contentType")
    if content_type is None:
        content_type = "application/yaml"  # the CLI's default
    if not isinstance(content_type, str) or content_type.split(";")[0].strip().lower() not in (
        CONTENT_TYPES
    ):
        errors["contract.contentType"] = [f"must be one of {', '.join(CONTENT_TYPES)}"]
        content_type = "application/yaml"
    specification = contract.get("specification")
    if specification is None:
        specification = "oas"
    if specification != "oas":
        errors["contract.specification"] = ["only 'oas' (OpenAPI 3.0 or 3.1) is supported"]
    success, report = _self_verification(errors, contract.get("selfVerificationResults"))
    document: dict[str, Any] = {}
    if content and "contract.content" not in errors:
        try:
            document = parse_document(content, content_type)
        except InvalidProviderContract as exc:
            errors["contract.content"] = [str(exc)]
    if errors:
        raise Invalid(errors)
    return ContractRequest(
        version_number=str(number),
        branch=body.get("branch"),
        tags=tags,
        build_url=build_url,
        content=content,
        content_type=content_type,
        document=document,
        self_verification_success=success,
        self_verification=report,
    )


def publish_provider_contract(
    session: Session, settings: Settings, provider_name: str, request: ContractRequest
) -> PublishedContract:
    """Store the version (branch, tags) and its contract, then compare it with the pacts that
    matter now. 409, nothing stored, when the version already has another contract."""
    provider = pacticipants.get_or_create_pacticipant(session, provider_name, field="provider")
    version, _ = pacticipants.get_or_create_version(
        session, provider, request.version_number, build_url=request.build_url
    )
    sha = hashlib.sha256(request.content).hexdigest()
    contract, created = repo.store_contract(
        session,
        {
            "provider_id": provider.id,
            "provider_version_id": version.id,
            "sha": sha,
            "content": request.content.decode("utf-8-sig"),
            "content_type": request.content_type,
            "specification": "oas",
            "self_verification_success": request.self_verification_success,
            "self_verification": request.self_verification,
            "build_url": request.build_url,
        },
    )
    if not created and (
        contract.sha != sha
        or contract.self_verification_success != request.self_verification_success
    ):
        message = (
            f"Cannot change the provider contract of version {request.version_number} of "
            f"{provider_name}: a contract with other content (or another self-verification "
            "result) was already published for it. Publish a new version instead."
        )
        raise Conflict(
            message,
            notices=[{"type": "error", "text": message}],
            errors={"contract": [message]},
        )
    if request.branch:
        pacticipants.add_branch(session, settings, version, request.branch)
    tags = [pacticipants.add_tag(session, settings, version, t)[0] for t in sorted(request.tags)]
    if created:
        remember(sha, request.content_type, request.document)  # parsed once, not again
    compared = compare_new_contract(session, contract)
    return PublishedContract(provider, version, contract, created, tags, compared)


@dataclass(frozen=True)
class ContractComparison:
    """A comparison recorded with a contract, as its page and resource show it."""

    consumer_name: str
    pact_version_sha: str
    verification_number: int
    success: bool
    test_results: Any


@dataclass(frozen=True)
class ContractView:
    provider: Pacticipant
    version: Version
    contract: ProviderContract
    comparisons: list[ContractComparison]


def find_provider_contract(session: Session, provider_name: str, number: str) -> ContractView:
    """A provider version's contract with the comparisons made with it; 404 when it has none."""
    provider = pacticipant_repo.find_pacticipant(session, provider_name)
    version = pacticipant_repo.find_version(session, provider.id, number) if provider else None
    contract = repo.contract_of_version(session, version.id) if version else None
    if provider is None or version is None or contract is None:
        raise NotFound(f"No provider contract for version {number} of {provider_name} found")
    comparisons = [
        ContractComparison(name, sha, verification.number, verification.success,
                           verification.test_results)
        for verification, sha, name in repo.comparisons_of(
            session, contract.id, limit=COMPARISONS_SHOWN
        )
    ]  # fmt: skip
    return ContractView(provider, version, contract, comparisons)
