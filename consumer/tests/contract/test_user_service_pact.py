"""What billing-service needs from user-service's ``GET /users/{id}``: one test per interaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pact import Pact, match

from billing_service import User, UserClient, UserNotFound
from contract_terms import (
    BILLING_SERVICE,
    EXISTING_USER_ID,
    UNKNOWN_USER_ID,
    USER_DOES_NOT_EXIST,
    USER_EXISTS,
    USER_SERVICE,
)

EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


@pytest.fixture
def pact(pact_dir: Path) -> Iterator[Pact]:
    """A fresh Pact per test, merged into the pact file once the test passed."""
    pact = Pact(BILLING_SERVICE, USER_SERVICE).with_specification("V4")
    yield pact
    pact.write_file(pact_dir)


def test_get_existing_user(pact: Pact) -> None:
    (
        pact.upon_receiving(f"a request for user {EXISTING_USER_ID}")
        .given(USER_EXISTS, id=EXISTING_USER_ID)
        .with_request("GET", f"/users/{EXISTING_USER_ID}")
        .with_header("Accept", "application/json")
        .will_respond_with(200)
        .with_body(
            {
                "id": match.int(EXISTING_USER_ID),
                "name": match.str("Ada Lovelace"),
                "email": match.regex("ada@example.com", regex=EMAIL_REGEX),
            },
            content_type="application/json",
        )
    )

    with pact.serve(addr="127.0.0.1") as server:
        user = UserClient(str(server.url)).get_user(EXISTING_USER_ID)

    assert user == User(id=EXISTING_USER_ID, name="Ada Lovelace", email="ada@example.com")


def test_get_unknown_user(pact: Pact) -> None:
    (
        pact.upon_receiving("a request for an unknown user")
        .given(USER_DOES_NOT_EXIST, id=UNKNOWN_USER_ID)
        .with_request("GET", f"/users/{UNKNOWN_USER_ID}")
        .with_header("Accept", "application/json")
        .will_respond_with(404)
    )

    with pact.serve(addr="127.0.0.1") as server, pytest.raises(UserNotFound) as caught:
        UserClient(str(server.url)).get_user(UNKNOWN_USER_ID)

    assert caught.value.user_id == UNKNOWN_USER_ID
