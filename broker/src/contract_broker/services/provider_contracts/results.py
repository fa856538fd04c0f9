"""What a comparison finds: mismatches per interaction, shaped like a pact verification's results.

Rule codes and their severities are swagger-mock-validator's (PactFlow's open-source engine), so a
finding here reads the same as one from PactFlow's bi-directional contract testing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ERROR_RULES", "Comparison", "InteractionResult", "Mismatch", "severity_of"]

ERROR_RULES = frozenset(
    {
        "comparison.failed",  # the broker's own: an interaction that could not be compared
        "request.accept.incompatible",
        "request.authorization.missing",
        "request.body.incompatible",
        "request.content-type.incompatible",
        "request.header.incompatible",
        "request.path-or-method.unknown",
        "request.query.incompatible",
        "response.body.incompatible",
        "response.body.unknown",
        "response.content-type.incompatible",
        "response.header.incompatible",
        "response.header.unknown",
        "response.status.unknown",
    }
)
"""The rules whose findings break a consumer; every other rule only warns (as the reference)."""


def severity_of(rule: str) -> str:
    """``error`` for the rules that break a consumer, ``warning`` for the rest."""
    return "error" if rule in ERROR_RULES else "warning"


@dataclass(frozen=True)
class Mismatch:
    """One finding, shaped like a pact verification mismatch."""

    rule: str
    severity: str
    attribute: str
    identifier: str
    description: str

    @classmethod
    def of(cls, rule: str, attribute: str, identifier: str, description: str) -> Mismatch:
        """A finding whose severity follows from its rule."""
        return cls(rule, severity_of(rule), attribute, identifier, description)

    def as_json(self) -> dict[str, str]:
        return {
            "attribute": self.attribute,
            "identifier": self.identifier,
            "description": self.description,
            "rule": self.rule,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class InteractionResult:
    """The findings for one pact interaction."""

    description: str
    mismatches: tuple[Mismatch, ...]

    @property
    def success(self) -> bool:
        """No finding breaks the consumer (warnings are allowed)."""
        return all(m.severity != "error" for m in self.mismatches)


@dataclass(frozen=True)
class Comparison:
    """The findings for every HTTP interaction of a pact, in the pact's order."""

    interactions: tuple[InteractionResult, ...]

    @property
    def success(self) -> bool:
        """Every interaction succeeds; a pact without HTTP interactions proves nothing and fails.

        Verifying zero interactions is a failure in this project, never a pass, so comparing
        nothing does not count as compatible either.
        """
        return bool(self.interactions) and all(i.success for i in self.interactions)

    def test_results(self) -> list[dict[str, Any]]:
        """The pact verifier's ``testResults``: one entry per interaction, passing ones included."""
        return [
            {
                "interactionDescription": result.description,
                "success": result.success,
                "mismatches": [m.as_json() for m in result.mismatches],
            }
            for result in self.interactions
        ]
