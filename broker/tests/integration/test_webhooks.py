"""Webhooks with the real CLI: allow-lists, SSRF refusal, delivery, retries, restart durability."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from contract_broker.settings import Settings
from tests.support.cli import PactCli
from tests.support.receiver import Receiver
from tests.support.server import LiveBroker

UUID = "9a0b6e2c-1111-2222-3333-444455556666"
LOOPBACK_OK = {
    "webhook_scheme_whitelist": ["http"],
    "webhook_host_whitelist": ["127.0.0.1"],
    "webhook_worker_enabled": True,
    "webhook_poll_seconds": 0.05,
}
DISPATCH = {
    "event_type": "contract_requiring_verification_published",
    "client_payload": {
        "pact_url": "${pactbroker.pactUrl}",
        "sha": "${pactbroker.providerVersionNumber}",
        "branch": "${pactbroker.providerVersionBranch}",
    },
}


def create_webhook(pact: PactCli, url: str, *events: str, **extra: str) -> Any:
    args = [
        url,
        "--uuid",
        UUID,
        "--request",
        "POST",
        "--header",
        "Content-Type: application/json",
        "--data",
        json.dumps(DISPATCH),
        "--provider",
        "user-service",
        "--description",
        "verify changed pacts",
    ]
    for event in events:
        args.append(f"--{event}")
    for key, value in extra.items():
        args += [f"--{key}", value]
    return pact("create-or-update-webhook", *args)


def publish(pact: PactCli, pact_file: Path, version: str = "1.0.0") -> None:
    pact.ok("publish", str(pact_file), "--consumer-app-version", version, "--branch", "main")


def deliveries(broker: LiveBroker) -> list[dict[str, Any]]:
    body = httpx.get(f"{broker.url}/webhooks/{UUID}/triggered-webhooks").json()
    return body["_embedded"]["triggeredWebhooks"]


def wait_until(check: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def prepare_provider(pact: PactCli) -> None:
    """The provider has a main-branch version, so a new pact requires its verification."""
    pact.ok("create-or-update-pacticipant", "--name", "user-service", "--main-branch", "main")
    pact.ok(
        "create-or-update-version",
        "--pacticipant",
        "user-service",
        "--version",
        "p1",
        "--branch",
        "main",
    )


def test_default_allow_lists_refuse_http_and_loopback_targets(pact: PactCli) -> None:
    pact.ok("create-or-update-pacticipant", "--name", "user-service")

    result = create_webhook(pact, "http://127.0.0.1:1/hook", "contract-published")

    assert result.returncode != 0
    assert "Scheme 'http' is not allowed" in result.stdout + result.stderr


def test_publication_delivers_the_dispatch_payload(
    make_broker: Callable[..., LiveBroker], pact_file: Path
) -> None:
    broker = make_broker(**LOOPBACK_OK)
    pact = PactCli(broker.url)
    prepare_provider(pact)
    with Receiver() as receiver:
        created = create_webhook(
            pact,
            receiver.url + "/dispatch",
            "contract-requiring-verification-published",
            user="ci-bot:s3cret",
        )
        assert created.returncode == 0, created.stdout + created.stderr
        publish(pact, pact_file)
        (request,) = receiver.wait_for(1)

    payload = json.loads(request["body"])
    assert payload["event_type"] == "contract_requiring_verification_published"
    assert payload["client_payload"]["sha"] == "p1"
    assert payload["client_payload"]["branch"] == "main"
    assert (
        "/pacts/provider/user-service/consumer/billing-service/pact-version/"
        in payload["client_payload"]["pact_url"]
    )
    assert request["headers"]["Authorization"].startswith("Basic ")
    # The pact URL it delivered is fetchable and can take verification results.
    fetched = httpx.get(payload["client_payload"]["pact_url"]).json()
    assert "pb:publish-verification-results" in fetched["_links"]
    wait_until(lambda: deliveries(broker)[0]["status"] == "success")
    log = json.dumps(deliveries(broker))
    assert "s3cret" not in log
    assert "**********" in log
    webhook = httpx.get(f"{broker.url}/webhooks/{UUID}").text
    assert "s3cret" not in webhook


def test_no_requiring_verification_event_once_the_version_verified_it(
    make_broker: Callable[..., LiveBroker], pact_file: Path
) -> None:
    broker = make_broker(**LOOPBACK_OK)
    pact = PactCli(broker.url)
    prepare_provider(pact)
    with Receiver() as receiver:
        assert (
            create_webhook(
                pact, receiver.url, "contract-requiring-verification-published"
            ).returncode
            == 0
        )
        publish(pact, pact_file, "1.0.0")
        payload = json.loads(receiver.wait_for(1)[0]["body"])
        url = payload["client_payload"]["pact_url"]
        results = httpx.get(url).json()["_links"]["pb:publish-verification-results"]["href"]
        assert (
            httpx.post(
                results, json={"success": True, "providerApplicationVersion": "p1"}
            ).status_code
            == 201
        )
        publish(pact, pact_file, "1.0.1")  # same content: p1 already verified it
        time.sleep(0.5)

    assert len(receiver.received) == 1


def test_failed_deliveries_are_retried(
    make_broker: Callable[..., LiveBroker], pact_file: Path
) -> None:
    broker = make_broker(**LOOPBACK_OK, webhook_retry_schedule=["0.1", "0.1", "0.1"])
    pact = PactCli(broker.url)
    prepare_provider(pact)
    with Receiver(fail_first=2) as receiver:
        assert create_webhook(pact, receiver.url, "contract-published").returncode == 0
        publish(pact, pact_file)
        receiver.wait_for(3)
        wait_until(lambda: deliveries(broker)[0]["status"] == "success")

    (delivery,) = deliveries(broker)
    assert delivery["attempts"] == 3
    assert [e["success"] for e in delivery["executions"]] == [False, False, True]
    assert "Response: 500" in delivery["executions"][0]["logs"]


def test_retries_stop_after_the_schedule(
    make_broker: Callable[..., LiveBroker], pact_file: Path
) -> None:
    broker = make_broker(**LOOPBACK_OK, webhook_retry_schedule=["0.1"])
    pact = PactCli(broker.url)
    prepare_provider(pact)
    with Receiver(fail_first=99) as receiver:
        assert create_webhook(pact, receiver.url, "contract-published").returncode == 0
        publish(pact, pact_file)
        wait_until(lambda: deliveries(broker)[0]["status"] == "failure")

    assert deliveries(broker)[0]["attempts"] == 2
    assert len(receiver.received) == 2


def test_internal_targets_are_refused_at_delivery(
    make_broker: Callable[..., LiveBroker], pact_file: Path
) -> None:
    # http allowed, but no host allow-list: loopback is not explicitly allowed.
    broker = make_broker(
        webhook_scheme_whitelist=["http"],
        webhook_worker_enabled=True,
        webhook_poll_seconds=0.05,
        webhook_retry_schedule=[],
    )
    pact = PactCli(broker.url)
    prepare_provider(pact)
    with Receiver() as receiver:
        assert create_webhook(pact, receiver.url, "contract-published").returncode == 0
        tested = pact("test-webhook", "--uuid", UUID)
        publish(pact, pact_file)
        wait_until(lambda: deliveries(broker)[0]["status"] == "failure")
        time.sleep(0.2)

    assert receiver.received == []
    assert "loopback" in tested.stdout + tested.stderr
    assert "resolves to a loopback address" in deliveries(broker)[0]["executions"][0]["logs"]


def test_test_webhook_sends_now(make_broker: Callable[..., LiveBroker], pact_file: Path) -> None:
    broker = make_broker(**LOOPBACK_OK)
    pact = PactCli(broker.url)
    prepare_provider(pact)
    publish(pact, pact_file)
    with Receiver() as receiver:
        assert create_webhook(pact, receiver.url, "contract-published").returncode == 0
        tested = pact("test-webhook", "--uuid", UUID)
        receiver.wait_for(1)

    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert receiver.json(0)["client_payload"]["pact_url"].startswith(broker.url)


def test_pending_deliveries_survive_a_restart(database_url: str, pact_file: Path) -> None:
    settings = {"database_url": database_url, **LOOPBACK_OK}
    first = LiveBroker(
        Settings(_env_file=None, **{**settings, "webhook_worker_enabled": False})
    ).start()
    try:
        pact = PactCli(first.url)
        prepare_provider(pact)
        with Receiver() as receiver:
            assert create_webhook(pact, receiver.url, "contract-published").returncode == 0
            publish(pact, pact_file)
            assert deliveries(first)[0]["status"] == "pending"
            first.stop()
            second = LiveBroker(Settings(_env_file=None, **settings)).start()
            try:
                receiver.wait_for(1)
                wait_until(lambda: deliveries(second)[0]["status"] == "success")
            finally:
                second.stop()
    finally:
        first.stop()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"request": "x"},
        {"request": {"method": "POST"}},
        {"request": {"method": 5, "url": []}},
        {"request": {"method": "POST", "url": "https://x.example/"}, "events": [{"name": "nope"}]},
        {"request": {"method": "POST", "url": "https://x.example/", "headers": {"a": 1}}},
        {
            "request": {"method": "POST", "url": "https://x.example/"},
            "provider": {"name": "no-such-provider"},
        },
    ],
)
def test_bad_webhook_definitions_are_400(broker: LiveBroker, body: dict[str, Any]) -> None:
    response = httpx.post(f"{broker.url}/webhooks", json=body)
    assert response.status_code == 400, response.text
    assert "errors" in response.json()
    assert httpx.get(f"{broker.url}/webhooks").json()["_embedded"]["webhooks"] == []


def test_put_with_a_bad_uuid_is_400(broker: LiveBroker) -> None:
    response = httpx.put(
        f"{broker.url}/webhooks/short",
        json={"request": {"method": "POST", "url": "https://x.example/"}},
    )
    assert response.status_code == 400
