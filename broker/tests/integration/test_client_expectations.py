"""What the official clients and the Pact Broker's own resources expect, beyond what the
pipeline needs: whole pacticipant bodies (labels, latest version, deprecated relations) as
``pact broker describe-pacticipant`` / ``list-pacticipants`` print them, lists without a query
per pacticipant, and ``X-Pact-Consumer-Version`` on latest pacts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from tests.support import http_client as http
from tests.support.bodies import label_url, pacticipant_body
from tests.support.cli import PactCli
from tests.support.pacts import CONSUMER, PROVIDER, changed, sample_pact, write_pact
from tests.support.server import LiveBroker


def publish(pact: PactCli, file: Path, version: str, *args: str) -> None:
    pact.ok("publish", str(file), "--consumer-app-version", version, *args)


def label(broker: LiveBroker, pacticipant: str, *names: str) -> None:
    for name in names:
        assert http.put(label_url(broker.url, pacticipant, name)).status_code == 201


def cli_json(pact: PactCli, command: str, *args: str) -> Any:
    return json.loads(pact.ok(command, *args, "--output", "json").stdout)


def test_describe_pacticipant_shows_labels_and_latest_version(
    broker: LiveBroker, pact: PactCli, pact_file: Path, tmp_path: Path
) -> None:
    publish(pact, pact_file, "1.0.0", "--branch", "main")
    publish(pact, write_pact(tmp_path, changed(sample_pact())), "1.1.0", "--branch", "main")
    label(broker, CONSUMER, "web", "team-billing")

    expected = pacticipant_body(
        broker.url,
        CONSUMER,
        display_name="Billing Service",
        main_branch="main",
        latest_version="1.1.0",
        labels=["team-billing", "web"],
    )
    assert http.get(f"{broker.url}/pacticipants/{CONSUMER}").json() == expected
    assert cli_json(pact, "describe-pacticipant", "--name", CONSUMER) == expected
    described = pact.ok("describe-pacticipant", "--name", CONSUMER).stdout
    assert "Display Name: Billing Service" in described
    assert "Main Branch: main" in described


def test_list_pacticipants_with_the_pact_brokers_relations(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    publish(pact, pact_file, "1.0.0", "--branch", "main")
    label(broker, CONSUMER, "web")
    label(broker, PROVIDER, "api", "core")
    pact.ok(
        "create-or-update-pacticipant",
        "--name",
        "Audit",
        "--repository-url",
        "https://git.example/audit",
    )

    names = ["Audit", CONSUMER, PROVIDER]  # by name, ignoring case
    pacticipants = [
        pacticipant_body(
            broker.url,
            "Audit",
            display_name="Audit",
            repository_url="https://git.example/audit",
        ),
        pacticipant_body(
            broker.url,
            CONSUMER,
            display_name="Billing Service",
            main_branch="main",
            latest_version="1.0.0",
            labels=["web"],
        ),
        pacticipant_body(broker.url, PROVIDER, display_name="User Service", labels=["api", "core"]),
    ]
    expected = {
        "_embedded": {"pacticipants": pacticipants},
        "_links": {
            "self": {"href": f"{broker.url}/pacticipants"},
            "pb:pacticipants-with-label": {
                "href": f"{broker.url}/pacticipants/label/{{label}}",
                "title": "Find pacticipants by label",
                "templated": True,
            },
            "pb:pacticipants": [
                {"href": f"{broker.url}/pacticipants/{n}", "title": "Pacticipant", "name": n}
                for n in names
            ],
            "pacticipants": [
                {
                    "href": f"{broker.url}/pacticipants/{n}",
                    "title": n,
                    "name": "DEPRECATED - please use pb:pacticipants",
                }
                for n in names
            ],
        },
        "pacticipants": [
            {**p, "title": "DEPRECATED - Please use the embedded pacticipants collection"}
            for p in pacticipants
        ],
    }
    assert http.get(f"{broker.url}/pacticipants").json() == expected
    assert cli_json(pact, "list-pacticipants") == expected
    table = pact.ok("list-pacticipants", "--output", "table").stdout
    assert table.index('"Audit"') < table.index('"billing-service"') < table.index('"user-service"')


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    """The SQL statements run (by the in-process broker) inside the block."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def statements_for(broker: LiveBroker, path: str) -> int:
    with counted_statements() as seen:
        assert http.get(broker.url + path).status_code == 200
    return len(seen)


def test_lists_of_pacticipants_do_not_query_per_pacticipant(
    broker: LiveBroker, pact: PactCli, pact_file: Path
) -> None:
    paths = ["/pacticipants", "/pacticipants/label/team", f"/pacticipants/{CONSUMER}"]

    def grow(first: int, last: int) -> None:
        for index in range(first, last):
            name = f"service-{index}"
            for version in ("1", "2"):
                url = f"{broker.url}/pacticipants/{name}/versions/{version}"
                assert http.put(url, json={}).status_code == 201
            label(broker, name, "team", f"own-{index}")

    publish(pact, pact_file, "1.0.0", "--branch", "main")
    label(broker, CONSUMER, "team")
    grow(0, 1)
    before = {path: statements_for(broker, path) for path in paths}
    assert min(before.values()) >= 3  # pacticipants, their labels, their latest versions
    grow(1, 9)
    listed = http.get(f"{broker.url}/pacticipants").json()["_embedded"]["pacticipants"]
    assert len(listed) == 11
    assert all(
        p["_embedded"]["latestVersion"]["number"] == "2"
        for p in listed
        if p["name"].startswith("service-")
    )

    assert {path: statements_for(broker, path) for path in paths} == before


def test_latest_pacts_name_their_consumer_version(
    broker: LiveBroker, pact: PactCli, pact_file: Path, tmp_path: Path
) -> None:
    """``X-Pact-Consumer-Version``, as the Pact Broker's ``LatestPact`` resource sends it."""
    publish(pact, pact_file, "1.0.0", "--branch", "main", "--tag", "dev")
    publish(pact, write_pact(tmp_path, changed(sample_pact())), "1.1.0", "--branch", "feat")
    pair = f"{broker.url}/pacts/provider/{PROVIDER}/consumer/{CONSUMER}"

    for path, number in [
        ("/latest", "1.1.0"),
        ("/latest/dev", "1.0.0"),
        ("/branch/main/latest", "1.0.0"),
        ("/branch/feat/latest", "1.1.0"),
        ("/latest-untagged", "1.1.0"),
    ]:
        response = http.get(pair + path)
        assert response.status_code == 200, path
        assert response.headers["x-pact-consumer-version"] == number, path
        version_link = response.json()["_links"]["pb:consumer-version"]["name"]
        assert version_link == number, path

    by_version = http.get(pair + "/version/1.0.0")  # not a "latest" resource: no header
    assert by_version.status_code == 200
    assert "x-pact-consumer-version" not in by_version.headers


def test_consumer_version_header_for_unusual_numbers(broker: LiveBroker) -> None:
    pair = f"{broker.url}/pacts/provider/{PROVIDER}/consumer/{CONSUMER}"

    def put_pact(segment: str) -> None:
        assert http.put(f"{pair}/version/{segment}", json=sample_pact()).status_code in {200, 201}

    put_pact("1.0%20%E2%9C%93")  # "1.0 ✓": sent as its UTF-8 bytes
    latest = http.get(pair + "/latest")
    assert latest.status_code == 200
    assert dict(latest.headers.raw)[b"x-pact-consumer-version"] == "1.0 ✓".encode()

    put_pact("%202.0")  # leading space: no header value can hold it, so the header is left out
    unusual = http.get(pair + "/latest")
    assert unusual.status_code == 200
    assert unusual.json()["_links"]["pb:consumer-version"]["name"] == " 2.0"
    assert "x-pact-consumer-version" not in unusual.headers
