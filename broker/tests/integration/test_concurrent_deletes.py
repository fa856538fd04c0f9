"""Deletes racing the requests that use what they delete: waves of 16 requests released together.

A branch deleted while versions are put on it, an environment deleted while deployments and
releases are recorded in it or while it is replaced: every request answers 2xx, 404 (it is gone)
or 409 (it changed meanwhile: retry), never a 5xx, and a request that fails leaves nothing behind.
"""

from __future__ import annotations

from tests.support import http_client as http
from tests.support.server import LiveBroker
from tests.support.waves import WAVE, released_together

ROUNDS = 4
"""Waves per race: the interleavings differ from one wave to the next."""

RETRY = "changed by another request at the same time; retry the request"


def no_server_errors(responses: list[http.Response]) -> None:
    errors = [(r.status_code, r.text) for r in responses if r.status_code >= 500]
    assert errors == []


def statuses(responses: list[http.Response]) -> set[int]:
    return {r.status_code for r in responses}


def conflicts_say_retry(responses: list[http.Response]) -> None:
    """A 409 of a lost race is HAL JSON telling the client to retry."""
    for response in (r for r in responses if r.status_code == 409):
        assert response.headers["content-type"] == "application/hal+json;charset=utf-8"
        assert RETRY in response.json()["error"]


def test_deleting_a_branch_while_versions_are_added_to_it(broker: LiveBroker) -> None:
    branch = f"{broker.url}/pacticipants/brancher/branches/feature"
    for round_ in range(ROUNDS):
        made = http.put(f"{branch}/versions/{round_}.seed", json={})
        assert made.status_code in {200, 201}, made.text

        def request(i: int, round_: int = round_) -> http.Response:
            if i % 4 == 0:
                return http.delete(branch)
            return http.put(f"{branch}/versions/{round_}.{i}", json={})

        responses = released_together(WAVE, request)

        no_server_errors(responses)
        assert statuses(responses) <= {200, 201, 204, 404, 409}
        conflicts_say_retry(responses)
        for i, response in enumerate(responses):
            if i % 4 and response.status_code == 409:  # rolled back: the version is not there
                version = f"{broker.url}/pacticipants/brancher/versions/{round_}.{i}"
                assert http.get(version).status_code == 404


def test_deleting_an_environment_while_deployments_are_recorded(broker: LiveBroker) -> None:
    versions = f"{broker.url}/pacticipants/deployer/versions"
    for i in range(WAVE):
        assert http.put(f"{versions}/1.0.{i}", json={}).status_code in {200, 201}
    for round_ in range(ROUNDS):
        created = http.post(
            f"{broker.url}/environments", json={"name": f"qa-{round_}", "production": False}
        )
        assert created.status_code == 201, created.text
        uuid = created.json()["uuid"]

        def request(i: int, uuid: str = uuid) -> http.Response:
            if i % 4 == 0:
                return http.delete(f"{broker.url}/environments/{uuid}")
            kind = "released-versions" if i % 4 == 1 else "deployed-versions"
            return http.post(f"{versions}/1.0.{i}/{kind}/environment/{uuid}", json={})

        responses = released_together(WAVE, request)

        no_server_errors(responses)
        assert statuses(responses) <= {201, 204, 404, 409}
        conflicts_say_retry(responses)
        # A deployment locks its environment: it is recorded first, or told the
        # environment is gone.
        deployments = [r for i, r in enumerate(responses) if i % 4 > 1]
        assert statuses(deployments) <= {201, 404}
        assert http.get(f"{broker.url}/environments/{uuid}").status_code == 404


def test_deleting_an_environment_while_it_is_replaced(broker: LiveBroker) -> None:
    for round_ in range(ROUNDS):
        name = f"staging-{round_}"
        created = http.post(f"{broker.url}/environments", json={"name": name, "production": False})
        assert created.status_code == 201, created.text
        url = f"{broker.url}/environments/{created.json()['uuid']}"

        def request(i: int, url: str = url, name: str = name) -> http.Response:
            if i % 2 == 0:
                return http.delete(url)
            body = {"name": name, "production": False, "displayName": f"Staging {i}"}
            return http.put(url, json=body)

        responses = released_together(WAVE, request)

        no_server_errors(responses)
        assert statuses(responses) <= {200, 204, 404, 409}
        conflicts_say_retry(responses)
        assert http.get(url).status_code == 404


def test_simultaneous_deletes_of_one_webhook_or_tag_leave_one_204(broker: LiveBroker) -> None:
    """The delete that removed the row says 204; the others find it gone: 404, no warning."""
    webhook = http.put(
        f"{broker.url}/webhooks/to-delete-0123456789",
        json={
            "events": [{"name": "contract_published"}],
            "request": {"method": "POST", "url": "https://ci.example/hook"},
        },
    )
    assert webhook.status_code == 201, webhook.text
    tagged = http.put(f"{broker.url}/pacticipants/tagger/versions/1/tags/doomed", json={})
    assert tagged.status_code == 201, tagged.text

    webhooks = released_together(
        WAVE, lambda _: http.delete(f"{broker.url}/webhooks/to-delete-0123456789")
    )
    tags = released_together(
        WAVE, lambda _: http.delete(f"{broker.url}/pacticipants/tagger/versions/1/tags/doomed")
    )

    for responses in (webhooks, tags):
        no_server_errors(responses)
        assert sorted(r.status_code for r in responses) == [204] + [404] * (WAVE - 1)
