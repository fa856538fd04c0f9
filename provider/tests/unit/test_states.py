"""Provider-state handlers: they set data, and record (never raise) what goes wrong."""

from __future__ import annotations

from contract_terms import EXISTING_USER_ID, UNKNOWN_USER_ID, USER_DOES_NOT_EXIST, USER_EXISTS
from user_service.models import User
from user_service.repository import InMemoryUserRepository
from user_service_contract.states import ProviderStates


def test_user_exists_puts_the_user_and_teardown_removes_it() -> None:
    repository = InMemoryUserRepository([])
    states = ProviderStates(repository)

    states(USER_EXISTS, "setup", {"id": EXISTING_USER_ID})
    user = repository.get(EXISTING_USER_ID)
    states(USER_EXISTS, "teardown", {"id": EXISTING_USER_ID})

    assert user is not None
    assert user.id == EXISTING_USER_ID
    assert repository.get(EXISTING_USER_ID) is None
    assert states.problems == []


def test_user_does_not_exist_removes_the_user() -> None:
    repository = InMemoryUserRepository([User(id=UNKNOWN_USER_ID, name="x", email="x@y.z")])

    ProviderStates(repository)(USER_DOES_NOT_EXIST, "setup", {"id": UNKNOWN_USER_ID})

    assert repository.get(UNKNOWN_USER_ID) is None


def test_unknown_state_is_recorded_once_not_raised() -> None:
    states = ProviderStates(InMemoryUserRepository())

    states("the moon is made of cheese", "setup", None)
    states("the moon is made of cheese", "teardown", None)

    assert len(states.problems) == 1
    assert "unknown provider state 'the moon is made of cheese'" in states.problems[0]


def test_a_failing_handler_is_recorded_not_raised() -> None:
    states = ProviderStates(InMemoryUserRepository())

    states(USER_EXISTS, "setup", {"id": "not-a-number"})

    assert states.problems == [
        f"provider state {USER_EXISTS!r} (setup) failed: "
        "ValueError(\"invalid literal for int() with base 10: 'not-a-number'\")"
    ]


def test_the_generic_hook_is_ignored() -> None:
    states = ProviderStates(InMemoryUserRepository())
    states("", "setup", {})
    assert states.problems == []
