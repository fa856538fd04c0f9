"""Comparing stored pacts with stored provider contracts, and recording each verdict once.

A comparison is recorded as a verification of the pact's content by the contract's provider
version (``provider_contract_id`` set), so the matrix, can-i-deploy, badges and pages read it
like any verification. Its ``testResults`` are the findings, interaction by interaction; it
passes when no finding is an error *and* the provider's self-verification passed.

A pair the provider verified by replaying the pact keeps that verdict: it is not compared.
Each pair is compared at most once (pacts and contracts never change); the database's partial
unique index decides between requests racing to record the same one. Comparisons trigger no
webhooks: nothing has to be run when the broker itself has the answer.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.models import Pacticipant, PactVersion, ProviderContract, Version
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import provider_contracts as repo
from contract_broker.repositories import verifications as verification_repo
from contract_broker.services.provider_contracts.comparison import compare
from contract_broker.services.provider_contracts.document import (
    InvalidProviderContract,
    parse_document,
)

__all__ = [
    "COMPARED_AT_MOST",
    "SELF_VERIFICATION",
    "VERIFIER",
    "Compared",
    "compare_new_contract",
    "compare_new_pacts",
    "document_of",
    "remember",
    "self_verification_entry",
]

#: Pact contents (or contracts) one publish compares with at most, newest first.
COMPARED_AT_MOST = 50
#: Who the recorded verifications say verified them.
VERIFIER = {
    "implementation": "contract-broker provider contract comparison",
    "version": "swagger-mock-validator rules",
}
#: The description of the entry a failed (or missing) self-verification adds to testResults.
SELF_VERIFICATION = "the provider contract's self-verification"


@dataclass(frozen=True)
class Compared:
    """One comparison made by this request: which consumer, its verdict, what failed."""

    consumer_name: str
    pact_version_sha: str
    provider_name: str
    provider_version_number: str
    success: bool
    test_results: list[dict[str, Any]]


def self_verification_entry(contract: ProviderContract) -> dict[str, Any] | None:
    if contract.self_verification_success is True:
        return None
    verifier = (contract.self_verification or {}).get("verifier")
    if contract.self_verification_success is False:
        text = "failed" + (f" ({verifier})" if verifier else "")
    else:
        text = "was not published (publish with --verification-results or --verifier)"
    return {
        "interactionDescription": SELF_VERIFICATION,
        "success": False,
        "mismatches": [
            {
                "attribute": "self-verification",
                "identifier": "",
                "description": f"the provider's own test of its contract {text}",
                "rule": "provider.self-verification",
                "severity": "error",
            }
        ],
    }


def document_of(contract: ProviderContract) -> dict[str, Any] | None:
    """The contract's parsed document, parsed once per process (kept for the few contracts
    compared most recently: every pact publish compares with the same ones)."""
    key = (contract.sha, contract.content_type)
    with _PARSED_LOCK:
        if key in _PARSED:
            _PARSED.move_to_end(key)
            return _PARSED[key]
    try:
        document: dict[str, Any] | None = parse_document(
            contract.content.encode(), contract.content_type
        )
    except InvalidProviderContract:  # validated when published: only a changed rule gets here
        document = None
    remember(contract.sha, contract.content_type, document)
    return document


def remember(sha: str, content_type: str, document: dict[str, Any] | None) -> None:
    """Keep a parsed document (the publish has just parsed it) for ``document_of``."""
    with _PARSED_LOCK:
        _PARSED[(sha, content_type)] = document
        _PARSED.move_to_end((sha, content_type))
        while len(_PARSED) > PARSED_KEPT:
            _PARSED.popitem(last=False)


#: Parsed documents kept per process (compare reads them and never changes them).
PARSED_KEPT = 8
_PARSED: OrderedDict[tuple[str, str], dict[str, Any] | None] = OrderedDict()
_PARSED_LOCK = threading.Lock()


def _compare_and_record(
    session: Session,
    contract: ProviderContract,
    document: dict[str, Any] | None,
    pact_version: PactVersion,
    consumer_name: str,
    *,
    provider_branch: str | None,
) -> Compared | None:
    try:
        pact = json.loads(pact_version.content)
    except ValueError:
        pact = {}
    comparison = compare(document or {}, pact if isinstance(pact, dict) else {})
    test_results = comparison.test_results()
    entry = self_verification_entry(contract)
    if entry is not None:
        test_results.append(entry)
    success = comparison.success and entry is None
    number = verification_repo.next_number(session, pact_version.id)
    # next_number locked the pact version's row, as a replay of it being recorded does: a
    # replay committed meanwhile is seen now, and decides its pair (never a comparison after it).
    if repo.verified(session, {(pact_version.id, contract.provider_version_id)}):
        return None
    recorded = repo.record_comparison(
        session,
        {
            "pact_version_id": pact_version.id,
            "provider_version_id": contract.provider_version_id,
            "consumer_id": pact_version.consumer_id,
            "provider_id": pact_version.provider_id,
            "number": number,
            "success": success,
            "build_url": contract.build_url,
            "provider_branch": provider_branch,
            "test_results": test_results,
            "verified_by": VERIFIER,
            "wip": False,
            "provider_contract_id": contract.id,
        },
    )
    if recorded is None:
        return None
    provider = session.get_one(Pacticipant, contract.provider_id)
    version = session.get_one(Version, contract.provider_version_id)
    return Compared(
        consumer_name, pact_version.sha, provider.name, version.number, success, test_results
    )


def _unverified(
    session: Session, pairs: Sequence[tuple[PactVersion, ProviderContract]]
) -> list[tuple[PactVersion, ProviderContract]]:
    """The pairs with no verification yet (one statement): a replay decides its pair, and a
    comparison is never made twice (re-publishing a pact compares nothing again)."""
    done = repo.verified(session, {(p.id, c.provider_version_id) for p, c in pairs})
    return [(p, c) for p, c in pairs if (p.id, c.provider_version_id) not in done]


def compare_new_contract(session: Session, contract: ProviderContract) -> list[Compared]:
    """Compare a just-published contract with the pacts of its provider that matter now."""
    repo.lock_provider(session, contract.provider_id)
    pact_versions = repo.pacts_to_compare(session, contract.provider_id, limit=COMPARED_AT_MOST)
    pairs = _unverified(session, [(p, contract) for p in pact_versions])
    if not pairs:
        return []
    document = document_of(contract)
    branch = _provider_branches(session, [contract])[contract.provider_version_id]
    found = [
        _compare_and_record(
            session, contract, document, p, _name(session, p.consumer_id), provider_branch=branch
        )
        for p, _ in sorted(pairs, key=lambda pair: pair[0].id)
    ]
    return [c for c in found if c is not None]


def compare_new_pacts(
    session: Session, published: Sequence[tuple[int, int]], consumer_name: str
) -> list[Compared]:
    """Compare just-published pact contents (``(pact version id, provider id)`` pairs) with
    their providers' contracts that matter now: one statement, and nothing more, for providers
    that never published one."""
    providers = repo.providers_with_contracts(session, {provider for _, provider in published})
    pairs: list[tuple[PactVersion, ProviderContract]] = []
    for provider_id in sorted(providers):
        contracts = repo.contracts_to_compare(session, provider_id, limit=COMPARED_AT_MOST)
        pact_versions = [
            session.get_one(PactVersion, pact_version_id)
            for pact_version_id, provider in published
            if provider == provider_id
        ]
        pairs += [(p, c) for p in pact_versions for c in contracts]
    pairs = _unverified(session, pairs)
    branches = _provider_branches(session, [c for _, c in pairs])
    found = [
        _compare_and_record(
            session,
            contract,
            document_of(contract),  # parsed once per process
            pact_version,
            consumer_name,
            provider_branch=branches[contract.provider_version_id],
        )
        for pact_version, contract in pairs
    ]
    return [c for c in found if c is not None]


def _provider_branches(
    session: Session, contracts: Sequence[ProviderContract]
) -> dict[int, str | None]:
    """Each contract's provider version's (newest) branch, as a replay records it: one
    statement for all of them, not one per comparison."""
    version_ids = {c.provider_version_id for c in contracts}
    rows = pacticipant_repo.branches_of_versions(session, version_ids)
    return {v: (found[-1].branch_name if found else None) for v, found in rows.items()}


def _name(session: Session, pacticipant_id: int) -> str:
    found = session.get(Pacticipant, pacticipant_id)
    return found.name if found is not None else str(pacticipant_id)
