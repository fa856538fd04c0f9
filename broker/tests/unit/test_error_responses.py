"""Errors outside FastAPI's handlers are HAL JSON too; JSON numbers JSON cannot hold are refused."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from contract_broker.api.middleware import RequestLog
from contract_broker.errors import Invalid
from contract_broker.services.content import load_json, parse_pact

SCOPE = {"type": "http", "method": "GET", "path": "/x", "headers": []}


def run(app: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # In a thread of its own: another test may leave an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, RequestLog(app)(SCOPE, receive, send)).result()
    return sent


def test_a_failure_before_any_answer_is_a_500_in_hal_json() -> None:
    async def failing(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("broken middleware")

    start, body = run(failing)

    assert start["status"] == 500
    assert dict(start["headers"])[b"content-type"] == b"application/hal+json;charset=utf-8"
    assert json.loads(body["body"]) == {"error": "internal error; the broker log has the details"}


def test_a_failure_after_the_answer_started_is_left_to_the_server() -> None:
    async def answered_then_failed(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 500, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})
        raise RuntimeError("re-raised for the server's log")

    with pytest.raises(RuntimeError):
        run(answered_then_failed)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"a": NaN}', "NaN"),
        ("[Infinity]", "Infinity"),
        ('{"a": [-Infinity]}', "-Infinity"),
        ("[1e400]", "1e400"),
        ("[-1.5e309]", "-1.5e309"),
        ("[1" + "0" * 5000 + "]", "digits"),
    ],
)
def test_numbers_json_cannot_hold_are_refused(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        load_json(text)
    with pytest.raises(Invalid) as raised:
        parse_pact(text.encode(), field="contracts.0.content")
    errors = raised.value.errors
    assert isinstance(errors, dict)
    assert says in errors["contracts.0.content"][0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("[1e308, -1e308, 1e-400, 0.1]", [1e308, -1e308, 0.0, 0.1]),
        ("[1" + "0" * 400 + "]", [10**400]),
        ('{"NaN": "Infinity"}', {"NaN": "Infinity"}),
    ],
)
def test_finite_numbers_and_such_strings_are_kept(text: str, value: Any) -> None:
    assert load_json(text) == value
