"""Sending a webhook never raises: definitions stored before validation, refused targets,
resolver failures and header values beyond latin-1 all end as a delivery with a log."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from typing import Any

import pytest

from contract_broker.services.webhook_delivery import (
    RenderedRequest,
    build_request,
    safe_url,
    send,
)
from contract_broker.settings import Settings
from tests.support.receiver import Receiver

SETTINGS = Settings(
    _env_file=None,
    database_url="sqlite://",
    webhook_scheme_whitelist=["http", "https"],
    webhook_host_whitelist=["127.0.0.1", "ci.example"],
    webhook_timeout_seconds=5,
)
VARIABLES = {"consumerName": "billing-service", "pactUrl": "http://broker/pacts/1"}


def public(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


def request(**fields: Any) -> RenderedRequest:
    values: dict[str, Any] = {
        "method": "POST",
        "url": "https://ci.example/hook",
        "headers": {},
        "body": None,
        **fields,
    }
    return RenderedRequest(**values)


@pytest.mark.parametrize(
    "definition",
    [
        {},
        {"url": None, "method": None},
        {"url": 5, "method": 7, "headers": "X-A: 1", "body": {"n": float("nan")}},
        {"url": "https://ci.example:99999/", "headers": {"X A": 1, "X-B": None}},
        {"url": "https://[::1/x", "username": 5, "password": ["p"]},
        {"url": "https://ci.example/", "body": "\ud800 lone surrogate"},
        {"url": "https://ci.example/", "username": "\ud800", "password": None},
    ],
)
def test_build_request_renders_any_stored_definition(definition: dict[str, Any]) -> None:
    built = build_request(definition, VARIABLES)

    assert isinstance(built.url, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in built.headers.items())


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"url": "https://ci.example:99999/hook"}, "port"),
        ({"url": "https://ci.example:abc/hook"}, "port"),
        ({"url": "https://ci.example:0/hook"}, "port"),
        ({"url": "https://[::1/hook"}, "does not parse"),
        ({"url": "https://user:pw@[::1/hook"}, "does not parse"),
        ({"url": "https://ci.example/a b"}, "space"),
        ({"url": "https://ci.example/ü"}, "ASCII"),
        ({"url": ""}, "scheme and a host"),
        ({"method": "PO ST"}, "not a valid HTTP method"),
        ({"method": ""}, "not a valid HTTP method"),
        ({"headers": {"X Build": "1"}}, "header 'X Build' is not a valid header name"),
        ({"headers": {"X-Build:": "1"}}, "header 'X-Build:' is not a valid header name"),
        ({"headers": {"X-Build": "1\r\nX-Injected: 1"}}, "header 'X-Build' has a value"),
        ({"headers": {"X-Build": "1\x00"}}, "NUL"),
        ({"url": "ftp://ci.example/hook"}, "scheme 'ftp' is not allowed"),
        ({"url": "https://elsewhere.example/hook"}, "not in the webhook host allow-list"),
    ],
)
def test_requests_that_cannot_be_sent_are_failed_deliveries(
    fields: dict[str, Any], reason: str
) -> None:
    delivery = send(request(**fields), SETTINGS, resolver=public)

    assert delivery.success is False
    assert delivery.status is None
    assert reason in delivery.logs
    assert "\x00" not in delivery.logs  # PostgreSQL text cannot store it


@pytest.mark.parametrize(
    "failure",
    [
        OSError("no route"),
        UnicodeError("label empty or too long"),
        ValueError("not an address"),
        RuntimeError("anything else"),
    ],
)
def test_a_resolver_that_fails_is_a_failed_delivery(failure: Exception) -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise failure

    delivery = send(request(), SETTINGS, resolver=resolver)

    assert delivery.success is False
    assert str(failure) in delivery.logs


def test_a_resolver_answering_garbage_is_a_failed_delivery() -> None:
    delivery = send(request(), SETTINGS, resolver=lambda host, port: ["not-an-ip"])

    assert delivery.success is False
    assert "not-an-ip" in delivery.logs


def test_header_values_beyond_latin_1_are_sent_as_utf_8() -> None:
    with Receiver() as receiver:
        delivery = send(
            request(url=receiver.url + "/hook", headers={"X-Consumer": "订单服务 ✓"}),
            SETTINGS,
        )
        (received,) = receiver.wait_for(1)

    assert delivery.success is True, delivery.logs
    raw = received["headers"]["X-Consumer"].encode("latin-1")  # http.server decodes latin-1
    assert raw.decode("utf-8") == "订单服务 ✓"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://ci.example/hook", "https://ci.example/hook"),
        ("https://u:secret@ci.example:8443/x?y=1", "https://**********@ci.example:8443/x?y=1"),
        ("https://u:secret@[::1/x", "https://**********@[::1/x"),
        ("https://u:secret@ci.example:99999/x", "https://**********@ci.example:99999/x"),
        ("https://ci.example/path@not-user-info", "https://ci.example/path@not-user-info"),
        ("https://[::1/x", "https://[::1/x"),
        ("", ""),
    ],
)
def test_safe_url_hides_user_information_even_in_urls_that_do_not_parse(
    url: str, shown: str
) -> None:
    assert safe_url(url) == shown


class DrippingServer:
    """Answers a byte of its response headers every ``every`` seconds, for ``lasting`` seconds."""

    def __init__(self, every: float = 0.2, lasting: float = 8) -> None:
        self.every = every
        self.lasting = lasting
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/hook"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        connection, _ = self._sock.accept()
        with connection:
            connection.recv(65536)
            until = time.monotonic() + self.lasting
            for byte in itertools.cycle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 60):
                if self._stop.wait(self.every) or time.monotonic() > until:
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    def __enter__(self) -> DrippingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()


def test_an_attempt_is_cut_at_its_time_limit_however_the_target_drips() -> None:
    """Each read gets a byte within the socket timeout; the attempt still ends at the limit."""
    settings = Settings(
        _env_file=None,
        database_url="sqlite://",
        webhook_scheme_whitelist=["http"],
        webhook_host_whitelist=["127.0.0.1"],
        webhook_timeout_seconds=1,
    )
    with DrippingServer() as server:
        started = time.monotonic()
        delivery = send(request(url=server.url), settings)
        took = time.monotonic() - started

    assert not delivery.success
    assert "no complete answer within 1 s; the attempt was cut" in delivery.logs
    assert took < 5
