"""Missing or wrong configuration: one line saying what to do, a non-zero exit, no traceback.

Each case runs ``invoke`` as a subprocess with a scrubbed environment, the way a CI job does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .conftest import Ran

SECRETS = {"PACT_BROKER_TOKEN": "t0ken-value", "PACT_BROKER_PASSWORD": "passw0rd-value"}
IDENTITY = {"GIT_COMMIT": "0123abc", "GIT_BRANCH": "main"}
CAN_I_DEPLOY = ["can-i-deploy", "--pacticipant", "billing-service", "--to-environment", "test"]
RECORD = ["--pacticipant", "billing-service", "--version", "1", "--environment", "test"]
NO_BROKER = "needs a broker: export PACT_BROKER_BASE_URL=https://your-broker"


def assert_one_line(ran: Ran, expected: str) -> None:
    assert ran.exited != 0, ran.output
    assert "Traceback" not in ran.output
    assert ran.output.count("\n") == 0, ran.output
    assert expected in ran.output
    for secret in SECRETS.values():
        assert secret not in ran.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["publish"], f"publish {NO_BROKER}", id="publish"),
        pytest.param(["contract-check"], f"contract-check {NO_BROKER}", id="contract-check"),
        pytest.param(
            ["provider-contract"], f"provider-contract {NO_BROKER}", id="provider-contract"
        ),
        pytest.param(CAN_I_DEPLOY, f"can-i-deploy {NO_BROKER}", id="can-i-deploy"),
        pytest.param(["record-deployment", *RECORD], NO_BROKER, id="record-deployment"),
        pytest.param(["record-release", *RECORD], NO_BROKER, id="record-release"),
        pytest.param(
            ["provider-verify"],
            "provider-verify needs --pact-dir DIR (local pacts) or a broker",
            id="provider-verify",
        ),
        pytest.param(
            ["webhook-verify"], "webhook-verify needs --pact-url", id="webhook-verify-no-url"
        ),
        pytest.param(
            ["can-i-deploy", "--pacticipant", "billing-service", "--to-environment", "staging"],
            "unknown environment 'staging': choose one of test, production",
            id="unknown-environment",
        ),
        pytest.param(
            ["record-deployment", "--environment", "test"],
            "no --pacticipant given: choose one of billing-service, user-service",
            id="no-pacticipant",
        ),
    ],
)
def test_without_a_broker(invoke: Callable[..., Ran], args: list[str], expected: str) -> None:
    assert_one_line(invoke(*args, env={**SECRETS, **IDENTITY}), expected)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["publish"], id="publish"),
        pytest.param(["contract-check"], id="contract-check"),
        pytest.param([*CAN_I_DEPLOY, "--retries", "1"], id="can-i-deploy"),
        pytest.param(["record-deployment", *RECORD], id="record-deployment"),
        pytest.param(["record-release", *RECORD], id="record-release"),
        pytest.param(["provider-verify"], id="provider-verify"),
    ],
)
def test_an_unreachable_broker(
    invoke: Callable[..., Ran], closed_port_url: str, pact_dir: Path, args: list[str]
) -> None:
    if args in (["publish"], ["contract-check"]):
        args = [*args, "--pact-dir", str(pact_dir)]
    env = {**SECRETS, **IDENTITY, "PACT_BROKER_BASE_URL": closed_port_url}

    ran = invoke(*args, env={**env, "PACT_BROKER_HTTP_RETRIES": "1"})

    assert_one_line(ran, f"cannot reach the broker at {closed_port_url}: is it running")


@pytest.mark.parametrize("task", ["publish", "contract-check"])
def test_no_pacts(invoke: Callable[..., Ran], tmp_path: Path, task: str) -> None:
    env = {"PACT_BROKER_BASE_URL": "http://127.0.0.1:9", **IDENTITY}

    ran = invoke(task, "--pact-dir", str(tmp_path), env=env)

    assert_one_line(
        ran, f"no pact files in {tmp_path}: run `uv run invoke contract-consumer` first"
    )


def test_a_broker_url_with_credentials_is_refused(invoke: Callable[..., Ran]) -> None:
    url = "https://me:passw0rd-value@broker.example"

    ran = invoke(*CAN_I_DEPLOY, env={"PACT_BROKER_BASE_URL": url, **IDENTITY})

    assert_one_line(ran, "PACT_BROKER_BASE_URL must not contain credentials")


def test_local_pact_results_are_never_published(invoke: Callable[..., Ran]) -> None:
    ran = invoke("provider-verify", "--pact-dir", "pacts", "--publish")

    assert_one_line(ran, "--publish needs pacts from the broker: drop --pact-dir")


def test_a_wrong_wip_date(invoke: Callable[..., Ran], closed_port_url: str) -> None:
    env = {"PACT_BROKER_BASE_URL": closed_port_url, "PACT_WIP_SINCE": "last week", **IDENTITY}

    ran = invoke("provider-verify", env=env)

    assert_one_line(ran, "PACT_WIP_SINCE must be a date like 2026-11-22, got 'last week'")
