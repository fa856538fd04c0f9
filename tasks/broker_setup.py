"""``invoke broker-setup``: make a broker ready for this pipeline (idempotent; the ``pact`` CLI).

The pipeline needs the environments (``test``, ``production``), each application's main branch
(its pacticipant's ``mainBranch``: the ``mainBranch`` selector and pending pacts read it) and the
webhook that starts the provider's verification. ``set_up`` creates what is missing and sets the
rest; ``invoke ci`` runs it on its embedded broker, and against a remote broker it first asks
``missing`` and stops with one line naming ``uv run invoke broker-setup`` when anything is.
Independent commands run at the same time: each is a separate CLI process waiting on the broker.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from contract_terms import ENVIRONMENTS, PACTICIPANTS, PRODUCTION
from tasks.brokercli import (
    RETRIES_HELP,
    BrokerError,
    broker_url,
    checked,
    http_status,
    one_line_failure,
    pact_broker,
    redact,
    retries_args,
)
from tasks.processes import together
from tasks.webhooks import load_definition, token_header, webhook_args

__all__ = ["COMMAND", "DEFAULT_MAIN_BRANCH", "broker_setup", "missing", "set_up"]

COMMAND = "uv run invoke broker-setup"
DEFAULT_MAIN_BRANCH = "main"
GITHUB_DISPATCHES = "https://api.github.com/repos/{repository}/dispatches"


def set_up(
    c: Context,
    *,
    base_url: str,
    main_branch: str,
    webhook_url: str | None,
    token: str | None = None,
    retries: Sequence[str] = (),
    then: Sequence[Callable[[], str]] = (),
) -> list[str]:
    """Create the missing environments, set both main branches, create or update the webhook
    (unless ``webhook_url`` is None); one line per step. ``BrokerError`` on a failure.

    ``then`` are more steps that need the pacticipants (each returns its line): they run with
    the second round.
    """

    def run(command: str, *args: str) -> None:
        checked(c, command, *args, *retries, base_url=base_url)

    def pacticipant(name: str) -> str:
        run("create-or-update-pacticipant", "--name", name, "--main-branch", main_branch)
        return f"pacticipant {name}: main branch {main_branch}"

    # The webhook names its provider, which must exist first: two rounds. (The CLI creates a
    # pacticipant by looking first: two commands creating the same one at once conflict.)
    with ThreadPoolExecutor(max_workers=1 + len(PACTICIPANTS)) as pool:
        listed = pool.submit(_environment_names, c, base_url=base_url, retries=retries)
        named = [pool.submit(pacticipant, name) for name in PACTICIPANTS]
        existing = listed.result()
        lines = [future.result() for future in named]

    def environment(name: str) -> str:
        if name in existing:
            return f"environment {name}: exists"
        run("create-environment", "--name", name, *(["--production"] if name == PRODUCTION else []))
        return f"environment {name}: created"

    def webhook() -> str:
        assert webhook_url is not None
        definition = load_definition()
        run("create-or-update-webhook", *webhook_args(webhook_url, definition, token_header=token))
        events = ", ".join(definition["events"])
        return f"webhook {definition['uuid']}: {events} → {redact(webhook_url)}"

    steps: list[Callable[[], str]] = [partial(environment, name) for name in ENVIRONMENTS]
    if webhook_url is not None:
        steps.append(webhook)
    steps += then
    return [*together(*steps), *lines]


def missing(c: Context, *, base_url: str, retries: Sequence[str] = ()) -> list[str]:
    """What the pipeline needs that the broker lacks, a short phrase each; empty when ready."""
    uuid = load_definition()["uuid"]
    with ThreadPoolExecutor(max_workers=2 + len(PACTICIPANTS)) as pool:
        listed = pool.submit(_environment_names, c, base_url=base_url, retries=retries)
        hooked = pool.submit(http_status, base_url, f"/webhooks/{uuid}")
        branches = [pool.submit(_main_branch, c, n, base_url, retries) for n in PACTICIPANTS]
        environments, webhook = listed.result(), hooked.result()
        mains = [future.result() for future in branches]
    lacking = [f"environment {name}" for name in ENVIRONMENTS if name not in environments]
    lacking += [
        f"{name}'s main branch"
        for name, branch in zip(PACTICIPANTS, mains, strict=True)
        if not branch
    ]
    if webhook == 404:
        lacking.append(f"the webhook {uuid}")
    elif webhook in {401, 403}:
        raise BrokerError(
            f"checking the broker at {redact(base_url)} failed: it refused the credentials: "
            "set PACT_BROKER_TOKEN, or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD"
        )
    elif webhook != 200:
        raise BrokerError(
            f"checking the broker at {redact(base_url)} failed: GET /webhooks/{uuid} answered "
            f"{webhook}"
        )
    return lacking


def _environment_names(c: Context, *, base_url: str, retries: Sequence[str]) -> set[str]:
    outcome = checked(c, "list-environments", "--output", "json", *retries, base_url=base_url)
    answer = _json(outcome.stdout, "list-environments")
    return {str(e.get("name")) for e in answer.get("_embedded", {}).get("environments", [])}


def _main_branch(c: Context, name: str, base_url: str, retries: Sequence[str]) -> str:
    """The pacticipant's main branch; empty when it has none or does not exist yet."""
    outcome = pact_broker(c, "describe-pacticipant", "--name", name, "--output", "json", *retries)
    if outcome.exited and "404" in outcome.output:
        return ""
    if outcome.exited:
        raise BrokerError(
            one_line_failure("describe-pacticipant", outcome.output, base_url=base_url)
        )
    return str(_json(outcome.stdout, "describe-pacticipant").get("mainBranch") or "")


def _json(text: str, command: str) -> dict[str, Any]:
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise BrokerError(f"pact broker {command} answered something that is not JSON: {text[:80]}")
    return answer


@task(
    name="broker-setup",
    help={
        "main_branch": f"both applications' main branch (default: {DEFAULT_MAIN_BRANCH})",
        "webhook_url": "where the broker sends the verification dispatch (default, when "
        "GITHUB_REPOSITORY is set: "
        + GITHUB_DISPATCHES.format(repository="$GITHUB_REPOSITORY")
        + ")",
        "token_variable": "environment variable holding a token for the webhook's target (sent "
        "as 'Authorization: Bearer ...'; e.g. GITHUB_TOKEN)",
        "retries": RETRIES_HELP,
    },
)
def broker_setup(
    c: Context,
    main_branch: str = DEFAULT_MAIN_BRANCH,
    webhook_url: str = "",
    token_variable: str = "",
    retries: str = "",
) -> None:
    """Prepare a broker for the pipeline: environments, main branches, webhook (idempotent)."""
    base = broker_url("broker-setup")
    if not main_branch.strip():
        raise Exit("--main-branch must name a branch, e.g. main")
    repository = os.environ.get("GITHUB_REPOSITORY", "").strip()
    url = webhook_url or (GITHUB_DISPATCHES.format(repository=repository) if repository else "")
    if not url.startswith(("https://", "http://")):
        raise Exit(
            "broker-setup needs --webhook-url: where the broker sends the verification dispatch "
            f"(e.g. {GITHUB_DISPATCHES.format(repository='OWNER/REPO')})"
        )
    lines = set_up(
        c,
        base_url=base,
        main_branch=main_branch,
        webhook_url=url,
        token=token_header(token_variable),
        retries=retries_args(retries),
    )
    print(f"broker-setup: {redact(base)} is ready for the pipeline")
    for line in lines:
        print(f"  {line}")
