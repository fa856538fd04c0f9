"""Broker tiers, all through the ``pact`` CLI: publish, can-i-deploy, record-deployment/release."""

from __future__ import annotations

import os
from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from contract_terms import ENVIRONMENTS, PACTICIPANTS
from deploy.can_i_deploy import ask_can_i_deploy, refusal
from tasks.brokercli import (
    RETRIES_HELP,
    broker_url,
    checked,
    one_line_failure,
    pact_broker,
    retries_args,
)
from tasks.tiers import PACT_DIR, REPO
from tasks.versioning import (
    BRANCH_HELP,
    BUILD_URL_HELP,
    VERSION_HELP,
    derive_branch,
    derive_build_url,
    derive_version,
    derived,
)

__all__ = ["can_i_deploy", "pact_files", "publish", "record_deployment", "record_release"]


def pact_files(pact_dir: str) -> tuple[Path, list[Path]]:
    """The folder (under the repository) and its pact files; Exit when there are none."""
    folder = REPO / pact_dir
    pacts = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not pacts:
        raise Exit(f"no pact files in {folder}: run `uv run invoke contract-consumer` first")
    return folder, pacts


@task(
    help={
        "version": f"consumer {VERSION_HELP}",
        "branch": f"consumer {BRANCH_HELP}",
        "build_url": BUILD_URL_HELP,
        "pact_dir": "folder of pacts to publish (default: pacts/)",
        "retries": RETRIES_HELP,
    }
)
def publish(
    c: Context,
    *,
    version: str = "",
    branch: str = "",
    build_url: str = "",
    pact_dir: str = str(PACT_DIR),
    retries: str = "",
) -> None:
    """Publish the pacts to the broker (pact CLI) as this build's version and branch."""
    url = broker_url("publish")
    folder, pacts = pact_files(pact_dir)
    the_version = derived(lambda: derive_version(os.environ, repo=REPO, explicit=version))
    the_branch = derived(lambda: derive_branch(os.environ, repo=REPO, explicit=branch))
    link = derive_build_url(os.environ, explicit=build_url)
    args = ["--consumer-app-version", the_version.value, "--branch", the_branch.value]
    if link:
        args += ["--build-url", link]
    outcome = pact_broker(c, "publish", str(folder), *args, *retries_args(retries))
    if outcome.exited:
        raise Exit(one_line_failure("publish", outcome.output, base_url=url))
    print(
        f"publish: {len(pacts)} pact(s) from {folder}, version {the_version}, branch {the_branch}"
    )
    print(outcome.output)


@task(
    name="can-i-deploy",
    help={
        "pacticipant": f"who is deployed: {' or '.join(PACTICIPANTS)}",
        "version": VERSION_HELP,
        "to_environment": f"where to: {' or '.join(ENVIRONMENTS)}",
        "retry_while_unknown": "ask again this many times while verification results are missing",
        "retry_interval": "seconds between those attempts (default: 10)",
        "retries": RETRIES_HELP,
    },
)
def can_i_deploy(
    c: Context,
    *,
    pacticipant: str = "",
    version: str = "",
    to_environment: str = "",
    retry_while_unknown: int = 0,
    retry_interval: int = 10,
    retries: str = "",
) -> None:
    """Ask the broker whether a version is safe to deploy; prints its reason, non-zero if not."""
    name = _pacticipant(pacticipant)
    environment = _environment(to_environment, option="--to-environment")
    if retry_while_unknown < 0 or retry_interval < 1:
        raise Exit("--retry-while-unknown must be 0 or more and --retry-interval 1 or more")
    url = broker_url("can-i-deploy")
    the_version = derived(lambda: derive_version(os.environ, repo=REPO, explicit=version))
    header = f"can-i-deploy: {name} {the_version} to {environment}"
    if retry_while_unknown:
        # Output is shown once the CLI is done: say why nothing happens for a while.
        wait = retry_while_unknown * retry_interval
        print(f"{header}: waiting up to {wait} s while verification results are unknown")
    answer = ask_can_i_deploy(
        c,
        base_url=url,
        pacticipant=name,
        version=the_version.value,
        environment=environment,
        retry_while_unknown=retry_while_unknown,
        retry_interval=retry_interval,
        retries=retries,
    )
    if not retry_while_unknown:
        print(header)
    print(answer.report())  # the matrix and the broker's reason
    if not answer.allowed:
        raise Exit(refusal(name, the_version.value, environment))


_RECORD_HELP = {
    "pacticipant": f"who was deployed: {' or '.join(PACTICIPANTS)}",
    "version": VERSION_HELP,
    "environment": f"where: {' or '.join(ENVIRONMENTS)}",
    "retries": RETRIES_HELP,
}


@task(name="record-deployment", help=_RECORD_HELP)
def record_deployment(
    c: Context,
    *,
    pacticipant: str = "",
    version: str = "",
    environment: str = "",
    retries: str = "",
) -> None:
    """Tell the broker a version is now deployed to an environment (replaces the previous one)."""
    _record(
        c,
        "record-deployment",
        pacticipant=pacticipant,
        version=version,
        environment=environment,
        retries=retries,
    )


@task(name="record-release", help=_RECORD_HELP)
def record_release(
    c: Context,
    *,
    pacticipant: str = "",
    version: str = "",
    environment: str = "",
    retries: str = "",
) -> None:
    """Tell the broker a version is released to an environment (alongside earlier releases)."""
    _record(
        c,
        "record-release",
        pacticipant=pacticipant,
        version=version,
        environment=environment,
        retries=retries,
    )


def _record(
    c: Context, command: str, *, pacticipant: str, version: str, environment: str, retries: str
) -> None:
    name = _pacticipant(pacticipant)
    where = _environment(environment, option="--environment")
    url = broker_url(command)
    the_version = derived(lambda: derive_version(os.environ, repo=REPO, explicit=version))
    args = ["--pacticipant", name, "--version", the_version.value, "--environment", where]
    outcome = checked(c, command, *args, *retries_args(retries), base_url=url)
    print(f"{command}: {name} {the_version} in {where}")
    print(outcome.output)


def _pacticipant(name: str) -> str:
    if name not in PACTICIPANTS:
        given = f"unknown pacticipant {name!r}" if name else "no --pacticipant given"
        raise Exit(f"{given}: choose one of {', '.join(PACTICIPANTS)}")
    return name


def _environment(name: str, *, option: str) -> str:
    if name not in ENVIRONMENTS:
        given = f"unknown environment {name!r}" if name else f"no {option} given"
        raise Exit(
            f"{given}: choose one of {', '.join(ENVIRONMENTS)} "
            "(the environments are defined in contract_terms.environments)"
        )
    return name
