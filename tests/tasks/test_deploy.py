"""``invoke deploy``/``undeploy`` on an embedded broker: the gate, the health check, the switch.

One broker serves the module: each test deploys versions of its own, and only the refusal test
touches production. Each test has its own copy of ``deploy/environments.toml`` with a temporary
state folder and free loopback ports; whatever it starts is stopped afterwards (by ``stop_all``,
then by the pid files' process groups should that fail).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from invoke.tasks import Task

from contract_terms import BILLING_SERVICE, ENVIRONMENTS, PRODUCTION, TEST, USER_SERVICE
from deploy.config import DEFAULT_CONFIG, load_config
from deploy.gate import stop_all
from deploy.runtime import EnvironmentDir
from tasks import ns
from tasks.embedded import embedded_broker

if TYPE_CHECKING:
    from .conftest import Ran

PactCli = Callable[..., subprocess.CompletedProcess[str]]
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Deployment:
    """A broker and a deployment description of this test's own (state folder, ports)."""

    broker: str
    config: Path
    state_dir: Path
    ports: dict[str, tuple[int, int]]  # user-service's two slots per environment

    def folder(self, environment: str) -> Path:
        return self.state_dir / environment

    def state(self, environment: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((self.folder(environment) / "state.json").read_text())
        return loaded

    def url(self, environment: str, slot: int) -> str:
        return f"http://{HOST}:{self.ports[environment][slot]}"

    def pid(self, environment: str, slot: int) -> int:
        pid_file = self.folder(environment) / f"{USER_SERVICE}.{self.ports[environment][slot]}.pid"
        return int(pid_file.read_text())

    def variant(self, name: str, **replace: str) -> Path:
        """The same description with some ``key = "value"`` lines changed, as another file."""
        text = self.config.read_text()
        for key, value in replace.items():
            text, count = re.subn(rf'(?m)^{key} = ".*"$', f'{key} = "{value}"', text)
            assert count == 1, key
        path = self.config.with_name(name)
        path.write_text(text)
        return path


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    with ExitStack() as stack:
        for sock in sockets:
            stack.enter_context(sock)
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


def health(url: str) -> dict[str, Any] | None:
    """``GET url/health`` as JSON, or None when nothing listens there."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/health", timeout=2) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.URLError as exc:
        reason = exc.reason
    assert isinstance(reason, ConnectionRefusedError), reason
    return None


def alive(group: int) -> bool:
    """Whether a process of the group runs (an exited ``uv`` waiting to be reaped does not)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for stat in proc.glob("[0-9]*/stat"):
        with suppress(OSError):
            state, _, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
            if int(pgrp) == group and state != "Z":
                return True
    return False


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One embedded broker with the environments test and production."""
    with embedded_broker(tmp_path_factory.mktemp("broker")) as url:
        pact = str(Path(sys.executable).with_name("pact"))
        for environment in ENVIRONMENTS:
            subprocess.run(
                [pact, "broker", "create-environment", "--name", environment, "--retries", "1"],
                env={"PACT_BROKER_BASE_URL": url, "PACT_DO_NOT_TRACK": "true"},
                capture_output=True,
                check=True,
                timeout=30,
            )
        yield url


@pytest.fixture
def deployment(tmp_path: Path, broker: str) -> Iterator[Deployment]:
    ports = free_ports(2 * len(ENVIRONMENTS))
    slots = {env: (ports[2 * i], ports[2 * i + 1]) for i, env in enumerate(ENVIRONMENTS)}
    text = DEFAULT_CONFIG.read_text()
    text = text.replace('state_dir = ".deploy"', f'state_dir = "{tmp_path / "deploy"}"')
    for environment, (blue, green) in slots.items():
        text, count = re.subn(
            rf"(\[environments\.{environment}\]\nuser-service = .*ports = )\[\d+, \d+\]",
            rf"\g<1>[{blue}, {green}]",
            text,
        )
        assert count == 1, environment
    config = tmp_path / "environments.toml"
    config.write_text(text)
    try:
        yield Deployment(broker, config, tmp_path / "deploy", slots)
    finally:
        for environment in ENVIRONMENTS:
            stop_all(environment, config=load_config(config))
        for pid_file in (tmp_path / "deploy").rglob("*.pid"):  # should stop_all have failed
            with suppress(ProcessLookupError, ValueError):
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)


@pytest.fixture
def run(invoke: Callable[..., Ran], deployment: Deployment) -> Callable[..., Ran]:
    """``run(task, *args)``: the task against the broker, with this test's description."""

    def go(name: str, *args: str, config: Path | None = None) -> Ran:
        env = {"PACT_BROKER_BASE_URL": deployment.broker, "PACT_BROKER_HTTP_RETRIES": "1"}
        return invoke(name, *args, "--config", str(config or deployment.config), env=env)

    return go


@pytest.fixture
def deployed(pact_cli: PactCli, deployment: Deployment) -> Callable[[str, str], list[str]]:
    """``deployed(pacticipant, environment)``: the versions the broker says are deployed there."""

    def ask(pacticipant: str, environment: str) -> list[str]:
        args = ["--pacticipant", pacticipant, "--environment", environment, "--deployed"]
        described = pact_cli(deployment.broker, "describe-version", *args, "--output", "json")
        assert described.returncode == 0, described.stderr
        return [
            entry["_embedded"]["version"]["number"]
            for entry in json.loads(described.stdout)
            if entry["currentlyDeployed"]
        ]

    return ask


@pytest.fixture
def version(pact_cli: PactCli, deployment: Deployment) -> Callable[[str, str], str]:
    """``version(pacticipant, "1.0.0")``: a version of this test's own, known to the broker.

    It has no pacts, so can-i-deploy allows it unless a consumer deployed there needs one.
    """
    token = secrets.token_hex(3)

    def create(pacticipant: str, label: str) -> str:
        number = f"{label}-{token}"
        args = ["--pacticipant", pacticipant, "--version", number, "--branch", "main"]
        made = pact_cli(deployment.broker, "create-or-update-version", *args)
        assert made.returncode == 0, made.stderr
        return number

    return create


Deployed = Callable[[str, str], list[str]]
Version = Callable[[str, str], str]


def deploy_args(pacticipant: str, version: str, environment: str = TEST) -> list[str]:
    return ["--pacticipant", pacticipant, "--version", version, "--to-environment", environment]


def test_a_refused_version_starts_and_records_nothing(
    deployment: Deployment,
    run: Callable[..., Ran],
    deployed: Deployed,
    version: Version,
    pact_cli: PactCli,
    pact_dir: Path,
) -> None:
    # billing-service runs in production with a pact that no user-service version has verified.
    consumer = version(BILLING_SERVICE, "b1")
    publish = ["publish", str(pact_dir), "--consumer-app-version", consumer, "--branch", "main"]
    published = pact_cli(deployment.broker, *publish)
    assert published.returncode == 0, published.stderr
    record = ["--pacticipant", BILLING_SERVICE, "--version", consumer, "--environment", PRODUCTION]
    recorded = pact_cli(deployment.broker, "record-deployment", *record)
    assert recorded.returncode == 0, recorded.stderr
    provider = version(USER_SERVICE, "1.0.0")

    refused = run("deploy", *deploy_args(USER_SERVICE, provider, PRODUCTION))

    assert refused.exited != 0
    assert "There is no verified pact between" in refused.stdout
    assert "Computer says no" in refused.stdout
    assert refused.stderr.strip() == (
        f"deploy: user-service {provider} not deployed to production: can-i-deploy: "
        f"user-service {provider} is not safe to deploy to production (the broker's reason is "
        "above); nothing was started or recorded"
    )
    assert not deployment.folder(PRODUCTION).exists()  # no state, pid file or log
    assert health(deployment.url(PRODUCTION, 0)) is None
    assert health(deployment.url(PRODUCTION, 1)) is None
    assert deployed(USER_SERVICE, PRODUCTION) == []


def test_a_deployable_version_runs_is_health_checked_and_recorded(
    deployment: Deployment, run: Callable[..., Ran], deployed: Deployed, version: Version
) -> None:
    first = version(USER_SERVICE, "1.0.0")

    ran = run("deploy", *deploy_args(USER_SERVICE, first))

    assert ran.exited == 0, ran.output
    url = deployment.url(TEST, 0)
    assert "Computer says yes" in ran.stdout
    assert f"deploy: healthy: {url}/health answered version {first}" in ran.stdout
    assert f"Recorded deployment of user-service version {first} to test" in ran.stdout
    assert health(url) == {"status": "ok", "version": first}
    state = deployment.state(TEST)
    assert list(state) == [USER_SERVICE]
    assert state[USER_SERVICE] | {"since": ""} == {
        "version": first,
        "url": url,
        "port": deployment.ports[TEST][0],
        "config": None,
        "since": "",
    }
    pid = deployment.pid(TEST, 0)
    assert alive(pid)
    assert deployed(USER_SERVICE, TEST) == [first]

    status = run("deploy-status")
    assert status.exited == 0, status.output
    assert f"test: {USER_SERVICE} {first} since {state[USER_SERVICE]['since']}, " in status.stdout
    assert f"{url}, pid {pid}: healthy" in status.stdout
    assert "production: nothing deployed" in status.stdout


def test_a_second_version_replaces_the_first(
    deployment: Deployment, run: Callable[..., Ran], deployed: Deployed, version: Version
) -> None:
    first, second = version(USER_SERVICE, "1.0.0"), version(USER_SERVICE, "2.0.0")
    assert run("deploy", *deploy_args(USER_SERVICE, first)).exited == 0
    old_pid = deployment.pid(TEST, 0)

    ran = run("deploy", *deploy_args(USER_SERVICE, second))

    assert ran.exited == 0, ran.output
    assert f"deploy: test switched to {second}; stopped {first} (pid {old_pid})" in ran.stdout
    assert not alive(old_pid)
    assert health(deployment.url(TEST, 0)) is None
    new_url = deployment.url(TEST, 1)
    assert health(new_url) == {"status": "ok", "version": second}
    assert deployment.state(TEST)[USER_SERVICE]["url"] == new_url
    pid_files = [p.name for p in deployment.folder(TEST).glob("*.pid")]
    assert pid_files == [f"{USER_SERVICE}.{deployment.ports[TEST][1]}.pid"]
    assert deployed(USER_SERVICE, TEST) == [second]


def test_a_failed_health_check_keeps_the_previous_version_and_records_nothing(
    deployment: Deployment, run: Callable[..., Ran], deployed: Deployed, version: Version
) -> None:
    first, second = version(USER_SERVICE, "1.0.0"), version(USER_SERVICE, "2.0.0")
    assert run("deploy", *deploy_args(USER_SERVICE, first)).exited == 0
    before = deployment.state(TEST)
    # The fault, injected through configuration: the new process really runs, but the address
    # its health is checked at answers 404, so it never becomes healthy.
    broken = deployment.variant("broken.toml", health_path="/no-such-health")

    args = [*deploy_args(USER_SERVICE, second), "--health-timeout", "2"]
    failed = run("deploy", *args, config=broken)

    assert failed.exited != 0
    candidate = deployment.url(TEST, 1)
    log = deployment.folder(TEST) / f"{USER_SERVICE}.{deployment.ports[TEST][1]}.log"
    assert failed.stderr.strip() == (
        f"deploy: user-service {second} failed its health check in test and was stopped: no "
        f"healthy answer from {candidate}/no-such-health within 2 s (last answer: HTTP 404) "
        f"(log: {log}); {first} keeps running; nothing was recorded"
    )
    assert "Uvicorn running on" in log.read_text()  # it did run ...
    assert "Finished server process" in log.read_text()  # ... and was stopped
    assert health(candidate) is None
    assert not log.with_suffix(".pid").exists()
    assert health(deployment.url(TEST, 0)) == {"status": "ok", "version": first}
    assert deployment.state(TEST) == before
    assert deployed(USER_SERVICE, TEST) == [first]


def test_undeploy_stops_it_and_records_the_undeployment(
    deployment: Deployment, run: Callable[..., Ran], deployed: Deployed, version: Version
) -> None:
    first = version(USER_SERVICE, "1.0.0")
    assert run("deploy", *deploy_args(USER_SERVICE, first)).exited == 0
    pid, port = deployment.pid(TEST, 0), deployment.ports[TEST][0]

    gone = run("undeploy", "--pacticipant", USER_SERVICE, "--environment", TEST)

    assert gone.exited == 0, gone.output
    stopped = f"undeploy: {USER_SERVICE} in test: stopped {USER_SERVICE} (pid {pid}, port {port})"
    assert stopped in gone.stdout
    assert f"Undeployed {USER_SERVICE} from test environment" in gone.stdout
    assert not alive(pid)
    assert health(deployment.url(TEST, 0)) is None
    left = sorted(p.name for p in deployment.folder(TEST).iterdir())
    assert left == [".lock", f"{USER_SERVICE}.{port}.log"]  # no state, no pid file
    assert deployed(USER_SERVICE, TEST) == []


def test_billing_service_is_configured_for_the_user_service_of_its_environment(
    deployment: Deployment, run: Callable[..., Ran], deployed: Deployed, version: Version
) -> None:
    first, second = version(USER_SERVICE, "1.0.0"), version(USER_SERVICE, "2.0.0")
    billing = version(BILLING_SERVICE, "b1")

    alone = run("deploy", *deploy_args(BILLING_SERVICE, billing))
    assert alone.exited != 0
    assert alone.stderr.strip() == (
        "deploy: billing-service calls user-service, which is not deployed in test: deploy it "
        "first (uv run invoke deploy --pacticipant user-service --to-environment test); nothing "
        "was written or recorded"
    )

    assert run("deploy", *deploy_args(USER_SERVICE, first)).exited == 0
    ran = run("deploy", *deploy_args(BILLING_SERVICE, billing))

    assert ran.exited == 0, ran.output
    settings = deployment.folder(TEST) / "billing-service.env"
    header = (
        "# billing-service in test, written by `uv run invoke deploy`: the\n"
        "# settings an application using the billing-service library here loads.\n"
    )
    first_url, second_url = deployment.url(TEST, 0), deployment.url(TEST, 1)
    assert settings.read_text() == (
        f"{header}BILLING_SERVICE_VERSION={billing}\nUSER_SERVICE_URL={first_url}\n"
    )
    assert deployment.state(TEST)[BILLING_SERVICE]["url"] == first_url
    assert deployed(BILLING_SERVICE, TEST) == [billing]

    # A new user-service moves to the other port: billing's configuration follows it.
    assert run("deploy", *deploy_args(USER_SERVICE, second)).exited == 0
    assert settings.read_text() == (
        f"{header}BILLING_SERVICE_VERSION={billing}\nUSER_SERVICE_URL={second_url}\n"
    )

    gone = run("undeploy", "--pacticipant", BILLING_SERVICE, "--environment", TEST)
    assert gone.exited == 0, gone.output
    assert not settings.exists()
    assert list(deployment.state(TEST)) == [USER_SERVICE]
    assert deployed(BILLING_SERVICE, TEST) == []


def test_billing_service_is_not_deployed_while_its_user_service_is_down(
    deployment: Deployment, run: Callable[..., Ran], deployed: Deployed, version: Version
) -> None:
    first = version(USER_SERVICE, "1.0.0")
    billing, next_billing = version(BILLING_SERVICE, "b1"), version(BILLING_SERVICE, "b2")
    assert run("deploy", *deploy_args(USER_SERVICE, first)).exited == 0
    assert run("deploy", *deploy_args(BILLING_SERVICE, billing)).exited == 0
    settings = (deployment.folder(TEST) / "billing-service.env").read_text()
    os.killpg(deployment.pid(TEST, 0), signal.SIGKILL)  # user-service crashes

    args = [*deploy_args(BILLING_SERVICE, next_billing), "--health-timeout", "1"]
    refused = run("deploy", *args)

    assert refused.exited != 0
    assert refused.stderr.strip() == (
        f"deploy: billing-service {next_billing} not deployed to test: user-service {first} "
        f"there is not healthy: no healthy answer from {deployment.url(TEST, 0)}/health within "
        "1 s (last attempt: [Errno 111] Connection refused); the configuration was left as it "
        "was and nothing was recorded"
    )
    assert (deployment.folder(TEST) / "billing-service.env").read_text() == settings
    assert deployment.state(TEST)[BILLING_SERVICE]["version"] == billing
    assert deployed(BILLING_SERVICE, TEST) == [billing]


def test_a_port_taken_by_another_process_starts_nothing(
    deployment: Deployment, run: Callable[..., Ran], deployed: Deployed, version: Version
) -> None:
    first = version(USER_SERVICE, "1.0.0")
    blue, green = deployment.ports[TEST]
    with socket.socket() as one, socket.socket() as other:
        one.bind((HOST, blue))
        other.bind((HOST, green))
        one.listen()
        other.listen()

        taken = run("deploy", *deploy_args(USER_SERVICE, first))

    assert taken.exited != 0
    assert taken.stderr.strip() == (
        f"deploy: cannot start user-service in test: port {blue} and {green} on 127.0.0.1 is in "
        f"use by another process: stop it or change the ports in {deployment.config}; nothing "
        "was started"
    )
    assert not list(deployment.folder(TEST).glob("*.pid"))
    assert first not in deployed(USER_SERVICE, TEST)


def test_a_busy_environment_starts_nothing(
    deployment: Deployment, run: Callable[..., Ran], deployed: Deployed, version: Version
) -> None:
    first = version(USER_SERVICE, "1.0.0")
    folder = EnvironmentDir(deployment.folder(TEST))

    with folder.locked():  # another deploy to test is under way
        busy = run("deploy", *deploy_args(USER_SERVICE, first))

    assert busy.exited != 0
    assert busy.stderr.strip() == (
        f"deploy: another deploy, undeploy or stop holds {folder.root / '.lock'}: try again "
        "when it is done"
    )
    assert not list(folder.root.glob("*.pid"))
    assert first not in deployed(USER_SERVICE, TEST)


@pytest.mark.parametrize("name", ["deploy", "undeploy", "deploy-status"])
def test_every_option_has_help(name: str) -> None:
    task: Task[Callable[..., None]] = ns[name]
    parameters = list(inspect.signature(task.body).parameters)[1:]  # after the Context

    assert (task.body.__doc__ or "").strip(), f"{name} has no docstring"
    assert sorted(task.help) == sorted(parameters)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            deploy_args(USER_SERVICE, "1", "staging"),
            "unknown environment 'staging': choose one of test, production",
            id="unknown-environment",
        ),
        pytest.param(
            ["--to-environment", TEST],
            "no --pacticipant given: choose one of billing-service, user-service",
            id="no-pacticipant",
        ),
        pytest.param(
            [*deploy_args(USER_SERVICE, "1"), "--config", "deploy/missing.toml"],
            "deploy: no deployment description at ",
            id="missing-config",
        ),
    ],
)
def test_wrong_options_fail_in_one_line(
    invoke: Callable[..., Ran], args: list[str], expected: str
) -> None:
    ran = invoke("deploy", *args)

    assert ran.exited != 0
    assert ran.output.count("\n") == 0, ran.output
    assert expected in ran.output
