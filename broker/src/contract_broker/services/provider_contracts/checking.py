"""Checking a pact before it is published: compared with the provider contracts in use now.

A consumer's build asks this right after its contract tests wrote the pact, so a field the
provider's document does not have fails the build at once, naming it — before anything is
published and before any provider runs. Nothing is stored: the answer is computed each time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Invalid
from contract_broker.models import Version
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import provider_contracts as repo
from contract_broker.services.matrix.failures import failure_lines
from contract_broker.services.provider_contracts.comparison import compare
from contract_broker.services.provider_contracts.recording import (
    document_of,
    self_verification_entry,
)

__all__ = ["CheckResult", "CheckedContract", "check_pact"]


@dataclass(frozen=True)
class CheckedContract:
    provider_version_number: str
    why: tuple[str, ...]
    success: bool
    test_results: list[dict[str, Any]]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class CheckResult:
    provider_name: str
    contracts: list[CheckedContract] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(c.success for c in self.contracts)


def _consumer_name(pact: Mapping[str, Any]) -> str:
    consumer = pact.get("consumer")
    name = consumer.get("name") if isinstance(consumer, Mapping) else None
    return name if isinstance(name, str) and name else "the consumer"


def check_pact(session: Session, provider_name: str, pact: Any) -> CheckResult:
    """``pact`` compared with each contract of the provider's main-branch head and of its
    versions deployed or released now; 400 (``Invalid``) when ``pact`` is not a pact."""
    if not isinstance(pact, Mapping) or not isinstance(pact.get("interactions"), list):
        raise Invalid({"pact": ["must be a pact: an object with a list of interactions"]})
    provider = pacticipant_repo.find_pacticipant(session, provider_name)
    if provider is None:
        return CheckResult(provider_name)
    reasons: dict[int, list[str]] = {}
    contracts = {}
    for contract, why in repo.contracts_in_use(session, provider.id):
        contracts[contract.id] = contract
        reasons.setdefault(contract.id, []).append(why)
    consumer = _consumer_name(pact)
    checked = []
    for contract_id, contract in contracts.items():
        number = session.get_one(Version, contract.provider_version_id).number
        comparison = compare(document_of(contract) or {}, pact)
        test_results = comparison.test_results()
        entry = self_verification_entry(contract)
        if entry is not None:
            test_results.append(entry)
        lines = failure_lines(
            test_results, provider=provider.name, provider_version=number, consumer=consumer
        )
        checked.append(
            CheckedContract(
                number,
                tuple(reasons[contract_id]),
                comparison.success and entry is None,
                test_results,
                lines,
            )
        )
    return CheckResult(provider.name, checked)
