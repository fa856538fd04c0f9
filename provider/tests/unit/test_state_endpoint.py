"""The provider-state endpoint the verifier posts to: it applies states and always answers 200."""

from __future__ import annotations

from fastapi.testclient import TestClient

from contract_terms import USER_EXISTS
from user_service_contract.state_endpoint import STATE_CHANGE_PATH, app_with_states
from user_service_contract.variants import Variant


def test_a_state_is_set_up_and_torn_down_through_the_endpoint() -> None:
    app, states = app_with_states()
    client = TestClient(app)
    change = {"state": USER_EXISTS, "params": {"id": 4242}}

    assert client.post(STATE_CHANGE_PATH, json={**change, "action": "setup"}).json() == {}
    assert client.get("/users/4242").status_code == 200
    assert client.post(STATE_CHANGE_PATH, json={**change, "action": "teardown"}).status_code == 200
    assert client.get("/users/4242").status_code == 404
    assert states.problems == []


def test_an_unknown_state_answers_200_and_is_recorded() -> None:
    app, states = app_with_states()

    answer = TestClient(app).post(STATE_CHANGE_PATH, json={"state": "a user on the moon"})

    assert answer.status_code == 200
    assert states.problems == [
        "unknown provider state 'a user on the moon' "
        "(known: ['user 123 exists', 'user 999 does not exist'])"
    ]


def test_a_body_that_is_not_an_object_is_refused() -> None:
    client = TestClient(app_with_states()[0])

    for body in (b"[1]", b"not json"):
        answer = client.post(STATE_CHANGE_PATH, content=body)
        assert answer.status_code == 422
        assert answer.json() == {"detail": "the body must be a JSON object"}
    assert client.get(STATE_CHANGE_PATH).status_code == 405


def test_the_variant_still_changes_the_users_body() -> None:
    app, _ = app_with_states(Variant.USERNAME)
    client = TestClient(app)
    client.post(STATE_CHANGE_PATH, json={"state": USER_EXISTS, "params": {"id": 7}})

    assert "username" in client.get("/users/7").json()
