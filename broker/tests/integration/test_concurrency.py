"""Concurrent CI jobs: waves of 16 requests released together, then an audit through the API.

Whatever the interleaving: identical publishes all succeed, different contents for one version
leave exactly one winner whose bytes are stored (the rest 409), verification numbers are unique,
no request gets a 5xx, and a request that fails leaves nothing behind.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.support import http_client as http
from tests.support.pacts import changed, publish_body, renamed, sample_pact
from tests.support.server import LiveBroker
from tests.support.waves import (
    WAVE,
    as_published,
    publish,
    released_together,
    stored_pact,
    verification_url,
)


def no_server_errors(responses: list[http.Response]) -> None:
    errors = [(r.status_code, r.text) for r in responses if r.status_code >= 500]
    assert errors == []


def test_identical_republishes_of_a_new_version_all_succeed(broker: LiveBroker) -> None:
    pact = renamed(sample_pact(), consumer="wave-consumer", provider="wave-provider")

    responses = released_together(WAVE, lambda _: publish(broker.url, pact, "1.0.0"))

    no_server_errors(responses)
    assert [r.status_code for r in responses] == [200] * WAVE
    stored = stored_pact(broker.url, "wave-consumer", "wave-provider", "1.0.0")
    assert as_published(stored.json()) == pact
    versions = http.get(f"{broker.url}/pacticipants/wave-consumer/versions").json()
    assert [v["number"] for v in versions["_embedded"]["versions"]] == ["1.0.0"]


def test_different_contents_for_one_new_version_leave_exactly_one_winner(
    broker: LiveBroker,
) -> None:
    base = renamed(sample_pact(), consumer="racer", provider="judge")
    contents = [changed(base, f"job {i}") for i in range(WAVE)]

    responses = released_together(
        WAVE, lambda i: publish(broker.url, contents[i], "2.0.0", branch="main")
    )

    no_server_errors(responses)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: WAVE - 1}
    winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
    assert "modification is allowed" not in responses[winner].text
    for loser in (r for r in responses if r.status_code == 409):
        assert "Cannot change the content of the pact for racer version 2.0.0" in loser.text
    stored = stored_pact(broker.url, "racer", "judge", "2.0.0")
    assert as_published(stored.json()) == contents[winner]


def test_distinct_versions_and_new_pacticipants_all_arrive(broker: LiveBroker) -> None:
    """First publications of brand-new consumers to a brand-new provider, and new versions."""

    def pact_of(i: int) -> dict[str, Any]:
        return renamed(sample_pact(), consumer=f"new-consumer-{i % 4}", provider="new-provider")

    responses = released_together(
        WAVE, lambda i: publish(broker.url, pact_of(i), f"1.0.{i}", branch="main", tags=["prod"])
    )

    no_server_errors(responses)
    assert [r.status_code for r in responses] == [200] * WAVE
    for i in range(WAVE):
        stored = stored_pact(broker.url, f"new-consumer-{i % 4}", "new-provider", f"1.0.{i}")
        assert stored.status_code == 200
        assert as_published(stored.json()) == pact_of(i)
    names = [p["name"] for p in http.get(f"{broker.url}/pacticipants").json()["pacticipants"]]
    assert sorted(names) == [*(f"new-consumer-{i}" for i in range(4)), "new-provider"]


def test_new_pacticipants_created_in_opposite_orders_do_not_deadlock(broker: LiveBroker) -> None:
    """x publishes to y while y publishes to x, both new: each request creates both."""

    def request(i: int) -> http.Response:
        consumer, provider = ("x-svc", "y-svc") if i % 2 else ("y-svc", "x-svc")
        pact = renamed(sample_pact(), consumer=consumer, provider=provider)
        return publish(broker.url, pact, f"1.0.{i}")

    responses = released_together(WAVE, request)

    no_server_errors(responses)
    assert [r.status_code for r in responses] == [200] * WAVE


def test_concurrent_verification_results_get_unique_numbers(broker: LiveBroker) -> None:
    pact = sample_pact()
    assert publish(broker.url, pact, "1.0.0").status_code == 200
    url = verification_url(broker.url, "billing-service", "user-service", "1.0.0")

    responses = released_together(
        WAVE,
        lambda i: http.post(
            url, json={"success": i % 2 == 0, "providerApplicationVersion": f"p-{i}"}
        ),
    )

    no_server_errors(responses)
    assert [r.status_code for r in responses] == [201] * WAVE
    links = [r.json()["_links"]["self"]["href"] for r in responses]
    assert len(set(links)) == WAVE
    numbers = sorted(int(link.rsplit("/", 1)[1]) for link in links)
    assert numbers == list(range(1, WAVE + 1))
    for i, link in enumerate(links):
        result = http.get(link).json()
        assert result["providerApplicationVersion"] == f"p-{i}"
        assert result["success"] is (i % 2 == 0)


def test_reads_during_publishes_see_one_snapshot(broker: LiveBroker) -> None:
    """can-i-deploy and pacts-for-verification while new consumers publish: no 5xx, all 200."""
    assert publish(broker.url, sample_pact(), "1.0.0", branch="main").status_code == 200

    def request(i: int) -> http.Response:
        if i % 4 == 0:
            pact = renamed(sample_pact(), consumer=f"late-consumer-{i}")
            return publish(broker.url, pact, "1.0.0", branch="main")
        if i % 4 == 1:
            return http.post(
                f"{broker.url}/pacts/provider/user-service/for-verification",
                json={"consumerVersionSelectors": [{"mainBranch": True}]},
            )
        return http.get(
            f"{broker.url}/can-i-deploy",
            params={"pacticipant": "billing-service", "version": "1.0.0", "to": "prod"},
        )

    for _ in range(3):
        responses = released_together(WAVE, request)
        no_server_errors(responses)
        assert {r.status_code for r in responses} == {200}


def test_a_publish_that_conflicts_half_way_leaves_nothing_behind(broker: LiveBroker) -> None:
    pact = sample_pact()
    assert publish(broker.url, pact, "1.0.0").status_code == 200
    body_pacts = [renamed(pact, provider="brand-new-provider"), changed(pact)]
    body = {
        "pacticipantName": "billing-service",
        "pacticipantVersionNumber": "1.0.0",
        "branch": "feature-x",
        "tags": ["half-way"],
        # The first contract alone would be stored; the second conflicts.
        "contracts": [publish_contract(p) for p in body_pacts],
    }

    response = http.post(f"{broker.url}/contracts/publish", json=body)

    assert response.status_code == 409
    assert http.get(f"{broker.url}/pacticipants/brand-new-provider").status_code == 404
    version = http.get(f"{broker.url}/pacticipants/billing-service/versions/1.0.0").json()
    assert version["_embedded"]["tags"] == []
    assert version["_embedded"]["branchVersions"] == []
    assert as_published(stored_pact(broker.url, *PAIR, "1.0.0").json()) == pact


PAIR = ("billing-service", "user-service")


def publish_contract(pact: dict[str, Any]) -> dict[str, Any]:
    """One entry of a publish body's ``contracts``."""
    contract: dict[str, Any] = publish_body(pact, "unused")["contracts"][0]
    return contract


@pytest.fixture
def failing_publication_insert() -> Iterator[None]:
    """Inserting a pact publication fails, as a connection lost mid-request would."""

    def fail(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO PACT_PUBLICATIONS"):
            raise RuntimeError("the connection was lost")

    event.listen(Engine, "before_cursor_execute", fail)
    yield
    event.remove(Engine, "before_cursor_execute", fail)


def test_a_publish_that_fails_half_way_leaves_nothing_behind(
    broker: LiveBroker, failing_publication_insert: Any
) -> None:
    pact = renamed(sample_pact(), consumer="doomed-consumer", provider="doomed-provider")

    response = publish(broker.url, pact, "1.0.0", branch="main", tags=["prod"])

    assert response.status_code == 500
    assert "internal error" in response.text
    assert http.get(f"{broker.url}/pacticipants/doomed-consumer").status_code == 404
    assert http.get(f"{broker.url}/pacticipants/doomed-provider").status_code == 404


def test_concurrent_creations_of_one_name_leave_one_row(broker: LiveBroker) -> None:
    """POST /pacticipants and POST /environments: one 201, the rest a clear 4xx, never 500."""
    pacticipants = released_together(
        WAVE, lambda _: http.post(f"{broker.url}/pacticipants", json={"name": "only-once"})
    )
    environments = released_together(
        WAVE,
        lambda _: http.post(f"{broker.url}/environments", json={"name": "qa", "production": False}),
    )

    no_server_errors(pacticipants + environments)
    assert Counter(r.status_code for r in pacticipants) == {201: 1, 409: WAVE - 1}
    assert Counter(r.status_code for r in environments) == {201: 1, 400: WAVE - 1}
    for refused in (r for r in environments if r.status_code == 400):
        assert refused.json()["errors"] == {
            "name": ["Another environment with name 'qa' already exists."]
        }
    listed = http.get(f"{broker.url}/environments").json()["_embedded"]["environments"]
    assert [e["name"] for e in listed] == ["qa"]


def test_concurrent_deployments_to_one_environment_leave_one_deployed(
    broker: LiveBroker,
) -> None:
    """16 versions recorded as deployed to one environment at once: the last one stays."""
    for i in range(WAVE):
        assert publish(broker.url, sample_pact(), f"1.0.{i}").status_code == 200
    environment = http.post(f"{broker.url}/environments", json={"name": "qa", "production": False})
    uuid = environment.json()["uuid"]

    def deploy(i: int) -> http.Response:
        return http.post(
            f"{broker.url}/pacticipants/billing-service/versions/1.0.{i}"
            f"/deployed-versions/environment/{uuid}",
            json={},
        )

    def release(i: int) -> http.Response:
        return http.post(
            f"{broker.url}/pacticipants/billing-service/versions/1.0.0"
            f"/released-versions/environment/{uuid}",
            json={},
        )

    deployed = released_together(WAVE, deploy)
    released = released_together(WAVE, release)

    no_server_errors(deployed + released)
    assert {r.status_code for r in deployed} == {201}
    assert {r.status_code for r in released} <= {200, 201}
    current = http.get(f"{broker.url}/environments/{uuid}/deployed-versions/currently-deployed")
    assert len(current.json()["_embedded"]["deployedVersions"]) == 1
    supported = http.get(f"{broker.url}/environments/{uuid}/released-versions/currently-supported")
    assert len(supported.json()["_embedded"]["releasedVersions"]) == 1


BURST = 120
"""More requests at once than the server's 40 worker threads and its pooled connections."""


def test_a_burst_beyond_the_thread_pool_gets_no_5xx(broker: LiveBroker) -> None:
    """Requests wait for a turn on the event loop, not in threads holding nothing useful."""
    assert publish(broker.url, sample_pact(), "1.0.0").status_code == 200

    def request(i: int) -> http.Response:
        if i % 3 == 0:
            return http.get(f"{broker.url}/pacticipants")
        return http.put(
            f"{broker.url}/pacticipants/billing-service/versions/2.0.{i}",
            json={"branch": "main", "tags": [{"name": "burst"}]},
        )

    responses = released_together(BURST, request)

    no_server_errors(responses)
    assert {r.status_code for r in responses} == {200, 201}
    versions = http.get(f"{broker.url}/pacticipants/billing-service/versions").json()
    assert len(versions["_embedded"]["versions"]) == 1 + sum(1 for i in range(BURST) if i % 3)


def test_the_response_is_sent_after_the_commit(broker: LiveBroker) -> None:
    """A write whose commit fails is not answered 201 (the commit precedes the response)."""

    doomed = threading.Event()

    def mark_doomed(
        _conn: object, _cursor: object, statement: str, parameters: Any, *_: object
    ) -> None:
        if "INSERT INTO environments" in statement and "doomed" in str(parameters):
            doomed.set()

    def fail_doomed(_session: Session) -> None:
        if doomed.is_set():
            doomed.clear()
            raise RuntimeError("the database refused the commit")

    event.listen(Engine, "before_cursor_execute", mark_doomed)
    event.listen(Session, "before_commit", fail_doomed)
    try:
        response = http.post(
            f"{broker.url}/environments", json={"name": "doomed", "production": False}
        )
    finally:
        event.remove(Engine, "before_cursor_execute", mark_doomed)
        event.remove(Session, "before_commit", fail_doomed)

    assert response.status_code == 500
    listed = http.get(f"{broker.url}/environments").json()["_embedded"]["environments"]
    assert listed == []
