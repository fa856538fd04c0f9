"""The breaking variants change exactly one thing about ``GET /users/{id}``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from user_service import create_app
from user_service_contract.variants import Variant, breaking


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        (Variant.USERNAME, {"id": 1, "username": "Ada Lovelace", "email": "ada@example.com"}),
        (Variant.ID_AS_STRING, {"id": "1", "name": "Ada Lovelace", "email": "ada@example.com"}),
    ],
)
def test_variant_changes_the_user_body(variant: Variant, expected: dict[str, object]) -> None:
    client = TestClient(breaking(create_app(), variant))

    response = client.get("/users/1")

    assert response.json() == expected
    assert int(response.headers["content-length"]) == len(response.content)
    assert client.get("/users/77").json() == {"detail": "User 77 not found"}
    assert client.get("/health").json()["status"] == "ok"
