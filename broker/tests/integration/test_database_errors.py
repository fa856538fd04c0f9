"""What the database says about a lost race is an answer the client can act on, not a 500.

A row taken or deleted by a concurrent request (unique or foreign-key violation, an UPDATE or
DELETE that matched nothing, a row gone before it was read) is a 409 saying to retry, logged as
a warning without a traceback; a deadlock or serialization failure is a 503 with
``Retry-After``. Any other database error is still a 500 with its traceback in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, NoResultFound, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from tests.support import http_client as http
from tests.support.server import LiveBroker

ERROR_TYPE = "application/hal+json;charset=utf-8"
RETRY = (
    "What this request reads or writes was changed by another request at the same time; "
    "retry the request"
)
INTERNAL = "internal error; the broker log has the details"


class DriverError(Exception):
    """What psycopg raises: the error with its SQLSTATE."""

    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def integrity(sqlstate: str) -> Exception:
    return IntegrityError("INSERT INTO environments …", {}, DriverError("violated", sqlstate))


def operational(sqlstate: str) -> Exception:
    return OperationalError("INSERT INTO environments …", {}, DriverError("failed", sqlstate))


@pytest.fixture
def database_says() -> Iterator[Callable[[Exception], None]]:
    """``database_says(error)``: inserting an environment raises ``error``."""
    errors: list[Exception] = []

    def fail(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if errors and statement.lstrip().upper().startswith("INSERT INTO ENVIRONMENTS"):
            raise errors.pop()

    event.listen(Engine, "before_cursor_execute", fail)
    yield errors.append
    event.remove(Engine, "before_cursor_execute", fail)


def create_environment(broker: LiveBroker) -> http.Response:
    return http.post(f"{broker.url}/environments", json={"name": "qa", "production": False})


def broker_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "contract_broker"]


@pytest.mark.parametrize(
    "error",
    [
        integrity("23505"),  # unique_violation: a concurrent request took the key
        integrity("23503"),  # foreign_key_violation: it deleted a referenced row
        StaleDataError("UPDATE statement on table 'environments' expected to update 1 row(s)"),
        NoResultFound("No row was found when one was required"),
    ],
    ids=["unique", "foreign key", "stale", "no result"],
)
def test_a_lost_race_is_a_409_saying_to_retry(
    broker: LiveBroker,
    database_says: Callable[[Exception], None],
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    database_says(error)

    with caplog.at_level(logging.WARNING, logger="contract_broker"):
        response = create_environment(broker)

    assert response.status_code == 409
    assert response.headers["content-type"] == ERROR_TYPE
    assert response.json() == {"error": RETRY}
    [record] = broker_log(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "POST /environments" in record.getMessage()
    assert http.get(f"{broker.url}/environments").json()["_embedded"]["environments"] == []
    assert create_environment(broker).status_code == 201  # the retry succeeds


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"], ids=["deadlock", "serialization"])
def test_a_deadlock_or_serialization_failure_is_a_503_to_retry(
    broker: LiveBroker,
    database_says: Callable[[Exception], None],
    caplog: pytest.LogCaptureFixture,
    sqlstate: str,
) -> None:
    database_says(operational(sqlstate))

    with caplog.at_level(logging.WARNING, logger="contract_broker"):
        response = create_environment(broker)

    assert response.status_code == 503
    assert response.headers["content-type"] == ERROR_TYPE
    assert response.headers["retry-after"] == "1"
    assert "retry the request" in response.json()["error"]
    [record] = broker_log(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert create_environment(broker).status_code == 201


@pytest.mark.parametrize(
    "error",
    [integrity("23502"), integrity("23514"), operational("08006"), operational("53300")],
    ids=["not null", "check", "connection failure", "too many connections"],
)
def test_other_database_errors_stay_500s_with_a_traceback(
    broker: LiveBroker,
    database_says: Callable[[Exception], None],
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    database_says(error)

    with caplog.at_level(logging.WARNING, logger="contract_broker"):
        response = create_environment(broker)

    assert response.status_code == 500
    assert response.json() == {"error": INTERNAL}
    [record] = broker_log(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
