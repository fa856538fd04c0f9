"""can-i-deploy, decided from the answer's JSON: the broker's matrix, through the ``pact`` CLI.

``pact broker can-i-deploy --output json`` prints the broker's matrix resource and exits 0
whatever it says; a non-zero exit means the question could not be asked (no broker, unknown
environment...). ``summary.deployable`` is the verdict: true, false, or null while verification
results are missing; ``summary.reason`` and the ``notices`` say why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from invoke.context import Context

from tasks.brokercli import BrokerError, checked, redact, retries_args

__all__ = ["Answer", "Row", "ask_can_i_deploy", "parse_answer", "refusal"]

_HEADER = ("CONSUMER", "C.VERSION", "PROVIDER", "P.VERSION", "SUCCESS?")


@dataclass(frozen=True)
class Row:
    """One line of the matrix: a consumer version, a provider version, their verification."""

    consumer: str
    consumer_version: str
    provider: str
    provider_version: str
    success: bool | None  # None: not verified

    def cells(self) -> tuple[str, ...]:
        verified = "unknown" if self.success is None else str(self.success).lower()
        return (
            self.consumer,
            self.consumer_version,
            self.provider,
            self.provider_version,
            verified,
        )


@dataclass(frozen=True)
class Answer:
    """The broker's verdict on one version and environment, and why."""

    deployable: bool | None  # None: verification results are missing
    reason: str
    notices: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def allowed(self) -> bool:
        """Only an explicit yes allows a deploy; missing results refuse it, as the CLI does."""
        return self.deployable is True

    def report(self) -> str:
        """The matrix, the broker's reasons and the verdict, for people reading a build log."""
        lines = _table([_HEADER, *(row.cells() for row in self.rows)]) if self.rows else []
        lines += list(self.notices) or [self.reason]
        lines.append(
            "✅ Computer says yes \\o/" if self.allowed else "❌ Computer says no ¯\\_(ツ)_/¯"
        )
        return "\n".join(line for line in lines if line)


def ask_can_i_deploy(
    c: Context,
    *,
    base_url: str,
    pacticipant: str,
    version: str,
    environment: str,
    retry_while_unknown: int = 0,
    retry_interval: int = 10,
    retries: str = "",
) -> Answer:
    """The answer of the broker at ``base_url``; ``BrokerError`` (one line) when there is none.

    ``retry_while_unknown`` asks again that many times, ``retry_interval`` seconds apart, while
    verification results are missing.
    """
    args = ["--pacticipant", pacticipant, "--version", version, "--to-environment", environment]
    if retry_while_unknown:
        args += ["--retry-while-unknown", str(retry_while_unknown)]
        args += ["--retry-interval", str(retry_interval)]
    args += ["--output", "json", *retries_args(retries)]
    outcome = checked(c, "can-i-deploy", *args, base_url=base_url)
    try:
        return parse_answer(outcome.stdout)
    except ValueError as exc:
        raise BrokerError(
            f"pact broker can-i-deploy failed: {redact(base_url)} did not answer with a "
            f"matrix ({exc}): is it a Pact Broker?"
        ) from None


def parse_answer(text: str) -> Answer:
    """The ``--output json`` answer; ``ValueError`` saying what is missing when it is not one."""
    try:
        body = json.loads(text)
    except ValueError:
        raise ValueError("not JSON") from None
    summary = body.get("summary") if isinstance(body, dict) else None
    if not isinstance(summary, dict):
        raise ValueError("no summary")
    deployable = summary.get("deployable")
    if deployable is not None and not isinstance(deployable, bool):
        raise ValueError(f"summary.deployable is {deployable!r}")
    notices = body.get("notices") or []
    matrix = body.get("matrix") or []
    if not isinstance(notices, list) or not isinstance(matrix, list):
        raise ValueError("notices and matrix must be lists")
    return Answer(
        deployable=deployable,
        reason=str(summary.get("reason") or ""),
        notices=tuple(str(n["text"]) for n in notices if isinstance(n, dict) and n.get("text")),
        rows=tuple(_row(item) for item in matrix if isinstance(item, dict)),
    )


def refusal(pacticipant: str, version: str, environment: str) -> str:
    """The one line a refused version ends with (the report above it gives the reason)."""
    return (
        f"can-i-deploy: {pacticipant} {version} is not safe to deploy to {environment} "
        "(the broker's reason is above)"
    )


def _row(item: dict[str, Any]) -> Row:
    consumer, provider = item.get("consumer") or {}, item.get("provider") or {}
    result = item.get("verificationResult") or {}
    success = result.get("success")
    return Row(
        consumer=str(consumer.get("name", "")),
        consumer_version=_number(consumer),
        provider=str(provider.get("name", "")),
        provider_version=_number(provider),
        success=success if isinstance(success, bool) else None,
    )


def _number(pacticipant: dict[str, Any]) -> str:
    version = pacticipant.get("version") or {}
    return str(version.get("number") or "unknown")


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
