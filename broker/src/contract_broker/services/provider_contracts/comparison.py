"""Comparing a consumer's pact with a provider's OpenAPI document, interaction by interaction.

``compare`` never raises: a pact or document of any shape yields findings. A failure inside
one interaction's comparison (a document that was never validated can hold anything) becomes
that interaction's ``comparison.failed`` error, naming what went wrong, so it is seen rather
than swallowed, and the other interactions are still compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from contract_broker import warm_up
from contract_broker.services.provider_contracts.operations import Operation, operations
from contract_broker.services.provider_contracts.pact import HttpInteraction, http_interactions
from contract_broker.services.provider_contracts.results import (
    Comparison,
    InteractionResult,
    Mismatch,
)

if TYPE_CHECKING:
    from contract_broker.services.provider_contracts.schemas import SchemaSet

__all__ = ["FAILED", "MAX_FINDINGS", "compare"]

MAX_FINDINGS = 20
"""Findings listed per interaction; the last one says how many more there were."""

FAILED = "comparison.failed"
"""The broker's own rule (an error): this interaction could not be compared at all."""


def compare(document: Mapping[str, Any], pact: Mapping[str, Any]) -> Comparison:
    """Each HTTP interaction of ``pact`` against ``document`` (as ``parse_document`` returns)."""
    # Imported here, not at the top: the rules and the schema validation (jsonschema,
    # openapi-schema-validator, RE2) would add ~0.1 s to every start of the broker; the app
    # imports them in the background once it serves (contract_broker.warm_up).
    warm_up.wait()
    from contract_broker.services.provider_contracts.schemas import SchemaSet

    try:
        interactions = http_interactions(pact)
    except Exception as exc:  # reported as the pact's one result, never raised (see module doc)
        failure = _failure(f"the pact cannot be read: {type(exc).__name__}: {exc}"[:300])
        return Comparison((InteractionResult("the pact", (failure,)),))
    try:
        found = operations(document)
        schemas = SchemaSet(document)
    except Exception as exc:  # reported on every interaction, never raised (see module doc)
        failure = _failure(f"the provider contract cannot be read: {type(exc).__name__}: {exc}")
        return Comparison(tuple(InteractionResult(i.description, (failure,)) for i in interactions))
    return Comparison(tuple(_result(i, found, schemas) for i in interactions))


def _result(
    interaction: HttpInteraction, found: list[Operation], schemas: SchemaSet
) -> InteractionResult:
    findings = list(interaction.problems)
    if any(f.rule == "request.path-or-method.unknown" for f in findings):
        return InteractionResult(interaction.description, tuple(findings))
    from contract_broker.services.provider_contracts.matching import find_operation
    from contract_broker.services.provider_contracts.request_rules import request_findings
    from contract_broker.services.provider_contracts.response_rules import response_findings

    try:
        operation = find_operation(interaction, found, schemas)
        if isinstance(operation, Mismatch):
            findings.append(operation)
        else:
            findings += request_findings(interaction, operation, schemas)
            findings += response_findings(interaction, operation, schemas)
    except Exception as exc:  # reported on the interaction, never raised (see module doc)
        findings.append(_failure(f"{type(exc).__name__}: {exc}"[:300]))
    return InteractionResult(interaction.description, _capped(findings))


def _capped(findings: list[Mismatch]) -> tuple[Mismatch, ...]:
    """The findings without repeats, at most :data:`MAX_FINDINGS`; the last one says what was cut.

    The summary carries the rule (and so the severity) of the first error cut, if any, so that
    cutting never turns a failing interaction into a passing one.
    """
    unique = list(dict.fromkeys(findings))
    if len(unique) <= MAX_FINDINGS:
        return tuple(unique)
    kept, cut = unique[: MAX_FINDINGS - 1], unique[MAX_FINDINGS - 1 :]
    errors = [m for m in cut if m.severity == "error"]
    first = errors[0] if errors else cut[0]
    summary = Mismatch.of(
        first.rule,
        first.attribute,
        "",
        f"{len(cut)} more findings ({len(errors)} of them errors) were left out; "
        f"the first of them: {first.description}"[:500],
    )
    return (*kept, summary)


def _failure(reason: str) -> Mismatch:
    return Mismatch.of(FAILED, "path", "", f"the interaction could not be compared: {reason}")
