"""Test tiers: unit, contract-consumer, provider-verify, lint, test."""

from __future__ import annotations

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from tasks.tiers import CONSUMER, PROVIDER, REPO, TIERS, quote, tier_env

PACT_DIR = REPO / "pacts"


@task(help={"member": "only this member's unit tests (consumer, provider)"})
def unit(c: Context, member: str = "") -> None:
    """Unit tests of every member, each in its own tier environment."""
    tiers = [t for t in TIERS if not member or t.name == member]
    if not tiers:
        raise Exit(f"unknown member {member!r}: choose one of {', '.join(t.name for t in TIERS)}")
    for tier in tiers:
        tier.run(c, "pytest tests/unit")


@task(name="contract-consumer", help={"pact_dir": "where to write the pact (default: pacts/)"})
def contract_consumer(c: Context, pact_dir: str = str(PACT_DIR)) -> None:
    """Consumer contract tests (pact-python): write pacts/billing-service-user-service.json."""
    CONSUMER.run(c, quote("pytest", "tests/contract", f"--pact-dir={REPO / pact_dir}"))


@task(
    name="provider-verify",
    help={
        "pact_dir": "verify the local pact files in this folder",
        "provider_url": "verify this running provider instead of starting the app in-process",
        "state_change_url": "provider-state endpoint of --provider-url (without it states are "
        "skipped with a warning)",
        "variant": "verify a breaking variant of the app: username or id-string (a demonstration)",
    },
)
def provider_verify(
    c: Context,
    pact_dir: str = "",
    provider_url: str = "",
    state_change_url: str = "",
    variant: str = "",
) -> None:
    """Verify user-service against the consumers' pacts; non-zero exit on any failure."""
    if not pact_dir:
        raise Exit("provider-verify needs --pact-dir (e.g. --pact-dir pacts)")
    args = ["python", "-m", "user_service_contract", "--pact-dir", str(REPO / pact_dir)]
    for flag, value in (
        ("--provider-url", provider_url),
        ("--state-change-url", state_change_url),
        ("--variant", variant),
    ):
        if value:
            args += [flag, value]
    result = PROVIDER.run(c, quote(*args), warn=True)
    if result.exited:
        raise Exit("provider verification failed (see the summary above)", code=result.exited)


@task
def lint(c: Context) -> None:
    """ruff check + format check over the repo; mypy (strict) on each member's sources."""
    c.run("ruff check .", env=tier_env())
    c.run("ruff format --check .", env=tier_env())
    c.run("mypy tasks", env=tier_env())
    for tier in TIERS:
        tier.run(c, quote("mypy", "--config-file", REPO / "pyproject.toml", "src"))


@task(pre=[lint])
def test(c: Context) -> None:
    """The whole suite: lint, then every member's tests (consumer first: it writes the pact)."""
    for tier in TIERS:
        tier.run(c, quote("pytest", f"--pact-dir={PACT_DIR}"))


@task
def ci(c: Context) -> None:
    """The pipeline on this machine: unit → contract-consumer → provider-verify."""
    unit(c)
    contract_consumer(c)
    provider_verify(c, pact_dir=str(PACT_DIR))
