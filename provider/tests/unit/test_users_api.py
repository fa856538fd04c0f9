"""The HTTP API of user-service, through FastAPI's test client."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from user_service import create_app
from user_service.models import User
from user_service.repository import SEED_USERS, InMemoryUserRepository


@pytest.fixture
def repository() -> InMemoryUserRepository:
    return InMemoryUserRepository([User(id=5, name="Grace Hopper", email="grace@example.com")])


@pytest.fixture
def client(repository: InMemoryUserRepository) -> TestClient:
    return TestClient(create_app(repository))


def test_get_user(client: TestClient) -> None:
    response = client.get("/users/5")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"id": 5, "name": "Grace Hopper", "email": "grace@example.com"}


def test_unknown_user_is_404_with_detail(client: TestClient) -> None:
    response = client.get("/users/404")

    assert response.status_code == 404
    assert response.json() == {"detail": "User 404 not found"}


@pytest.mark.parametrize("user_id", ["abc", "1.5", "%20"])
def test_non_integer_id_is_422(client: TestClient, user_id: str) -> None:
    response = client.get(f"/users/{user_id}")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "user_id"]


def test_data_written_through_the_repository_is_served(
    client: TestClient, repository: InMemoryUserRepository
) -> None:
    repository.put(User(id=9, name="Edsger", email="e@example.com"))
    assert client.get("/users/9").json()["name"] == "Edsger"
    repository.delete(9)
    assert client.get("/users/9").status_code == 404


def test_health() -> None:
    response = TestClient(create_app()).get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "dev"}


def test_default_app_serves_seed_users() -> None:
    client = TestClient(create_app())
    for user in SEED_USERS:
        assert client.get(f"/users/{user.id}").json() == user.model_dump()
