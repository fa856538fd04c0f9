"""``provider-contract``: the provider's tier of bi-directional contract testing.

It exports user-service's OpenAPI document, runs the provider's unit tests as the
self-verification, and publishes both with the official ``pact pactflow
publish-provider-contract``. The broker compares every consumer pact with the document; the
consumer's side is ``contract-check`` (tasks/contract_check.py).
"""

from __future__ import annotations

import os
import re

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from contract_terms import USER_SERVICE
from tasks.brokercli import (
    RETRIES_HELP,
    broker_url,
    one_line_failure,
    pact_pactflow,
    retries_args,
)
from tasks.cache import Outcome, run_cached
from tasks.inputs import INPUTS
from tasks.tiers import PROVIDER, REPO, quote
from tasks.versioning import (
    BRANCH_HELP,
    BUILD_URL_HELP,
    VERSION_HELP,
    derive_branch,
    derive_build_url,
    derive_version,
    derived,
)

__all__ = ["ARTIFACTS", "DOCUMENT", "SELF_VERIFICATION", "provider_contract"]

ARTIFACTS = REPO / ".artifacts" / "provider-contract"
"""What provider-contract publishes, kept for the build: the document and the test output."""
DOCUMENT = ARTIFACTS / f"{USER_SERVICE}.openapi.json"
SELF_VERIFICATION = ARTIFACTS / "self-verification.txt"
CONTENT_TYPE = "application/json"  # what `python -m user_service_contract.openapi` writes
SELF_VERIFICATION_TESTS = "tests/unit"

_PYTEST_VERSION = re.compile(r"\bpytest-(\d[\w.+-]*)")


@task(
    name="provider-contract",
    help={
        "version": f"provider {VERSION_HELP}",
        "branch": f"provider {BRANCH_HELP}",
        "build_url": BUILD_URL_HELP,
        "variant": "publish a breaking variant's document instead: username or id-string "
        "(a demonstration, used by `ci --breaking` on its embedded broker)",
        "retries": RETRIES_HELP,
        "no_cache": "export the document and run the self-verification even when their input "
        "digests have recorded successes (.cache/tiers/); publishing always happens",
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
    no_cache: bool = False,
) -> list[Outcome]:
    """Publish user-service's OpenAPI document and its self-verification (pact CLI)."""
    url = broker_url("provider-contract")
    the_version = derived(lambda: derive_version(os.environ, repo=REPO, explicit=version))
    the_branch = derived(lambda: derive_branch(os.environ, repo=REPO, explicit=branch))
    link = derive_build_url(os.environ, explicit=build_url)
    retry = retries_args(retries)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    exported = _export(c, variant=variant, no_cache=no_cache)
    # The self-verification: the provider's own tests, their output published with the document.
    exit_code, self_verified = _self_verify(c, no_cache=no_cache)
    verifier_version = _pytest_version(c, SELF_VERIFICATION.read_text(encoding="utf-8"))

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
        str(exit_code),
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
    outcome = pact_pactflow(c, "publish-provider-contract", *args)
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
    verdict = "passed" if not exit_code else f"FAILED (exit status {exit_code})"
    print(
        f"provider-contract: {DOCUMENT.relative_to(REPO)}{shown} for {USER_SERVICE} "
        f"{the_version}, branch {the_branch}; self-verification (pytest {verifier_version}, "
        f"{SELF_VERIFICATION_TESTS}) {verdict}"
    )
    print(outcome.output)
    if exit_code:
        raise Exit(
            f"provider-contract: the self-verification failed (pytest exit status {exit_code});"
            f" the contract is published as failing, so it verifies no pact: see "
            f"{SELF_VERIFICATION.relative_to(REPO)}",
            code=exit_code,
        )
    return [exported, *([self_verified] if self_verified else [])]


class _SelfVerificationFailed(Exception):
    """The provider's tests failed: published as failing, never recorded in the cache."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


def _export(c: Context, *, variant: str, no_cache: bool) -> Outcome:
    """The OpenAPI document, exported from the app (cached by the provider's sources)."""

    def export() -> None:
        argv = ["python", "-m", "user_service_contract.openapi", "--out", str(DOCUMENT)]
        exported = PROVIDER.run(
            c, quote(*argv, *(["--variant", variant] if variant else [])), warn=True
        )
        if exported.exited:
            raise Exit("provider-contract: exporting the OpenAPI document failed (see above)")

    return run_cached(
        INPUTS["provider-openapi"],
        export,
        outputs={DOCUMENT.name: DOCUMENT},
        no_cache=no_cache,
        # The app's own document has the digest `invoke digest provider-openapi` prints (CI's key).
        extra={"variant": variant} if variant else None,
    )


def _self_verify(c: Context, *, no_cache: bool) -> tuple[int, Outcome | None]:
    """Run the provider's unit tests into SELF_VERIFICATION (a passing run is cached); their
    exit status."""

    def self_verify() -> None:
        tests = PROVIDER.run(c, quote("pytest", SELF_VERIFICATION_TESTS), warn=True)
        SELF_VERIFICATION.write_text(tests.stdout + tests.stderr, encoding="utf-8")
        if tests.exited:
            raise _SelfVerificationFailed(tests.exited)

    try:
        outcome = run_cached(
            INPUTS["provider-self-verification"],
            self_verify,
            outputs={SELF_VERIFICATION.name: SELF_VERIFICATION},
            no_cache=no_cache,
        )
    except _SelfVerificationFailed as failed:
        return failed.exit_code, None
    return 0, outcome


def _pytest_version(c: Context, output: str) -> str:
    """pytest's version, from its session header, else by asking it."""
    found = _PYTEST_VERSION.search(output)
    if found:
        return found.group(1)
    asked = PROVIDER.run(c, "pytest --version", warn=True)
    words = (asked.stdout + asked.stderr).split()
    return words[-1] if asked.exited == 0 and words else "unknown"
