"""Provider contracts (bi-directional contract testing): provider-contract and contract-check.

``provider-contract`` is the provider's tier: it exports user-service's OpenAPI document, runs the
provider's unit tests as the self-verification, and publishes both with the official ``pact
pactflow publish-provider-contract``. The broker compares every consumer pact with the document.

``contract-check`` is the consumer's, between contract-consumer and publish: it asks the broker
(``POST /provider-contracts/provider/{provider}/check``, this project's broker's read-only
endpoint; no Pact CLI command exists for it) whether the freshly written pacts are compatible with
the provider contracts of the provider's main-branch head and of its deployed or released
versions, and fails at once naming the field that breaks, before anything is published.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote as quote_url
from urllib.parse import urlsplit

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from contract_terms import USER_SERVICE
from tasks.brokercli import (
    BASE_URL,
    CREDENTIALS,
    RETRIES_HELP,
    CliOutcome,
    _pact_binary,  # brokercli runs `pact broker ...`; publishing needs `pact pactflow ...`
    broker_url,
    one_line_failure,
    redact,
    retries_args,
)
from tasks.tiers import PACT_DIR, PROVIDER, REPO, quote, tier_env
from tasks.versioning import (
    BRANCH_HELP,
    BUILD_URL_HELP,
    VERSION_HELP,
    derive_branch,
    derive_build_url,
    derive_version,
    derived,
)

__all__ = [
    "ARTIFACTS",
    "ContractCheckFailed",
    "PactCheck",
    "check_pact",
    "contract_check",
    "provider_contract",
]

ARTIFACTS = REPO / ".artifacts" / "provider-contract"
"""What provider-contract publishes, kept for the build: the document and the test output."""
DOCUMENT = ARTIFACTS / f"{USER_SERVICE}.openapi.json"
SELF_VERIFICATION = ARTIFACTS / "self-verification.txt"
CONTENT_TYPE = "application/json"  # what `python -m user_service_contract.openapi` writes
SELF_VERIFICATION_TESTS = "tests/unit"

_PYTEST_VERSION = re.compile(r"\bpytest-(\d[\w.+-]*)")
_RETRIED_STATUSES = {408, 429, 500, 502, 503, 504}
_DEFAULT_ATTEMPTS = 8  # as the pact CLI: about a minute against a broker that answers 5xx


@task(
    name="provider-contract",
    help={
        "version": f"provider {VERSION_HELP}",
        "branch": f"provider {BRANCH_HELP}",
        "build_url": BUILD_URL_HELP,
        "variant": "publish a breaking variant's document instead: username or id-string "
        "(a demonstration, used by `ci --breaking` on its embedded broker)",
        "retries": RETRIES_HELP,
    },
)
def provider_contract(
    c: Context,
    *,
    version: str = "",
    branch: str = "",
    build_url: str = "",
    variant: str = "",
    retries: str = "",
) -> None:
    """Publish user-service's OpenAPI document and its self-verification (pact CLI)."""
    url = broker_url("provider-contract")
    the_version = derived(lambda: derive_version(os.environ, repo=REPO, explicit=version))
    the_branch = derived(lambda: derive_branch(os.environ, repo=REPO, explicit=branch))
    link = derive_build_url(os.environ, explicit=build_url)
    retry = retries_args(retries)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    export = ["python", "-m", "user_service_contract.openapi", "--out", str(DOCUMENT)]
    exported = PROVIDER.run(
        c, quote(*export, *(["--variant", variant] if variant else [])), warn=True
    )
    if exported.exited:
        raise Exit("provider-contract: exporting the OpenAPI document failed (see above)")

    # The self-verification: the provider's own tests, their output published with the document.
    tests = PROVIDER.run(c, quote("pytest", SELF_VERIFICATION_TESTS), warn=True)
    SELF_VERIFICATION.write_text(tests.stdout + tests.stderr, encoding="utf-8")
    verifier_version = _pytest_version(c, tests.stdout)

    args = [
        str(DOCUMENT),
        "--provider",
        USER_SERVICE,
        "--provider-app-version",
        the_version.value,
        "--branch",
        the_branch.value,
        "--content-type",
        CONTENT_TYPE,
        "--verification-exit-code",
        str(tests.exited),
        "--verification-results",
        str(SELF_VERIFICATION),
        "--verification-results-content-type",
        "text/plain",
        "--verification-results-format",
        "text",
        "--verifier",
        "pytest",
        "--verifier-version",
        verifier_version,
        *(["--build-url", link] if link else []),
        *retry,
    ]
    outcome = _pactflow(c, "publish-provider-contract", *args)
    if outcome.exited:
        raise Exit(
            one_line_failure(
                "publish-provider-contract",
                outcome.output,
                base_url=url,
                doing="pact pactflow publish-provider-contract",
            )
        )
    shown = f" ({variant} variant)" if variant else ""
    verdict = "passed" if not tests.exited else f"FAILED (exit status {tests.exited})"
    print(
        f"provider-contract: {DOCUMENT.relative_to(REPO)}{shown} for {USER_SERVICE} "
        f"{the_version}, branch {the_branch}; self-verification (pytest {verifier_version}, "
        f"{SELF_VERIFICATION_TESTS}) {verdict}"
    )
    print(outcome.output)
    if tests.exited:
        raise Exit(
            f"provider-contract: the self-verification failed (pytest exit status {tests.exited});"
            f" the contract is published as failing, so it verifies no pact: see "
            f"{SELF_VERIFICATION.relative_to(REPO)}",
            code=tests.exited,
        )


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
    folder = REPO / pact_dir
    pacts = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not pacts:
        raise Exit(f"no pact files in {folder}: run `uv run invoke contract-consumer` first")
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
        | _authorization(),
    )
    loopback = urlsplit(base_url).hostname in {"127.0.0.1", "localhost", "::1"}
    # A loopback broker must not be reached through HTTP(S)_PROXY; a team's broker may need it.
    opener = urllib.request.build_opener(*([urllib.request.ProxyHandler({})] if loopback else []))
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            with opener.open(request, timeout=30) as response:
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


def _authorization() -> dict[str, str]:
    token, username, password = (os.environ.get(name, "") for name in CREDENTIALS)
    if token:
        return {"Authorization": f"Bearer {token}"}
    if username:
        pair = base64.b64encode(f"{username}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {}


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


def _pytest_version(c: Context, output: str) -> str:
    """pytest's version, from its session header, else by asking it."""
    found = _PYTEST_VERSION.search(output)
    if found:
        return found.group(1)
    asked = PROVIDER.run(c, "pytest --version", warn=True)
    words = (asked.stdout + asked.stderr).split()
    return words[-1] if asked.exited == 0 and words else "unknown"


def _pactflow(c: Context, command: str, *args: str) -> CliOutcome:
    """``pact pactflow COMMAND ARGS...``, quietly; the caller decides what to print."""
    result = c.run(
        quote(_pact_binary(), "pactflow", command, *args),
        env=tier_env(),
        hide=True,
        warn=True,
        echo=False,
        in_stream=False,
    )
    assert result is not None
    output = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", result.stdout + result.stderr).strip()
    return CliOutcome(result.exited, output, result.stdout)
