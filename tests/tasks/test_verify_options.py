"""provider-verify's options and the harness's exit statuses, as the task reads them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from invoke.context import Context
from invoke.exceptions import Exit

import tasks.verify as verify
from tasks.brokercli import CliOutcome

if TYPE_CHECKING:
    from .conftest import Ran


@dataclass
class _Exited:
    exited: int


class _Harness:
    """Stands in for the provider tier: records each command, exits as told."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.commands: list[str] = []

    def run(self, c: Context, command: str, *, warn: bool = False, **env: str) -> _Exited:
        self.commands.append(command)
        return _Exited(self.status)


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (1, "provider verification failed (see the summary above)"),
        (2, "provider verification refused its input"),
        (3, "the results of some pacts could not be published to the broker"),
        (4, "provider verification could not use the broker"),
    ],
)
def test_each_harness_status_has_its_own_message(
    monkeypatch: pytest.MonkeyPatch, status: int, said: str
) -> None:
    monkeypatch.setattr(verify, "PROVIDER", _Harness(status))

    with pytest.raises(Exit) as raised:
        verify._run_harness(Context(), ["python", "-m", "user_service_contract"])

    assert said in str(raised.value.message)
    assert raised.value.code == status


def test_retries_reach_the_harness(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_BROKER_BASE_URL", "http://broker.example")
    checks: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        verify, "pact_broker", lambda c, *args: checks.append(args) or CliOutcome(0, "")
    )

    args = verify._broker_source(
        Context(),
        provider_version="1.2.3",
        provider_branch="main",
        build_url="",
        wip_since="",
        publish=False,
        variant="",
        retries="2",
    )

    assert checks == [("list-pacticipants", "--retries", "2")]
    assert args[args.index("--retries") + 1] == "2"


@pytest.mark.parametrize(
    ("given", "wanted"),
    [("", []), ("0", []), ("3", ["--workers", "3"]), (" 2 ", ["--workers", "2"])],
)
def test_workers_are_read_from_text(given: str, wanted: list[str]) -> None:
    assert verify.workers_args(given) == wanted


@pytest.mark.parametrize(
    ("given", "wanted"), [("", []), ("2/4", ["--shard", "2/4"]), (" 1 / 1 ", ["--shard", "1/1"])]
)
def test_a_shard_is_checked_and_passed_on(given: str, wanted: list[str]) -> None:
    assert verify.shard_args(given) == wanted


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        (
            "--workers",
            "abc",
            "--workers must be a whole number (0 or nothing: the CPUs, at most 8)",
        ),
        ("--workers", "-1", "--workers must be a whole number"),
        ("--workers", "1.5", "--workers must be a whole number"),
        ("--shard", "abc", "--shard must be K/N with 1 <= K <= N (e.g. 2/4)"),
        ("--shard", "0/2", "--shard must be K/N with 1 <= K <= N"),
        ("--shard", "3/2", "--shard must be K/N with 1 <= K <= N"),
        ("--shard", "1/0", "--shard must be K/N with 1 <= K <= N"),
    ],
)
def test_a_bad_workers_or_shard_is_one_clear_line(
    invoke: Callable[..., Ran], option: str, value: str, said: str
) -> None:
    ran = invoke("provider-verify", "--pact-dir", "pacts", option, value)

    assert ran.exited == 1
    assert said in ran.output
    assert repr(value) in ran.output
    assert "Traceback" not in ran.output


class _EnvHarness(_Harness):
    def __init__(self) -> None:
        super().__init__(0)
        self.envs: list[dict[str, str]] = []

    def run(self, c: Context, command: str, *, warn: bool = False, **env: str) -> _Exited:
        self.envs.append(env)
        return super().run(c, command, warn=warn)


def test_a_pact_urls_user_and_password_reach_the_harness_only_through_its_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    harness = _EnvHarness()
    monkeypatch.setattr(verify, "PROVIDER", harness)
    url = "https://ci%40example:s3cr%3At@broker.example/pacts/provider/p/consumer/c/pact-version/ab"

    verify.webhook_verify(
        Context(), pact_url=url, provider_version="1.2.3", provider_branch="main", no_cache=True
    )

    (command,) = harness.commands
    assert "https://broker.example/pacts/provider/p/consumer/c/pact-version/ab" in command
    assert harness.envs == [
        {
            "PACT_BROKER_USERNAME": "ci@example",
            "PACT_BROKER_PASSWORD": "s3cr:t",
            "PACT_BROKER_TOKEN": "",
        }
    ]
    printed = capsys.readouterr().out + command
    for secret in ("s3cr", "ci%40example", "ci@example"):
        assert secret not in printed
