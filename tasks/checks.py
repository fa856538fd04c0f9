"""Test tiers: unit, contract-consumer, lint, test, ci."""

from __future__ import annotations

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from tasks.tiers import CONSUMER, PACT_DIR, REPO, TIERS, quote, tier_env


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
    """The whole suite: lint, every member's tests (consumer first: it writes the pact), tasks'."""
    for tier in TIERS:
        tier.run(c, quote("pytest", f"--pact-dir={PACT_DIR}"))
    # The tasks' own tests run where the tasks run: the root environment.
    with c.cd(str(REPO)):
        c.run("pytest tests/tasks", env=tier_env())

