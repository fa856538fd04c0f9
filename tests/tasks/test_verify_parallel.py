"""provider-verify by pact against a real (embedded) broker: in workers or one after another the
same report, pending pacts that fail do not fail the build, each pact's result published once
with its testResults."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from contract_terms import USER_DOES_NOT_EXIST, USER_EXISTS, USER_SERVICE
from tasks.embedded import embedded_broker

if TYPE_CHECKING:
    from .conftest import Ran

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
CONSUMERS = {"consumer-a": 2, "consumer-b": 1, "consumer-c": 1}
"""Each consumer and its number of interactions; consumer-c asks for a field the app lacks."""


def get(url: str) -> dict[str, Any]:
    with OPENER.open(url, timeout=10) as response:
        found: dict[str, Any] = json.loads(response.read())
        return found


def status_of(url: str) -> int:
    try:
        with OPENER.open(url, timeout=10) as response:
            code: int = response.status
            return code
    except urllib.error.HTTPError as exc:
        return exc.code


def write_pacts(folder: Path, consumers: dict[str, int] = CONSUMERS, nonce: str = "") -> Path:
    """One pact per consumer; a ``nonce`` in the descriptions makes their content new."""
    folder.mkdir()
    for consumer, count in consumers.items():
        field = "nickname" if consumer.startswith("consumer-c") else "name"
        interactions: list[dict[str, Any]] = [
            {
                "description": f"{consumer} asks for user 321{nonce}",
                "providerStates": [{"name": USER_EXISTS, "params": {"id": 321}}],
                "request": {"method": "GET", "path": "/users/321"},
                "response": {"status": 200, "body": {field: "Ada Lovelace"}},
            },
            {
                "description": f"{consumer} asks for user 654{nonce}",
                "providerStates": [{"name": USER_DOES_NOT_EXIST, "params": {"id": 654}}],
                "request": {"method": "GET", "path": "/users/654"},
                "response": {"status": 404},
            },
        ][:count]
        pact = {
            "consumer": {"name": consumer},
            "provider": {"name": USER_SERVICE},
            "interactions": interactions,
            "metadata": {"pactSpecification": {"version": "3.0.0"}},
        }
        (folder / f"{consumer}-{USER_SERVICE}.json").write_text(json.dumps(pact))
    return folder


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded_broker(tmp_path_factory.mktemp("broker")) as url:
        yield url


def summary(ran: Ran) -> list[str]:
    """The report: failure blocks and the verdict (not the verifier's own progress output)."""
    lines = ran.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("✗", "Verification ")))
    return lines[start:]


def results_url(broker: str, consumer: str) -> str:
    pact = get(f"{broker}/pacts/provider/{USER_SERVICE}/consumer/{consumer}/latest")
    sha = re.search(r"/pact-version/([0-9a-f]+)", pact["_links"]["pb:pact-version"]["href"])
    assert sha, pact["_links"]
    return (
        f"{broker}/pacts/provider/{USER_SERVICE}/consumer/{consumer}/pact-version/"
        f"{sha.group(1)}/verification-results"
    )


def verify_as(invoke: Callable[..., Ran], broker: str, version: str, *options: str) -> Ran:
    """provider-verify as ``version`` on branch main against ``broker``."""
    env = {"PACT_BROKER_BASE_URL": broker, "PACT_BROKER_HTTP_RETRIES": "1"}
    return invoke(
        "provider-verify", "--provider-version", version, "--provider-branch", "main", *options,
        env=env,
    )  # fmt: skip


def test_parallel_verification_publishes_each_pact_once(
    broker: str, invoke: Callable[..., Ran], tmp_path: Path
) -> None:
    env = {"PACT_BROKER_BASE_URL": broker, "PACT_BROKER_HTTP_RETRIES": "1"}
    pacts = write_pacts(tmp_path / "pacts")
    published = invoke(
        "publish", "--pact-dir", str(pacts), env={**env, "GIT_COMMIT": "c1", "GIT_BRANCH": "main"}
    )
    assert published.exited == 0, published.output

    def verify(version: str, *options: str) -> Ran:
        return verify_as(invoke, broker, version, "--no-cache", *options)

    # Never verified: every pact is pending, so consumer-c's failure does not fail the build.
    first = verify("p1", "--publish", "--workers", "2")
    assert first.exited == 0, first.output
    assert summary(first)[-1] == (
        "Verification PASSED: 4 interaction(s) verified, 0 failed, 1 pending failure(s)."
    )
    # The broker's notices, as the verifier would say them: why, then what the outcome means.
    assert "This pact is in pending state for this version of user-service" in first.stdout
    assert "as the verification failed." in first.stdout
    assert "is no longer in pending state" in first.stdout
    for consumer, count in CONSUMERS.items():
        url = results_url(broker, consumer)
        result = get(url + "/1")
        assert result["providerApplicationVersion"] == "p1"
        assert result["success"] is (consumer != "consumer-c")
        assert len(result["testResults"]) == count
        assert all(entry["interactionId"] for entry in result["testResults"])
        assert status_of(url + "/2") == 404, f"{consumer}: published more than once"
    failed = get(results_url(broker, "consumer-c") + "/1")["testResults"][0]
    assert failed["success"] is False
    assert failed["mismatches"][0]["attribute"] == "body"

    # consumer-c is still pending (never passed); the others now fail the build if they break.
    serial = verify("p2", "--publish", "--workers", "1")
    parallel = verify("p3", "--publish", "--workers", "3")
    assert serial.exited == parallel.exited == 0, serial.output + parallel.output
    assert summary(serial) == summary(parallel)
    assert "(pending: does not fail the build)" in "\n".join(summary(parallel))
    for consumer in CONSUMERS:
        url = results_url(broker, consumer)
        assert [get(f"{url}/{n}")["providerApplicationVersion"] for n in (2, 3)] == ["p2", "p3"]
        assert status_of(url + "/4") == 404

    broken = verify("p4", "--variant", "username", "--workers", "2")
    assert broken.exited == 1, broken.output
    assert "2 failed, 1 pending failure(s)" in summary(broken)[-1]
    assert "missing the following keys: name" in broken.stdout


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[str]:
    """A broker with only this test's pacts."""
    folder = tmp_path / "broker"
    folder.mkdir()
    with embedded_broker(folder) as url:
        yield url


def test_a_recorded_success_is_reused_and_published_once_per_version(
    own_broker: str, invoke: Callable[..., Ran], tmp_path: Path
) -> None:
    broker = own_broker
    env = {"PACT_BROKER_BASE_URL": broker, "PACT_BROKER_HTTP_RETRIES": "1"}
    nonce = f" ({uuid.uuid4().hex})"  # new pact content: no record from an earlier session
    consumers = {"consumer-reuse-a": 2, "consumer-reuse-b": 1, "consumer-c-reuse": 1}
    pacts = write_pacts(tmp_path / "pacts", consumers, nonce)
    published = invoke(
        "publish", "--pact-dir", str(pacts), env={**env, "GIT_COMMIT": "r0", "GIT_BRANCH": "main"}
    )
    assert published.exited == 0, published.output

    first = verify_as(invoke, broker, "r1", "--publish")
    assert first.exited == 0, first.output
    assert "reused:" not in first.stdout

    again = verify_as(invoke, broker, "r1", "--publish")
    assert again.exited == 0, again.output
    reused = [line for line in summary(again) if line.startswith("· reused: ")]
    assert [line.split()[2] for line in reused] == ["consumer-reuse-a", "consumer-reuse-b"]
    assert summary(again)[-1] == summary(first)[-1]  # the failing pending pact was replayed
    assert "consumer-reuse-a: the broker has this result already" in again.stdout

    later = verify_as(invoke, broker, "r2", "--publish")
    assert later.exited == 0, later.output
    for consumer, count in consumers.items():
        url = results_url(broker, consumer)
        versions = []
        while status_of(f"{url}/{len(versions) + 1}") == 200:
            versions.append(get(f"{url}/{len(versions) + 1}")["providerApplicationVersion"])
        failing = consumer == "consumer-c-reuse"
        # A failure is replayed and published by every run; a success once per version.
        assert versions == (["r1", "r1", "r2"] if failing else ["r1", "r2"])
        result = get(f"{url}/{len(versions)}")
        assert len(result["testResults"]) == count
        marked = result["verifiedBy"].get("reusedResultOfInputDigest")
        assert bool(marked) is not failing, result["verifiedBy"]

    fresh = verify_as(invoke, broker, "r3", "--no-cache")
    assert fresh.exited == 0, fresh.output
    assert "reused:" not in fresh.stdout
