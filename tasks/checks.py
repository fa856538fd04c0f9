"""Test tiers: unit, contract-consumer, lint, test."""

from __future__ import annotations

import glob
import os
import shutil

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from tasks.cache import Outcome, run_cached
from tasks.inputs import INPUTS
from tasks.tiers import BROKER, CONSUMER, PACT_DIR, REPO, TIERS, quote, tier_env

NO_CACHE_HELP = "run it even when its input digest has a recorded success (.cache/tiers/)"


@task(
    help={
        "member": "only this member's unit tests (consumer, provider, broker)",
        "no_cache": NO_CACHE_HELP,
    }
)
def unit(c: Context, member: str = "", no_cache: bool = False) -> list[Outcome]:
    """Unit tests of every member, each in its own tier environment (cached by input digest)."""
    tiers = [t for t in TIERS if not member or t.name == member]
    if not tiers:
        raise Exit(f"unknown member {member!r}: choose one of {', '.join(t.name for t in TIERS)}")
    return [
        run_cached(
            INPUTS[f"unit-{tier.name}"],
            lambda tier=tier: tier.run(c, "pytest tests/unit"),  # type: ignore[misc]
            no_cache=no_cache,
        )
        for tier in tiers
    ]


@task(
    name="contract-consumer",
    help={"pact_dir": "where to write the pact (default: pacts/)", "no_cache": NO_CACHE_HELP},
)
def contract_consumer(c: Context, pact_dir: str = str(PACT_DIR), no_cache: bool = False) -> Outcome:
    """Consumer contract tests (pact-python): write pacts/billing-service-user-service.json.

    Cached by input digest: a hit restores the recorded pact byte for byte.
    """
    folder = REPO / pact_dir
    inputs = INPUTS["contract-consumer"]
    return run_cached(
        inputs,
        lambda: CONSUMER.run(c, quote("pytest", "tests/contract", f"--pact-dir={folder}")),
        outputs={name: folder / name for name in inputs.outputs},
        no_cache=no_cache,
    )


@task
def lint(c: Context) -> None:
    """ruff check + format check over the repo; mypy (strict) on each member's sources."""
    c.run("ruff check .", env=tier_env(), replace_env=True)
    c.run("ruff format --check .", env=tier_env(), replace_env=True)
    c.run("mypy tasks deploy terms/src", env=tier_env(), replace_env=True)
    for tier in TIERS:
        tier.run(c, quote("mypy", "--config-file", REPO / "pyproject.toml", "src"))


def postgresql_available() -> bool:
    """Whether PostgreSQL's server binaries are installed (Debian keeps them off PATH)."""
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb"))


@task(pre=[lint])
def test(c: Context) -> None:
    """The whole suite: lint, every member's tests (broker on SQLite and PostgreSQL), tasks, CI."""
    for tier in TIERS:  # consumer first: its contract tests write the pact the provider verifies
        tier.run(c, quote("pytest", f"--pact-dir={PACT_DIR}"))
    if postgresql_available():
        # The same broker suite on a throwaway PostgreSQL cluster (the pages need no second run).
        BROKER.run(c, "pytest --database=postgresql --ignore=tests/browser")
    elif os.environ.get("BROKER_TEST_POSTGRESQL") == "required":
        raise Exit("PostgreSQL is required for the broker tests: apt-get install postgresql")
    else:
        print("skipped: the broker suite on PostgreSQL (install it: apt-get install postgresql)")
    # The tasks' and the workflows' own tests run where the tasks run: the root environment.
    with c.cd(str(REPO)):
        c.run("pytest tests", env=tier_env(), replace_env=True)
