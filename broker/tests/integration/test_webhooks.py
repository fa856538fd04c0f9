"""Webhooks with the real CLI: allow-lists, SSRF refusal, delivery, retries, restart durability,
definitions validated as HTTP requires, stored definitions that cannot be sent failing cleanly,
and pacticipants selected by label."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from contract_broker.db import Database
from contract_broker.models import Pacticipant, PacticipantLabel, Webhook
from contract_broker.settings import Settings
from tests.support import http_client as http
from tests.support.cli import PactCli
from tests.support.pacts import CONSUMER, PROVIDER, publish_body, renamed, sample_pact
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


# --- definitions as HTTP requires them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["https://ci.example/hook", "--header", "X Build: 1"], "request.headers.X Build"),
        (["https://ci.example:99999/hook"], "request.url"),
        (["https://[::1/hook"], "request.url"),
    ],
)
def test_the_cli_is_told_which_field_is_wrong(
    pact: PactCli, broker: LiveBroker, args: list[str], field: str
) -> None:
    result = pact(
        "create-or-update-webhook", *args, "--uuid", UUID, "--request", "POST",
        "--contract-published",
    )  # fmt: skip

    assert result.returncode != 0
    assert field in result.stdout + result.stderr
    assert httpx.get(f"{broker.url}/webhooks").json()["_embedded"]["webhooks"] == []


def test_template_variables_are_allowed_wherever_they_can_be_filled_in(
    pact: PactCli, broker: LiveBroker
) -> None:
    url = "https://ci.example/builds/${pactbroker.consumerName}?pact=${pactbroker.pactUrl}"
    created = pact(
        "create-or-update-webhook", url, "--uuid", UUID, "--request", "POST",
        "--header", "X-Consumer: ${pactbroker.consumerName}",
        "X-${pactbroker.providerName}-Version: ${pactbroker.providerVersionNumber}",
        "--contract-published",
    )  # fmt: skip

    assert created.returncode == 0, created.stdout + created.stderr
    stored = httpx.get(f"{broker.url}/webhooks/{UUID}").json()["request"]
    assert stored["url"] == url
    assert stored["headers"] == {
        "X-Consumer": "${pactbroker.consumerName}",
        "X-${pactbroker.providerName}-Version": "${pactbroker.providerVersionNumber}",
    }


# --- stored definitions that cannot be sent ------------------------------------------------------

# Rows from before definitions were validated, written straight to the database. Each must end
# as a failed execution whose log says why, never as an error, and send nothing.
UNSENDABLE: dict[str, tuple[dict[str, Any], str]] = {
    "port out of range": ({"url": "http://127.0.0.1:99999/hook"}, "port"),
    "port not a number": ({"url": "http://127.0.0.1:http/hook"}, "port"),
    "URL that does not parse": ({"url": "http://[::1/hook"}, "does not parse"),
    "CR LF in a header value": ({"headers": {"X-Build": "1\r\nX-Injected: yes"}}, "line feed"),
    "NUL in a header value": ({"headers": {"X-Build": "1\u0000"}}, "NUL"),
    "space in a header name": ({"headers": {"X Build": "1"}}, "not a valid header name"),
    "colon in a header name": ({"headers": {"X-Build:": "1"}}, "not a valid header name"),
    "method that is not a token": ({"method": "PO ST"}, "not a valid HTTP method"),
    "no URL": ({"url": None}, "URL is not valid"),
}


def insert_webhook(database_url: str, uuid: str, receiver_url: str, **request: Any) -> None:
    """A webhook row as it may have been stored before validation, for any pact published."""
    database = Database(database_url)
    try:
        with database.session() as session:
            session.add(
                Webhook(
                    uuid=uuid,
                    description=f"unsendable {uuid}",
                    enabled=True,
                    events=["contract_published"],
                    request={
                        "method": "POST",
                        "url": receiver_url + "/hook",
                        "headers": {"Content-Type": "application/json"},
                        "body": {"pact": "${pactbroker.pactUrl}"},
                        "username": None,
                        "password": None,
                        **request,
                    },
                )
            )
    finally:
        database.dispose()


@pytest.mark.parametrize("case", list(UNSENDABLE))
def test_executing_a_stored_definition_that_cannot_be_sent_is_a_failed_execution(
    make_broker: Callable[..., LiveBroker], database_url: str, case: str
) -> None:
    broker = make_broker(**{**LOOPBACK_OK, "webhook_worker_enabled": False})
    request, reason = UNSENDABLE[case]
    with Receiver() as receiver:
        insert_webhook(database_url, UUID, receiver.url, **request)
        response = http.post(f"{broker.url}/webhooks/{UUID}/execute", json={})
        tested = PactCli(broker.url)("test-webhook", "--uuid", UUID)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/hal+json;charset=utf-8"
    body = response.json()
    assert set(body) == {"success", "request", "response", "logs", "message", "_links"}
    assert body["success"] is False
    assert body["message"] == "Webhook execution failed"
    assert body["response"] == {"status": None}
    assert reason in body["logs"]
    assert receiver.received == []
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert reason in tested.stdout


def test_background_deliveries_of_unsendable_definitions_are_failed_attempts(
    make_broker: Callable[..., LiveBroker], database_url: str
) -> None:
    broker = make_broker(**LOOPBACK_OK, webhook_retry_schedule=[])
    uuids = {case: f"unsendable-{index:02d}-0000000000" for index, case in enumerate(UNSENDABLE)}
    with Receiver() as receiver:
        for case, uuid in uuids.items():
            insert_webhook(database_url, uuid, receiver.url, **UNSENDABLE[case][0])
        published = http.post(
            f"{broker.url}/contracts/publish", json=publish_body(sample_pact(), "1")
        )
        assert published.status_code == 200, published.text

        def delivered(uuid: str) -> list[dict[str, Any]]:
            body = http.get(f"{broker.url}/webhooks/{uuid}/triggered-webhooks").json()
            rows: list[dict[str, Any]] = body["_embedded"]["triggeredWebhooks"]
            return rows

        wait_until(
            lambda: all(
                [r["status"] for r in delivered(uuid)] == ["failure"] for uuid in uuids.values()
            )
        )

    assert receiver.received == []
    for case, uuid in uuids.items():
        (delivery,) = delivered(uuid)
        (execution,) = delivery["executions"]
        assert delivery["attempts"] == 1, case
        assert execution["success"] is False, case
        assert UNSENDABLE[case][1] in execution["logs"], case


# --- pacticipants selected by label --------------------------------------------------------------


def label(database_url: str, pacticipant: str, name: str) -> None:
    database = Database(database_url)
    try:
        with database.session() as session:
            found = session.query(Pacticipant).filter_by(name=pacticipant).one()
            session.add(PacticipantLabel(pacticipant_id=found.id, name=name))
    finally:
        database.dispose()


def test_a_webhook_for_a_consumer_label_fires_for_consumers_with_that_label(
    make_broker: Callable[..., LiveBroker], database_url: str
) -> None:
    broker = make_broker(**LOOPBACK_OK)
    pact = PactCli(broker.url)
    other = "analytics-service"  # sorts before the labelled consumer
    for name in (CONSUMER, other, PROVIDER):
        pact.ok("create-or-update-pacticipant", "--name", name)
    label(database_url, CONSUMER, "team-a")
    label(database_url, other, "team-b")
    data = {"consumer": "${pactbroker.consumerName}", "labels": "${pactbroker.consumerLabels}"}
    with Receiver() as receiver:
        created = pact(
            "create-or-update-webhook", receiver.url, "--uuid", UUID, "--request", "POST",
            "--header", "Content-Type: application/json", "--data", json.dumps(data),
            "--consumer-label", "team-a", "--contract-published",
        )  # fmt: skip
        assert created.returncode == 0, created.stdout + created.stderr
        for consumer in (other, CONSUMER):
            body = publish_body(renamed(sample_pact(), consumer=consumer), "1")
            assert http.post(f"{broker.url}/contracts/publish", json=body).status_code == 200
        receiver.wait_for(1)
        time.sleep(0.5)
        fired = [receiver.json(i) for i in range(len(receiver.received))]
        # Testing it sends it for the latest pact of a consumer with the label.
        tested = http.post(f"{broker.url}/webhooks/{UUID}/execute", json={})
        receiver.wait_for(2)

    assert fired == [{"consumer": CONSUMER, "labels": "team-a"}]
    assert tested.json()["success"] is True, tested.text
    assert receiver.json(1) == {"consumer": CONSUMER, "labels": "team-a"}
    webhook = httpx.get(f"{broker.url}/webhooks/{UUID}").json()
    assert webhook["consumer"] == {"label": "team-a"}
    assert "provider" not in webhook
    assert webhook["_links"]["pb:consumers"] == {
        "href": f"{broker.url}/pacticipants/label/team-a",
        "title": "Consumers by label",
        "name": "team-a",
    }
    assert "pb:consumer" not in webhook["_links"]


def test_a_webhook_for_a_provider_label_is_shown_and_replaced_by_a_name(
    pact: PactCli, broker: LiveBroker
) -> None:
    pact.ok("create-or-update-pacticipant", "--name", PROVIDER)
    base = ["https://ci.example/hook", "--uuid", UUID, "--request", "POST", "--contract-published"]

    pact.ok("create-or-update-webhook", *base, "--provider-label", "payments")
    by_label = httpx.get(f"{broker.url}/webhooks/{UUID}").json()
    pact.ok("create-or-update-webhook", *base, "--provider", PROVIDER)
    by_name = httpx.get(f"{broker.url}/webhooks/{UUID}").json()

    assert by_label["provider"] == {"label": "payments"}
    assert by_label["_links"]["pb:providers"]["name"] == "payments"
    assert by_name["provider"] == {"name": PROVIDER}
    assert "pb:providers" not in by_name["_links"]
