"""The broker tiers end to end: ``embedded_broker``, and the tasks driving it with the pact CLI."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from contract_terms import BILLING_SERVICE, PRODUCTION, TEST, USER_SERVICE
from tasks.embedded import HEARTBEAT, embedded_broker

if TYPE_CHECKING:
    from .conftest import Ran

PactCli = Callable[..., subprocess.CompletedProcess[str]]

# A version as publish derives it from uncommitted work: the "+" must survive every URL.
CONSUMER_VERSION = "0a1b2c3d+dirty.0123456789ab"


def heartbeat(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url + HEARTBEAT, timeout=2) as response:
        status: int = response.status
        return status


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One embedded broker for this module's tests (each test uses its own versions)."""
    with embedded_broker(tmp_path_factory.mktemp("broker")) as url:
        yield url


@pytest.fixture(scope="module")
def environments(broker: str) -> None:
    pact = str(Path(sys.executable).with_name("pact"))
    for name in (TEST, PRODUCTION):
        subprocess.run(
            [pact, "broker", "create-environment", "--name", name, "--retries", "1"],
            env={"PACT_BROKER_BASE_URL": broker, "PACT_DO_NOT_TRACK": "true"},
            capture_output=True,
            check=True,
            timeout=30,
        )


class Boom(Exception):
    """Raised inside the ``with`` block to prove the broker stops anyway."""


def test_embedded_broker_answers_then_always_stops(tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    def use_then_fail() -> None:
        with embedded_broker(tmp_path) as url:
            seen.update(url=url, status=heartbeat(url))
            raise Boom

    with pytest.raises(Boom):
        use_then_fail()

    url = str(seen["url"])
    assert url.startswith("http://127.0.0.1:")
    assert seen["status"] == 200
    with pytest.raises(urllib.error.URLError):
        heartbeat(url)
    assert (tmp_path / "broker.sqlite").is_file()
    assert "Finished server process" in (tmp_path / "broker.log").read_text()


@pytest.mark.usefixtures("environments")
def test_publish_record_and_can_i_deploy(
    broker: str, invoke: Callable[..., Ran], pact_cli: PactCli, pact_dir: Path
) -> None:
    env = {
        "PACT_BROKER_BASE_URL": broker,
        "PACT_BROKER_HTTP_RETRIES": "1",
        "GIT_COMMIT": CONSUMER_VERSION,
        "GIT_BRANCH": "feat/invoices",
    }
    who = ["--pacticipant", BILLING_SERVICE]

    published = invoke("publish", "--pact-dir", str(pact_dir), env=env)
    assert published.exited == 0, published.output
    assert (
        f"version {CONSUMER_VERSION} (from GIT_COMMIT), branch feat/invoices (from GIT_BRANCH)"
        in published.stdout
    )
    described = pact_cli(broker, "describe-version", *who, "--version", CONSUMER_VERSION)
    assert described.returncode == 0, described.stdout

    deployed = invoke("record-deployment", *who, "--environment", TEST, env=env)
    assert deployed.exited == 0, deployed.output
    assert f"Recorded deployment of {BILLING_SERVICE} version {CONSUMER_VERSION}" in deployed.stdout

    released = invoke("record-release", *who, "--environment", PRODUCTION, env=env)
    assert released.exited == 0, released.output
    assert f"Recorded release of {BILLING_SERVICE} version {CONSUMER_VERSION}" in released.stdout

    # Nothing has verified the pact: the broker must refuse, and say why.
    asked = invoke("can-i-deploy", *who, "--to-environment", PRODUCTION, env=env)
    assert asked.exited != 0
    assert "There is no verified pact between" in asked.stdout
    assert "Computer says no" in asked.stdout
    assert asked.stderr.strip() == (
        f"can-i-deploy: {BILLING_SERVICE} {CONSUMER_VERSION} is not safe to deploy to "
        f"{PRODUCTION} (the broker's reason is above)"
    )


@pytest.mark.usefixtures("environments")
def test_provider_results_are_published_only_when_asked(
    broker: str, invoke: Callable[..., Ran], pact_cli: PactCli, pact_dir: Path
) -> None:
    consumer = {"GIT_COMMIT": "c0ffee01", "GIT_BRANCH": "main"}
    base = {"PACT_BROKER_BASE_URL": broker, "PACT_BROKER_HTTP_RETRIES": "1"}
    published = invoke("publish", "--pact-dir", str(pact_dir), env={**base, **consumer})
    assert published.exited == 0, published.output

    def provider_version_known(version: str) -> bool:
        found = pact_cli(broker, "describe-version", "--pacticipant", USER_SERVICE, "-e", version)
        return found.returncode == 0

    provider = {"GIT_COMMIT": "1aptop01", "GIT_BRANCH": "main"}
    laptop = invoke("provider-verify", env={**base, **provider})
    assert laptop.exited == 0, laptop.output
    assert "verification results: not published (not on CI" in laptop.stdout
    assert "1 interaction(s) verified" in laptop.stdout
    assert not provider_version_known("1aptop01")

    on_ci = {"GIT_COMMIT": "c1000001", "GIT_BRANCH": "main", "CI": "true"}
    ci = invoke("provider-verify", env={**base, **on_ci})
    assert ci.exited == 0, ci.output
    assert "verification results: published to the broker (CI=true)" in ci.stdout
    assert provider_version_known("c1000001")

    pact_url = f"{broker}/pacts/provider/{USER_SERVICE}/consumer/{BILLING_SERVICE}/version/c0ffee01"
    hooked = invoke(
        "webhook-verify",
        "--pact-url",
        pact_url,
        "--provider-version",
        "w3bh00k1",
        "--provider-branch",
        "main",
        env=base,
    )
    assert hooked.exited == 0, hooked.output
    assert "1 interaction(s) verified" in hooked.stdout
    assert provider_version_known("w3bh00k1")
