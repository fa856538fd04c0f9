"""Which operation of the document a pact's request is for: method, path template, path values.

As the reference: operations on paths without parameters are tried first, a template's
parameter segment matches only a value its schema accepts (``/users/{id}`` with an integer
``id`` does not match ``/users/abc``), and no match is ``request.path-or-method.unknown``. The
finding says what came closest, so a provider's developer sees *why* nothing matched.
"""

from __future__ import annotations

from collections.abc import Sequence

from contract_broker.services.provider_contracts.operations import Operation
from contract_broker.services.provider_contracts.pact import HttpInteraction
from contract_broker.services.provider_contracts.results import Mismatch
from contract_broker.services.provider_contracts.schemas import (
    SchemaProblem,
    SchemaSet,
    UncheckedPattern,
)

__all__ = ["find_operation"]

RULE = "request.path-or-method.unknown"


def find_operation(
    interaction: HttpInteraction, operations: Sequence[Operation], schemas: SchemaSet
) -> Operation | Mismatch:
    """The operation the interaction's request is for, or the finding that there is none."""
    method, path = interaction.method, interaction.path
    segments = [s for s in path.split("/") if s]
    other_methods: list[str] = []
    near_misses: list[str] = []
    for operation in operations:
        refusal = _path_refusal(operation, segments, schemas)
        if refusal is None and operation.method == method:
            return operation
        if refusal is None:
            other_methods.append(operation.method.upper())
        elif refusal and operation.method == method:
            near_misses.append(f"{operation.path} refuses it: {refusal}")
    request = f"{method.upper()} {path}"
    if other_methods:
        return Mismatch.of(
            RULE,
            "method",
            method.upper(),
            f"{request} is not in the provider contract: its path has only "
            f"{', '.join(sorted(set(other_methods)))}",
        )
    reason = f" ({'; '.join(near_misses)})" if near_misses else ""
    return Mismatch.of(RULE, "path", path, f"{request} is not in the provider contract{reason}")


def _path_refusal(operation: Operation, segments: list[str], schemas: SchemaSet) -> str | None:
    """None when the path fits the template; else why not ("" when it is not even close)."""
    template = operation.segments
    if len(template) != len(segments):
        return ""
    reasons: list[str] = []
    for expected, actual in zip(template, segments, strict=True):
        if not (expected.startswith("{") and expected.endswith("}")):
            if expected != actual:
                return ""
            continue
        name = expected[1:-1]
        parameter = operation.parameters.get(("path", name))
        if parameter is None or parameter.schema is None:
            continue
        try:
            errors = schemas.parameter_errors(parameter.schema, (actual,))
        except SchemaProblem as exc:
            errors, reasons = [], [*reasons, f"the schema of path parameter {name}: {exc}"]
        reasons += [
            f"path parameter {name}: {error.message}"
            for error in errors
            if not isinstance(error, UncheckedPattern)  # not checked, so not a refusal
        ]
    return "; ".join(reasons) if reasons else None
