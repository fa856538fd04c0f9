"""Pacticipant labels over HTTP, shaped as the Pact Broker's label and pacticipant decorators."""

from __future__ import annotations

import threading
from typing import Any

import httpx2 as httpx
import pytest

from tests.support import bodies
from tests.support import http_client as http
from tests.support.bodies import seg
from tests.support.server import LiveBroker


def label_url(broker: LiveBroker, pacticipant: str, label: str) -> str:
    return bodies.label_url(broker.url, pacticipant, label)


def label_body(broker: LiveBroker, pacticipant: str, label: str) -> dict[str, Any]:
    return bodies.label_body(broker.url, pacticipant, label)


def embedded_label(broker: LiveBroker, pacticipant: str, label: str) -> dict[str, Any]:
    return bodies.embedded_label(broker.url, pacticipant, label)


def snapshot(broker: LiveBroker) -> tuple[Any, Any]:
    """Everything labelling can change: the pacticipants (with their labels) and all labels."""
    return (
        http.get(broker.url + "/pacticipants").json(),
        http.get(broker.url + "/labels").json(),
    )


def test_labelling_creates_the_pacticipant_then_is_idempotent(broker: LiveBroker) -> None:
    url = label_url(broker, "ios-app", "mobile")

    created = http.put(url)
    assert created.status_code == 201
    assert created.headers["location"] == url
    assert created.headers["content-type"] == "application/hal+json;charset=utf-8"
    assert created.json() == label_body(broker, "ios-app", "mobile")

    again = http.put(url, json={})
    assert again.status_code == 200
    assert "location" not in again.headers
    assert again.json() == created.json()  # the same label, created once

    fetched = http.get(url)
    assert fetched.status_code == 200
    assert fetched.json() == created.json()

    pacticipant = http.get(f"{broker.url}/pacticipants/ios-app").json()
    assert pacticipant == bodies.pacticipant_body(
        broker.url, "ios-app", display_name="Ios App", labels=["mobile"]
    )


def test_missing_labels_and_pacticipants_are_not_found(broker: LiveBroker) -> None:
    assert http.put(label_url(broker, "foo", "ios")).status_code == 201

    for url, message in [
        (label_url(broker, "foo", "android"), "No label 'android' found for pacticipant 'foo'"),
        (label_url(broker, "nobody", "ios"), "No pacticipant with name 'nobody' found"),
    ]:
        for method in ("GET", "DELETE"):
            response = http.request(method, url)
            assert response.status_code == 404, (method, url)
            assert response.json() == {"error": message}


def test_delete_removes_only_that_label(broker: LiveBroker) -> None:
    for pacticipant in ("foo", "bar"):
        for label in ("ios", "consumer"):
            assert http.put(label_url(broker, pacticipant, label)).status_code == 201

    deleted = http.delete(label_url(broker, "foo", "ios"))
    assert deleted.status_code == 204
    assert deleted.content == b""

    assert http.get(label_url(broker, "foo", "ios")).status_code == 404
    assert http.delete(label_url(broker, "foo", "ios")).status_code == 404
    foo = http.get(f"{broker.url}/pacticipants/foo").json()
    assert foo["_embedded"]["labels"] == [embedded_label(broker, "foo", "consumer")]
    bar = http.get(f"{broker.url}/pacticipants/bar").json()
    assert [label["name"] for label in bar["_embedded"]["labels"]] == ["consumer", "ios"]


def test_pacticipants_by_label(broker: LiveBroker) -> None:
    for pacticipant, label in [
        ("zeta", "ios"),
        ("Alpha", "ios"),
        ("beta", "ios"),
        ("beta", "android"),
        ("gamma", "android"),
    ]:
        assert http.put(label_url(broker, pacticipant, label)).status_code == 201
    assert http.put(f"{broker.url}/pacticipants/beta/versions/1.0.0", json={}).status_code == 201

    response = http.get(f"{broker.url}/pacticipants/label/ios")
    assert response.status_code == 200
    body = response.json()
    names = ["Alpha", "beta", "zeta"]  # by name, ignoring case
    everyone = {p["name"]: p for p in http.get(f"{broker.url}/pacticipants").json()["pacticipants"]}
    assert body == {
        "_embedded": {
            "pacticipants": [
                {k: v for k, v in everyone[name].items() if k != "title"} for name in names
            ]
        },
        "_links": {
            "self": {"href": f"{broker.url}/pacticipants/label/ios"},
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
    }
    beta = body["_embedded"]["pacticipants"][1]
    assert [label["name"] for label in beta["_embedded"]["labels"]] == ["android", "ios"]
    assert beta["_embedded"]["latestVersion"]["number"] == "1.0.0"

    nobody = http.get(f"{broker.url}/pacticipants/label/windows").json()
    assert nobody["_embedded"] == {"pacticipants": []}
    assert nobody["_links"]["pb:pacticipants"] == []


def test_label_routes_win_over_a_pacticipant_called_label(broker: LiveBroker) -> None:
    """As in the Pact Broker, ``/pacticipants/label/{label}`` is matched before the
    pacticipant's own sub-resources; the pacticipant itself stays reachable."""
    assert http.put(label_url(broker, "label", "versions")).status_code == 201
    assert http.put(label_url(broker, "other", "versions")).status_code == 201

    by_label = http.get(f"{broker.url}/pacticipants/label/versions").json()
    assert [p["name"] for p in by_label["_embedded"]["pacticipants"]] == ["label", "other"]
    assert http.get(f"{broker.url}/pacticipants/label").json()["name"] == "label"
    assert http.get(label_url(broker, "label", "versions")).status_code == 200


@pytest.mark.parametrize(
    ("pacticipant", "label"),
    [
        ("Billing Desk", "team billing"),
        ("bücher-dienst", "öffentlich ✓"),
        ("team/app", "squad/payments"),
        ("app", "100% what?#"),
    ],
)
def test_labels_with_any_printable_name_round_trip(
    broker: LiveBroker, pacticipant: str, label: str
) -> None:
    url = label_url(broker, pacticipant, label)
    created = http.put(url)
    assert created.status_code == 201, created.text
    assert created.json() == label_body(broker, pacticipant, label)
    assert http.get(created.json()["_links"]["self"]["href"]).json() == created.json()
    by_label = http.get(f"{broker.url}/pacticipants/label/{seg(label)}").json()
    assert [p["name"] for p in by_label["_embedded"]["pacticipants"]] == [pacticipant]
    assert http.delete(url).status_code == 204


def test_all_labels_once_each(broker: LiveBroker) -> None:
    for pacticipant, label in [("a", "ios"), ("b", "ios"), ("b", "android")]:
        assert http.put(label_url(broker, pacticipant, label)).status_code == 201
    assert http.get(f"{broker.url}/labels").json() == {
        "_embedded": {"labels": [{"name": "android"}, {"name": "ios"}]},
        "_links": {"self": {"href": f"{broker.url}/labels", "title": "Labels"}},
    }


@pytest.mark.parametrize("pacticipant_exists", [True, False], ids=["existing", "new"])
def test_concurrent_puts_of_one_label_create_it_once(
    broker: LiveBroker, pacticipant_exists: bool
) -> None:
    """16 PUTs released together: every one succeeds, one of them created the label (201),
    and there is exactly one label. With the pacticipant already there, nothing but the
    label's unique key orders them (on PostgreSQL they really run at the same time)."""
    if pacticipant_exists:
        assert http.post(f"{broker.url}/pacticipants", json={"name": "racer"}).status_code == 201
    url = label_url(broker, "racer", "fast")
    start = threading.Barrier(16)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def put() -> None:
        try:
            with httpx.Client(timeout=30) as client:
                start.wait()
                statuses.append(client.put(url).status_code)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(statuses) == [200] * 15 + [201]
    racer = http.get(f"{broker.url}/pacticipants/racer").json()
    assert racer["_embedded"]["labels"] == [embedded_label(broker, "racer", "fast")]
    listed = http.get(f"{broker.url}/pacticipants").json()["pacticipants"]
    assert [p["name"] for p in listed] == ["racer"]


BAD_LABELS = [
    ("a%00b", "label", "a name cannot contain a NUL character"),  # refused by the path type
    ("x" * 256, "label", "cannot be longer than 255 characters"),
    ("%20%20", "label", "cannot be blank"),
    ("two%0Alines", "label", "cannot contain a new line"),
    ("%2E%2E", "label", "cannot be '..' (it cannot appear in a URL path)"),
]


@pytest.mark.parametrize(("raw", "field", "message"), BAD_LABELS)
def test_unusable_label_names_are_refused_and_change_nothing(
    broker: LiveBroker, raw: str, field: str, message: str
) -> None:
    assert http.put(label_url(broker, "existing", "ok")).status_code == 201
    before = snapshot(broker)
    for pacticipant in ("existing", "newcomer"):
        response = http.put(f"{broker.url}/pacticipants/{pacticipant}/labels/{raw}")
        assert response.status_code == 400, response.text
        assert response.json() == {"errors": {field: [message]}}
    assert snapshot(broker) == before


def test_unusable_pacticipant_names_are_refused_and_change_nothing(broker: LiveBroker) -> None:
    before = snapshot(broker)
    response = http.put(f"{broker.url}/pacticipants/{'p' * 256}/labels/ok")
    assert response.status_code == 400
    assert response.json() == {"errors": {"pacticipant": ["cannot be longer than 255 characters"]}}
    assert snapshot(broker) == before


def test_bodies_that_are_not_json_objects_are_refused(broker: LiveBroker) -> None:
    url = label_url(broker, "foo", "ios")
    not_json = http.put(url, content=b"ios", headers={"Content-Type": "text/plain"})
    assert not_json.status_code == 415
    a_list = http.put(url, json=["ios"])
    assert a_list.status_code == 400
    assert a_list.json() == {"errors": {"body": ["must be a JSON object, not list"]}}
    assert http.get(f"{broker.url}/pacticipants/foo").status_code == 404


def test_labelling_needs_write_access(make_broker: Any) -> None:
    secured = make_broker(read_write_tokens=["writer"], read_only_tokens=["reader"])
    url = label_url(secured, "foo", "ios")
    reader = {"Authorization": "Bearer reader"}
    writer = {"Authorization": "Bearer writer"}
    refused = {401, 403}  # no credentials / read-only ones (the auth suite pins which)
    assert http.put(url).status_code in refused
    assert http.put(url, headers=reader).status_code in refused
    assert http.get(url, headers=reader).status_code == 404  # nothing was created
    assert http.put(url, headers=writer).status_code == 201
    assert http.get(url, headers=reader).status_code == 200
    assert http.get(f"{secured.url}/pacticipants/label/ios", headers=reader).status_code == 200
    assert http.get(url).status_code == 401
    assert http.delete(url, headers=reader).status_code in refused
    assert http.get(url, headers=reader).status_code == 200  # still there
    assert http.delete(url, headers=writer).status_code == 204
