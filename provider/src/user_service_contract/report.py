"""A verification result a person can read: one short block per failing interaction.

Built from ``Verifier.results`` (the verifier's own exception says nothing useful).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Mismatch", "VerificationReport"]


@dataclass(frozen=True)
class Mismatch:
    """One way an interaction's actual response differed from the consumer's expectation."""

    consumer: str
    interaction: str
    path: str
    expected: str
    actual: str
    message: str
    pending: bool = False


@dataclass
class VerificationReport:
    """What a verification run verified, and what failed."""

    verified: int = 0
    failed_interactions: int = 0
    pending_failures: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    output: str = ""
    notes: list[str] = field(default_factory=list)
    """Said before the verdict without failing it (a shard with nothing to verify...)."""
    nothing_selected: bool = False
    """A shard whose share of a non-empty pact list is empty: it passes, verifying nothing."""
    no_interactions: bool = False
    """One pact the verifier loaded and passed with no interaction in it: it passes, as
    pact_ffi's verifier passes it (and publishes it as a success); ``merged`` does not carry it,
    so a run that verified no interaction at all still fails."""
    unpublished: list[str] = field(default_factory=list)
    """Pacts whose result could not be published, each with why (the run fails on them)."""
    pacts: int = 0
    """Pacts this report covers (one for a pact's own report; ``merged`` adds them up)."""
    reused: int = 0
    """Of those, the pacts whose recorded success was reused instead of replayed."""

    @property
    def success(self) -> bool:
        """True when something was verified and nothing non-pending failed."""
        if self.problems or self.failed_interactions:
            return False
        return self.verified > 0 or self.nothing_selected or self.no_interactions

    @property
    def all_passed(self) -> bool:
        """Every interaction passed, pending ones too: what a published result says."""
        return self.success and self.pending_failures == 0 and not self.nothing_selected

    @classmethod
    def from_results(
        cls,
        results: dict[str, Any],
        *,
        problems: list[str],
        output: str = "",
        pending: bool = False,
        require_interactions: bool = True,
    ) -> VerificationReport:
        """Read the verifier's JSON results (``Verifier.results``).

        ``pending``: the broker said the whole pact is pending (the verifier cannot know it for
        a pact it did not select itself), so its failures do not fail the build.
        ``require_interactions=False`` reads one pact of several; ``merged`` checks the total.
        """
        report = cls(output=output)
        for item in results.get("interactionResults") or []:
            report.verified += 1
            if str(item.get("result", "")).upper() == "OK":
                continue
            is_pending = pending or bool(item.get("pending"))
            report._failure(_mismatches(item, pending=is_pending), pending=is_pending)
        if results.get("result") is False and not (
            report.failed_interactions or report.pending_failures
        ):
            # Failed outside any interaction (a pact the verifier could not load, say): only
            # ``errors`` says why. A failure of this pact all the same.
            errors = [e for e in results.get("errors") or [] if isinstance(e, dict)]
            unexplained = {
                "mismatch": {"message": "the verifier failed this pact (see its output)"}
            }
            for error in errors or [unexplained]:
                report._failure([_pact_error(error, pending=pending)], pending=pending)
        if pending and results:
            # A state the provider does not have yet is what a pending pact is for: its
            # problems are this pact's failures and fail no build (a crashed replay, with no
            # results at all, still does).
            for problem in problems:
                state = Mismatch("(pact)", "provider states", "(state)", "-", "-", problem, True)
                report._failure([state], pending=True)
        else:
            report.problems.extend(problems)
        if require_interactions:
            report._require_interactions()
        elif results.get("result") is True and not report.verified and not report.problems:
            report.no_interactions = True
        return report

    def _failure(self, mismatches: list[Mismatch], *, pending: bool) -> None:
        """One failing interaction (or pact-level failure) and what it says."""
        if pending:
            self.pending_failures += 1
        else:
            self.failed_interactions += 1
        self.mismatches.extend(mismatches)

    @classmethod
    def merged(cls, parts: list[VerificationReport]) -> VerificationReport:
        """One report for several pacts, in the order given; zero interactions in all fails."""
        report = cls()
        for part in parts:
            report.verified += part.verified
            report.pacts += part.pacts
            report.reused += part.reused
            report.failed_interactions += part.failed_interactions
            report.pending_failures += part.pending_failures
            report.mismatches.extend(part.mismatches)
            report.problems.extend(p for p in part.problems if p not in report.problems)
            report.notes.extend(part.notes)
            report.output += part.output
        report._require_interactions()
        return report

    def _require_interactions(self) -> None:
        if self.verified == 0 and not self.nothing_selected:
            self.problems.append(
                "no interactions were verified: the pact source is empty or selected nothing "
                "(an empty source is a failure, not a pass)"
            )

    def counts(self) -> dict[str, Any]:
        """The run in numbers, for a caller that reads them (``--counts-out``)."""
        return {
            "success": self.success,
            "pacts": self.pacts,
            "reused": self.reused,
            "verified": self.verified,
            "failed": self.failed_interactions,
            "pendingFailures": self.pending_failures,
        }

    def summary(self) -> str:
        """Per failing interaction: consumer, interaction, JSON path, expected, actual."""
        lines: list[str] = []
        for mismatch in self.mismatches:
            tag = " (pending: does not fail the build)" if mismatch.pending else ""
            lines += [
                f"✗ {mismatch.consumer} — {mismatch.interaction}{tag}",
                f"    at {mismatch.path}: {mismatch.message}",
                f"      expected: {mismatch.expected}",
                f"      actual:   {mismatch.actual}",
            ]
        lines += [f"✗ {problem}" for problem in self.problems]
        lines += [f"· {note}" for note in self.notes]
        lines += [f"✗ result not published: {line}" for line in self.unpublished]
        verdict = "PASSED" if self.success else "FAILED"
        lines.append(
            f"Verification {verdict}: {self.verified} interaction(s) verified, "
            f"{self.failed_interactions} failed, {self.pending_failures} pending failure(s)."
        )
        return "\n".join(lines)


def _mismatches(item: dict[str, Any], *, pending: bool) -> list[Mismatch]:
    consumer = str(item.get("consumer", "?"))
    interaction = str(item.get("description", "?"))
    mismatch = item.get("mismatch") or {}
    if mismatch.get("type") != "mismatches":
        # An error rather than a comparison: the provider could not be called, a state failed...
        message = str(mismatch.get("message") or mismatch.get("error") or json.dumps(mismatch))
        return [Mismatch(consumer, interaction, "(request)", "-", "-", message, pending)]
    found = []
    for entry in mismatch.get("mismatches") or []:
        kind = entry.get("type", "")
        path = str(entry.get("path") or _path_for(kind, entry))
        found.append(
            Mismatch(
                consumer=consumer,
                interaction=interaction,
                path=path,
                expected=_shown(entry.get("expected")),
                actual=_shown(entry.get("actual")),
                message=str(entry.get("mismatch", kind)),
                pending=pending,
            )
        )
    return found


def _pact_error(error: dict[str, Any], *, pending: bool) -> Mismatch:
    mismatch = error.get("mismatch") or {}
    message = str(mismatch.get("message") or mismatch.get("error") or json.dumps(error))
    where = str(error.get("interaction") or "the pact")
    return Mismatch("(pact)", where, "(pact)", "-", "-", message, pending)


def _path_for(kind: str, entry: dict[str, Any]) -> str:
    if kind == "StatusMismatch":
        return "status"
    if kind == "HeaderMismatch":
        return f"header {entry.get('key', '')}".strip()
    return kind or "?"


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
