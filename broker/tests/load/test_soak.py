"""A minute of the soak runner on the test's database: real traffic, no 5xx, no wrong status."""

from __future__ import annotations

import signal

import pytest
from bench.broker_process import distinct_tracebacks, loopback_client
from bench.soak import OPERATIONS, SoakConfig, run_soak, summary

SECONDS = 60
# About 130 requests/s on PostgreSQL and 180 on SQLite on the 2-core reference machine: a
# fifth of the slower rate still proves the clients kept the broker busy.
MIN_REQUESTS = 25 * SECONDS


def test_a_minute_of_mixed_traffic_gets_only_expected_statuses(database_url: str) -> None:
    result = run_soak(SoakConfig(seconds=SECONDS, database_url=database_url, interval=10))
    report = "\n".join(summary(result))

    assert result.requests >= MIN_REQUESTS, report
    assert [name for name in OPERATIONS if not result.operations[name].requests] == [], report
    assert (result.server_errors, result.unexpected) == (0, 0), report
    assert result.failures == [], report
    assert result.tracebacks == [], report
    assert len(result.intervals) == SECONDS // 10, report
    assert all(row.rss_kib for row in result.intervals), report
    # uvicorn re-raises the SIGTERM it handled after its graceful shutdown.
    assert result.broker_exit_code in {0, -signal.SIGTERM}, report


def test_the_clients_only_ever_target_loopback() -> None:
    for url in ("http://localhost:9292", "http://10.0.0.1:9292", "https://127.0.0.1:9292"):
        with pytest.raises(ValueError, match=r"only 127\.0\.0\.1"):
            loopback_client(url)


SERVER_LOG = """\
2026-01-31 10:00:00,001 [4242] INFO contract_broker POST /contracts/publish 200 12.0ms
2026-01-31 10:00:00,002 [4242] ERROR contract_broker unexpected error on PUT /pacticipants/a
Traceback (most recent call last):
  File "/x/site-packages/starlette/routing.py", line 3, in handle
  File "/x/src/contract_broker/services/pacticipants.py", line 136, in update_pacticipant
    session.flush()
sqlalchemy.exc.DataError: (psycopg.DataError) PostgreSQL text fields cannot contain NUL
[SQL: UPDATE pacticipants SET display_name=%(display_name)s]
(Background on this error at: https://sqlalche.me/e/21/9h9h)
2026-01-31 10:00:00,003 [4242] INFO contract_broker.access PUT /pacticipants/a 500 9.6ms
ERROR:    Exception in ASGI application
Traceback (most recent call last):
  File "/x/src/contract_broker/services/pacticipants.py", line 136, in update_pacticipant
sqlalchemy.exc.DataError: (psycopg.DataError) PostgreSQL text fields cannot contain NUL
INFO:     Shutting down
2026-01-31 10:00:00,004 [4242] ERROR contract_broker unexpected error on PATCH /pacticipants/b
Traceback (most recent call last):
  File "/x/src/contract_broker/services/pacticipants.py", line 136, in update_pacticipant
sqlalchemy.exc.DataError: (psycopg.DataError) PostgreSQL text fields cannot contain NUL
"""


def test_server_tracebacks_are_grouped_by_exception_and_line_and_counted_once() -> None:
    [found] = distinct_tracebacks(SERVER_LOG)

    assert found.exception.startswith("sqlalchemy.exc.DataError: (psycopg.DataError)")
    assert found.where == "contract_broker/services/pacticipants.py:136 in update_pacticipant"
    assert found.headline == "ERROR contract_broker unexpected error on PUT /pacticipants/a"
    assert found.count == 2  # two requests; uvicorn's copy of the first is not one
