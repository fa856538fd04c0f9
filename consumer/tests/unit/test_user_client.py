"""UserClient against a fake transport: every answer of the user service maps to a clear outcome."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from billing_service import (
    MalformedResponse,
    User,
    UserClient,
    UserClientError,
    UserNotFound,
    UserServiceTimeout,
    UserServiceUnavailable,
)


class FakeSession:
    """Answers every GET with a canned response (or raises), and records what was asked."""

    def __init__(
        self,
        status: int = 200,
        body: Any = None,
        *,
        raw: bytes | None = None,
        raises: Exception | None = None,
    ) -> None:
        self.status = status
        self.content = raw if raw is not None else json.dumps(body).encode()
        self.raises = raises
        self.calls: list[dict[str, Any]] = []

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        self.calls.append({"url": url, **kwargs})
        if self.raises is not None:
            raise self.raises
        response = requests.Response()
        response.status_code = self.status
        response._content = self.content
        response.headers["Content-Type"] = "application/json"
        return response


def client_for(session: FakeSession) -> UserClient:
    return UserClient("http://users.test/", session=session, timeout=2.5)  # type: ignore[arg-type]


def test_returns_only_the_fields_billing_reads() -> None:
    session = FakeSession(body={"id": 7, "name": "Grace", "email": "g@example.com", "extra": 1})

    user = client_for(session).get_user(7)

    assert user == User(id=7, name="Grace", email="g@example.com")
    assert session.calls == [
        {
            "url": "http://users.test/users/7",
            "headers": {"Accept": "application/json"},
            "timeout": 2.5,
        }
    ]


def test_404_is_user_not_found() -> None:
    with pytest.raises(UserNotFound, match="user 9 does not exist") as caught:
        client_for(FakeSession(status=404, body={"detail": "nope"})).get_user(9)
    assert caught.value.user_id == 9


@pytest.mark.parametrize("status", [500, 502, 503, 418])
def test_unexpected_status_is_unavailable(status: int) -> None:
    with pytest.raises(UserServiceUnavailable, match=f"answered {status}"):
        client_for(FakeSession(status=status, body={})).get_user(1)


def test_timeout_is_its_own_error() -> None:
    session = FakeSession(raises=requests.ReadTimeout("slow"))
    with pytest.raises(UserServiceTimeout, match=r"within 2\.5 s"):
        client_for(session).get_user(1)


def test_connection_error_is_unavailable() -> None:
    session = FakeSession(raises=requests.ConnectionError("refused"))
    with pytest.raises(UserServiceUnavailable, match="unreachable") as caught:
        client_for(session).get_user(1)
    assert not isinstance(caught.value, UserServiceTimeout)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "expected a JSON object"),
        ({"id": "7", "name": "G", "email": "e"}, "id should be int, got str '7'"),
        ({"id": True, "name": "G", "email": "e"}, "id should be int, got bool True"),
        ({"id": 7, "email": "e"}, "name should be str, got missing"),
        ({"id": 7, "username": "G", "email": None}, "name should be str, got missing; email"),
    ],
)
def test_malformed_bodies(body: Any, message: str) -> None:
    with pytest.raises(MalformedResponse, match=message.replace("(", r"\(")):
        client_for(FakeSession(body=body)).get_user(7)


def test_body_that_is_not_json() -> None:
    with pytest.raises(MalformedResponse, match="not JSON"):
        client_for(FakeSession(raw=b"<html>")).get_user(7)


def test_every_error_shares_one_base() -> None:
    for error in (UserNotFound, UserServiceUnavailable, UserServiceTimeout, MalformedResponse):
        assert issubclass(error, UserClientError)
