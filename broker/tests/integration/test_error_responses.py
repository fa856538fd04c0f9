"""Every error the broker answers is HAL JSON (``application/hal+json;charset=utf-8``, as the
Pact Broker sends it) with an ``error`` or ``errors`` saying what was wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from contract_broker.db import Database
from tests.support import http_client as http
from tests.support.pacts import CONSUMER, PROVIDER, changed, publish_body, sample_pact
from tests.support.server import LiveBroker

ERROR_TYPE = "application/hal+json;charset=utf-8"


def assert_error(response: http.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == ERROR_TYPE
    body: dict[str, Any] = response.json()
    assert body.get("error") or body.get("errors"), body
    return body


@pytest.mark.parametrize(
    ("method", "path", "content", "content_type", "status"),
    [
        ("GET", "/no/such/resource", None, None, 404),
        ("GET", "/pacticipants/nobody", None, None, 404),
        ("GET", f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/latest", None, None, 404),
        ("DELETE", "/contracts/publish", None, None, 405),
        ("PATCH", "/", b"{}", "application/json", 405),
        ("POST", "/pacticipants", b'{"name": ', "application/json", 400),
        ("POST", "/pacticipants", b'{"name": NaN}', "application/json", 400),
        ("POST", "/pacticipants", b"{}", "application/json", 400),
        ("POST", "/pacticipants", b'{"name": "x"}', "text/plain", 415),
        ("GET", "/matrix?q[][pacticipant]=", None, None, 400),
        ("GET", "/pacticipants/a%00b", None, None, 400),
    ],
)
def test_client_errors(
    broker: LiveBroker,
    method: str,
    path: str,
    content: bytes | None,
    content_type: str | None,
    status: int,
) -> None:
    headers = {"content-type": content_type} if content_type else {}

    response = http.request(method, broker.url + path, content=content, headers=headers)

    assert_error(response, status)


def test_method_not_allowed_says_what_is(broker: LiveBroker) -> None:
    response = http.delete(broker.url + "/contracts/publish")

    assert_error(response, 405)
    assert "POST" in response.headers["allow"]


def test_too_large(make_broker: Callable[..., LiveBroker]) -> None:
    broker = make_broker(max_body_bytes=1024)

    response = http.post(broker.url + "/pacticipants", json={"name": "x" * 2000})

    assert "1024" in assert_error(response, 413)["error"]


def test_conflict(broker: LiveBroker) -> None:
    first = http.post(broker.url + "/contracts/publish", json=publish_body(sample_pact(), "1"))
    assert first.status_code == 200, first.text
    response = http.post(
        broker.url + "/contracts/publish", json=publish_body(changed(sample_pact()), "1")
    )

    assert_error(response, 409)


def test_an_unexpected_failure_is_a_500_that_hides_its_details(
    broker: LiveBroker, database_url: str
) -> None:
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            cascade = "" if database.is_sqlite else " CASCADE"
            connection.execute(text(f"DROP TABLE environments{cascade}"))
    finally:
        database.dispose()

    response = http.get(broker.url + "/environments")

    body = assert_error(response, 500)
    assert body == {"error": "internal error; the broker log has the details"}
