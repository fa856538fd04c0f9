"""``contract-check``: the consumer's pacts against the provider contracts in use, before publish.

Between contract-consumer and publish it asks the broker (``POST
/provider-contracts/provider/{provider}/check``, this project's broker's read-only endpoint; no
Pact CLI command exists for it) whether the freshly written pacts are compatible with the
provider contracts of the provider's main-branch head and of its deployed or released versions,
and fails at once naming the field that breaks, before anything is published.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote as quote_url

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from tasks.brokercli import BASE_URL, CREDENTIALS, authorization, broker_url, opener, redact
from tasks.contracts import pact_files
from tasks.tiers import PACT_DIR, REPO
from tasks.versioning import BRANCH_HELP, VERSION_HELP, derive_branch, derive_version, derived

__all__ = ["ContractCheckFailed", "PactCheck", "check_pact", "contract_check"]

_RETRIED_STATUSES = {408, 429, 500, 502, 503, 504}
_DEFAULT_ATTEMPTS = 8  # as the pact CLI: about a minute against a broker that answers 5xx


class ContractCheckFailed(Exit):
    """A pact is not compatible with a provider contract in use; ``lines`` name what breaks."""

    def __init__(self, lines: list[str]) -> None:
        more = f" (and {len(lines) - 1} more above)" if len(lines) > 1 else ""
        super().__init__(f"contract-check failed: {lines[0]}{more}")
        self.lines = lines


@dataclass(frozen=True)
class PactCheck:
    """The broker's answer for one pact file: each provider contract it was compared with."""

    pact: Path
    provider: str
    success: bool
    contracts: list[dict[str, Any]]
    notices: list[str]

    def report(self) -> list[str]:
        """One line per contract checked, each failing line under its contract."""
        if not self.contracts:
            said = "; ".join(self.notices) or "no provider contract to check against"
            return [f"{self.pact.name} → {self.provider}: nothing to check ({said})"]
        lines = []
        for contract in self.contracts:
            number = contract["providerVersion"]["number"]
            why = ", ".join(contract.get("why", []))
            verdict = "compatible" if contract["success"] else "NOT compatible"
            lines.append(f"{self.pact.name} → {self.provider} {number} ({why}): {verdict}")
            lines += [f"    {line}" for line in contract.get("lines", [])]
        return lines

    def failing_lines(self) -> list[str]:
        return [
            line
            for contract in self.contracts
            if not contract["success"]
            for line in contract.get("lines") or [f"{self.provider} contract: not compatible"]
        ]


@task(
    name="contract-check",
    help={
        "pact_dir": "folder of pacts to check (default: pacts/)",
        "version": f"consumer {VERSION_HELP}",
        "branch": f"consumer {BRANCH_HELP}",
        "retries": "attempts per broker request (default: PACT_BROKER_HTTP_RETRIES, else 8, "
        "about a minute against a broker that answers 5xx)",
    },
)
def contract_check(
    c: Context,
    *,
    pact_dir: str = str(PACT_DIR),
    version: str = "",
    branch: str = "",
    retries: str = "",
) -> None:
    """Check the pacts against the provider contracts in use, before publishing; names the field."""
    url = broker_url("contract-check")
    attempts = _attempts(retries)
    folder, pacts = pact_files(pact_dir)
    the_version = derived(lambda: derive_version(os.environ, repo=REPO, explicit=version))
    the_branch = derived(lambda: derive_branch(os.environ, repo=REPO, explicit=branch))
    checks = [check_pact(pact, base_url=url, attempts=attempts) for pact in pacts]
    print(
        f"contract-check: {len(pacts)} pact(s) from {folder}, consumer version {the_version}, "
        f"branch {the_branch}\nagainst the provider contracts in use at {redact(url)} (each "
        "provider's main-branch head and deployed or released versions)"
    )
    for check in checks:
        print("\n".join(check.report()))
    failing = [line for check in checks for line in check.failing_lines()]
    if failing:
        raise ContractCheckFailed(failing)
    compared = sum(len(check.contracts) for check in checks)
    print(
        f"contract-check: passed: compatible with {compared} provider contract(s)"
        if compared
        else "contract-check: passed: no provider contract in use to check against"
    )


def check_pact(pact: Path, *, base_url: str, attempts: int = 1) -> PactCheck:
    """Ask the broker to compare ``pact`` with its provider's contracts in use."""
    body = pact.read_bytes()
    try:
        provider = json.loads(body)["provider"]["name"]
    except (ValueError, KeyError, TypeError):
        raise Exit(f"contract-check: {pact} is not a pact (no provider name)") from None
    path = f"/provider-contracts/provider/{quote_url(provider, safe='')}/check"
    status, answer = _post(base_url, path, body, attempts=attempts)
    where = redact(base_url)
    if status in {401, 403}:
        raise Exit(
            f"contract-check failed: the broker at {where} refused the credentials: set "
            f"{CREDENTIALS[0]}, or {CREDENTIALS[1]} and {CREDENTIALS[2]}"
        )
    if status == 404:
        raise Exit(
            f"contract-check failed: the broker at {where} has no provider-contract check "
            f"(POST {path} answered 404): it needs this project's broker"
        )
    if status == 400:
        raise Exit(f"contract-check failed: the broker rejected {pact.name}: {_errors(answer)}")
    if status != 200 or not isinstance(answer, dict) or "contracts" not in answer:
        raise Exit(
            f"contract-check failed: the broker at {where} answered {status} for {path}: "
            f"{_errors(answer)}"
        )
    return PactCheck(
        pact=pact,
        provider=provider,
        success=bool(answer["success"]),
        contracts=list(answer["contracts"]),
        notices=[n["text"] for n in answer.get("notices", []) if n.get("text")],
    )


def _post(base_url: str, path: str, body: bytes, *, attempts: int) -> tuple[int, object]:
    """POST ``body`` (JSON) to the broker; the status and the decoded answer.

    Retries, with back-off, what the pact CLI retries: no connection, 408, 429 and 5xx.
    """
    request = urllib.request.Request(  # noqa: S310 (broker_url allows http(s) only)
        base_url.rstrip("/") + path,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/hal+json"}
        | authorization(),
    )
    broker = opener(base_url)
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            with broker.open(request, timeout=30) as response:
                return response.status, _decoded(response.read())
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, _decoded(exc.read())
            if status not in _RETRIED_STATUSES or attempt == attempts:
                return status, answer
        except (urllib.error.URLError, OSError) as exc:
            if attempt == attempts:
                raise Exit(
                    f"contract-check failed: cannot reach the broker at {redact(base_url)}: "
                    f"is it running, and is {BASE_URL} right? ({getattr(exc, 'reason', exc)})"
                ) from None
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable: the last attempt returns or raises")


def _decoded(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace").strip()[:200]


def _errors(answer: object) -> str:
    if isinstance(answer, dict):
        errors = answer.get("errors", answer.get("error", answer))
        if isinstance(errors, dict):
            return "; ".join(
                f"{field}: {', '.join(map(str, m if isinstance(m, list) else [m]))}"
                for field, m in errors.items()
            )
        return str(errors)
    return str(answer) or "no body"


def _attempts(retries: str) -> int:
    text = retries or os.environ.get("PACT_BROKER_HTTP_RETRIES", "")
    if not text:
        return _DEFAULT_ATTEMPTS
    if not text.isdigit():
        source = "--retries" if retries else "PACT_BROKER_HTTP_RETRIES"
        raise Exit(f"{source} must be a whole number, got {text!r}")
    return max(int(text), 1)
