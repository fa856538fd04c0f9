"""pact-python's Verifier (pact_ffi) and ``pact verifier`` fetch pacts from a live broker.

Selectors, pending and WIP pacts, de-duplication by content, and published results. Pacts of
different consumer versions differ only in an interaction's description (a marker), so the
tiny provider answers them all while the broker sees distinct content.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pact import Verifier

from tests.support import http_client as http
from tests.support.cli import PactCli
from tests.support.pacts import CONSUMER, PROVIDER, changed, publish_body, renamed, sample_pact
from tests.support.provider import STATE_PATH, Outcome, TinyProvider, verify
from tests.support.server import LiveBroker

UNKNOWN_USER = "a request for an unknown user"


@pytest.fixture(autouse=True)
def _no_tracking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
    for name in ("PACT_BROKER_BASE_URL", "PACT_BROKER_TOKEN", "PACT_BROKER_USERNAME"):
        monkeypatch.delenv(name, raising=False)


def publish(
    broker: LiveBroker,
    version: str,
    *,
    marker: str | None = None,
    consumer: str = CONSUMER,
    branch: str | None = None,
    tags: list[str] | None = None,
) -> None:
    """Publish the test pact for ``consumer`` ``version``; ``marker`` makes its content unique."""
    pact = renamed(sample_pact(), consumer=consumer)
    if marker is not None:
        pact = changed(pact, marker)
    response = http.post(
        broker.url + "/contracts/publish",
        json=publish_body(pact, version, branch=branch, tags=tags),
    )
    assert response.status_code == 200, response.text


def create_environment(broker: LiveBroker, name: str) -> str:
    response = http.post(broker.url + "/environments", json={"name": name, "production": False})
    assert response.status_code == 201, response.text
    uuid: str = response.json()["uuid"]
    return uuid


def record(broker: LiveBroker, kind: str, version: str, environment: str) -> None:
    """``kind`` is ``deployed`` or ``released``."""
    path = f"/pacticipants/{CONSUMER}/versions/{version}/{kind}-versions/environment/{environment}"
    response = http.post(broker.url + path, json={})
    assert response.status_code == 201, response.text


def for_verification(broker: LiveBroker, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The pacts the broker hands the verifier for ``body``, straight from the endpoint."""
    response = http.post(broker.url + f"/pacts/provider/{PROVIDER}/for-verification", json=body)
    assert response.status_code == 200, response.text
    pacts: list[dict[str, Any]] = response.json()["_embedded"]["pacts"]
    return pacts


def verified(outcome: Outcome) -> list[str]:
    """Descriptions of the interactions the verifier replayed, sorted."""
    assert outcome.interactions, outcome.describe()
    return sorted(i["description"] for i in outcome.interactions)


def markers(outcome: Outcome) -> set[str]:
    """Which marked pacts were verified (``""`` for the unmarked test pact)."""
    found = set()
    for description in verified(outcome):
        if description.startswith(UNKNOWN_USER):
            found.add(description.removeprefix(UNKNOWN_USER).strip(" ()"))
    return found


def selectors(
    broker: LiveBroker, *choices: dict[str, Any], **options: Any
) -> Callable[[Verifier], object]:
    """Configure a selector-builder broker source: ``choices`` are consumer_version kwargs."""

    def configure(verifier: Verifier) -> object:
        builder = verifier.broker_source(broker.url, selector=True)
        if options.get("pending"):
            builder.include_pending()
        if options.get("wip_since"):
            builder.include_wip_since(options["wip_since"])
        if options.get("branch"):
            builder.provider_branch(options["branch"])
        for choice in choices:
            builder.consumer_version(**choice)
        builder.build()
        if options.get("publish"):
            verifier.set_publish_options(**options["publish"])
        return verifier

    return configure


def latest_verification(broker: LiveBroker, consumer: str, version: str) -> dict[str, Any]:
    pact = http.get(
        broker.url + f"/pacts/provider/{PROVIDER}/consumer/{consumer}/version/{version}"
    ).json()
    sha = pact["_links"]["pb:pact-version"]["name"]
    response = http.get(
        broker.url
        + f"/pacts/provider/{PROVIDER}/consumer/{consumer}/pact-version/{sha}"
        + "/verification-results/latest"
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def provider_version(broker: LiveBroker, number: str) -> tuple[list[str], list[str]]:
    """(branches, tags) of a provider version."""
    body = http.get(broker.url + f"/pacticipants/{PROVIDER}/versions/{number}").json()
    embedded = body["_embedded"]
    return [b["name"] for b in embedded["branchVersions"]], [t["name"] for t in embedded["tags"]]


# --- sources and selectors -----------------------------------------------------------------


def test_default_selectors_verify_the_main_branch_head(broker: LiveBroker) -> None:
    publish(broker, "1", marker="old", branch="main")
    publish(broker, "2", marker="main", branch="main")
    publish(broker, "3", marker="feature", branch="feat-x")

    outcome = verify(PROVIDER, lambda v: v.broker_source(broker.url))

    assert outcome.success, outcome.describe()
    assert markers(outcome) == {"main"}
    assert [p["shortDescription"] for p in for_verification(broker, {})] == [
        "latest from main branch"
    ]


def test_main_branch_selector_publishes_results_with_branch_and_tags(broker: LiveBroker) -> None:
    publish(broker, "1", branch="main")

    outcome = verify(
        PROVIDER,
        selectors(
            broker,
            {"main_branch": True},
            publish={"version": "p-1", "branch": "main", "tags": ["dev", "ci"]},
        ),
    )

    assert outcome.success, outcome.describe()
    assert verified(outcome) == sorted(i["description"] for i in sample_pact()["interactions"])
    result = latest_verification(broker, CONSUMER, "1")
    assert (result["providerApplicationVersion"], result["success"]) == ("p-1", True)
    assert {r["interactionId"] for r in result["testResults"]} == {
        i["_id"]
        for i in http.get(
            broker.url + f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1"
        ).json()["interactions"]
    }
    assert provider_version(broker, "p-1") == (["main"], ["dev", "ci"])


def test_deployed_or_released_selects_versions_in_environments(broker: LiveBroker) -> None:
    test = create_environment(broker, "test")
    store = create_environment(broker, "store")
    publish(broker, "1", marker="deployed")
    publish(broker, "2", marker="released")
    publish(broker, "3", marker="undeployed")
    publish(broker, "4", marker="latest", branch="main")
    record(broker, "deployed", "3", test)
    record(broker, "deployed", "1", test)  # replaces 3 in test
    record(broker, "released", "2", store)

    outcome = verify(PROVIDER, selectors(broker, {"deployed_or_released": True}))

    assert outcome.success, outcome.describe()
    assert markers(outcome) == {"deployed", "released"}
    described = sorted(
        p["shortDescription"]
        for p in for_verification(
            broker, {"consumerVersionSelectors": [{"deployedOrReleased": True}]}
        )
    )
    assert described == ["deployed to test", "released in store"]


def test_branch_and_matching_branch_selectors(broker: LiveBroker) -> None:
    publish(broker, "1", marker="main", branch="main")
    publish(broker, "2", marker="feat-old", branch="feat-x")
    publish(broker, "3", marker="feat-head", branch="feat-x")
    publish(broker, "4", marker="other", branch="feat-y")

    by_branch = verify(PROVIDER, selectors(broker, {"branch": "feat-x"}))
    matching = verify(PROVIDER, selectors(broker, {"matching_branch": True}, branch="feat-y"))

    assert markers(by_branch) == {"feat-head"}
    assert markers(matching) == {"other"}


def test_tag_selector_with_and_without_latest(broker: LiveBroker) -> None:
    publish(broker, "1", marker="prod-1", tags=["prod"])
    publish(broker, "2", marker="prod-2", tags=["prod"])
    publish(broker, "3", marker="dev", tags=["dev"])

    every = verify(PROVIDER, selectors(broker, {"tag": "prod"}))
    latest = verify(PROVIDER, selectors(broker, {"tag": "prod", "latest": True}))

    assert markers(every) == {"prod-1", "prod-2"}
    assert markers(latest) == {"prod-2"}
    assert sorted(
        p["shortDescription"]
        for p in for_verification(broker, {"consumerVersionSelectors": [{"tag": "prod"}]})
    ) == ["one of prod", "one of prod"]


def test_the_same_content_from_two_consumer_versions_is_one_pact(broker: LiveBroker) -> None:
    publish(broker, "1", tags=["prod"])
    publish(broker, "2", branch="main")
    body = {"consumerVersionSelectors": [{"tag": "prod", "latest": True}, {"mainBranch": True}]}

    pacts = for_verification(broker, body)
    outcome = verify(
        PROVIDER, selectors(broker, {"tag": "prod", "latest": True}, {"main_branch": True})
    )

    assert len(pacts) == 1
    assert pacts[0]["shortDescription"] == "latest with tag prod, latest from main branch"
    assert pacts[0]["_links"]["self"]["name"] == f"Pact between {CONSUMER} (2) and {PROVIDER}"
    assert verified(outcome) == sorted(i["description"] for i in sample_pact()["interactions"])


# --- pending and WIP -----------------------------------------------------------------------


def test_a_failing_pending_pact_does_not_fail_until_verified_on_the_branch(
    broker: LiveBroker,
) -> None:
    publish(broker, "1", branch="main")
    choice = {"main_branch": True}

    pending_failure = verify(
        PROVIDER, selectors(broker, choice, pending=True, branch="main"), broken=True
    )

    assert pending_failure.success, pending_failure.describe()
    assert {i["pending"] for i in pending_failure.interactions} == {True}
    assert {i["result"] for i in pending_failure.interactions} == {"Error"}

    verify(
        PROVIDER,
        selectors(broker, choice, pending=True, branch="main", publish={"version": "p-1"}),
    )
    body = {
        "consumerVersionSelectors": [{"mainBranch": True}],
        "includePendingStatus": True,
        "providerVersionBranch": "main",
    }
    assert [p["verificationProperties"]["pending"] for p in for_verification(broker, body)] == [
        False
    ]

    real_failure = verify(
        PROVIDER, selectors(broker, choice, pending=True, branch="main"), broken=True
    )

    assert not real_failure.success
    assert {i["pending"] for i in real_failure.interactions} == {False}


def test_a_failed_verifications_refusal_names_what_the_verifier_saw_fail(
    broker: LiveBroker,
) -> None:
    """The real verifier publishes testResults; can-i-deploy's reason names each failing
    interaction and its mismatch from them (a 500 for both interactions here)."""
    publish(broker, "1", branch="main")
    outcome = verify(
        PROVIDER,
        selectors(broker, {"main_branch": True}, publish={"version": "p-broken"}),
        broken=True,
    )
    assert not outcome.success
    answer = http.get(
        broker.url + f"/matrix?q[][pacticipant]={PROVIDER}&q[][version]=p-broken&latestby=cvpv"
    ).json()
    reason = answer["summary"]["reason"]
    assert answer["summary"]["deployable"] is False
    for interaction in sample_pact()["interactions"]:
        assert f'{PROVIDER} p-broken fails {CONSUMER}\'s "{interaction["description"]}"' in reason
    assert "status — expected 200 but was 500" in reason
    notices = [n["text"] for n in answer["notices"] if n["type"] == "error"]
    assert any(text.endswith("status — expected 404 but was 500") for text in notices), notices


def test_a_pact_verified_on_main_is_not_pending_for_a_branch_created_later(
    broker: LiveBroker,
) -> None:
    publish(broker, "1", branch="main")
    verify(
        PROVIDER,
        selectors(broker, {"main_branch": True}, publish={"version": "p-1", "branch": "main"}),
    )
    body = {
        "consumerVersionSelectors": [{"mainBranch": True}],
        "includePendingStatus": True,
        "providerVersionBranch": "feat-new",
    }

    assert [p["verificationProperties"]["pending"] for p in for_verification(broker, body)] == [
        False
    ]


def test_a_verification_by_a_version_on_no_branch_ends_pending_only_without_a_branch(
    broker: LiveBroker,
) -> None:
    publish(broker, "1", branch="main")
    verify(PROVIDER, selectors(broker, {"main_branch": True}, publish={"version": "p-0"}))

    def pending(**extra: Any) -> list[bool]:
        body = {"consumerVersionSelectors": [{"mainBranch": True}], **extra}
        return [p["verificationProperties"]["pending"] for p in for_verification(broker, body)]

    assert provider_version(broker, "p-0") == ([], [])
    assert pending(includePendingStatus=True) == [False]
    assert pending(includePendingStatus=True, providerVersionBranch="main") == [True]
    assert pending(includePendingStatus=True, providerVersionTags=["dev"]) == [True]


def test_wip_pacts_published_since_the_date_are_included(broker: LiveBroker) -> None:
    publish(broker, "1", marker="main", branch="main")
    publish(broker, "2", marker="feature", branch="feat-x")
    today = datetime.now(UTC).date()
    body = {
        "consumerVersionSelectors": [{"mainBranch": True}],
        "includePendingStatus": True,
        "providerVersionBranch": "main",
        "includeWipPactsSince": today.isoformat(),
    }

    pacts = for_verification(broker, body)
    outcome = verify(
        PROVIDER,
        selectors(broker, {"main_branch": True}, pending=True, wip_since=today, branch="main"),
    )

    assert [(p["shortDescription"], p["verificationProperties"].get("wip")) for p in pacts] == [
        ("latest from main branch", None),
        ("latest from branch feat-x", True),
    ]
    assert pacts[1]["verificationProperties"]["pending"] is True
    assert markers(outcome) == {"main", "feature"}
    wip = [i for i in outcome.interactions if "(feature)" in i["description"]]
    assert {i["pending"] for i in wip} == {True}
    tomorrow = {**body, "includeWipPactsSince": (today + timedelta(days=1)).isoformat()}
    assert len(for_verification(broker, tomorrow)) == 1


# --- the standalone verifier CLI -----------------------------------------------------------


def test_pact_verifier_cli_reads_latest_pacts_and_publishes(broker: LiveBroker) -> None:
    publish(broker, "1", marker="first")
    publish(broker, "2", marker="second")
    publish(broker, "1", consumer="audit", marker="audit")

    with TinyProvider() as provider:
        result = PactCli(broker.url).verifier(
            "--broker-url",
            broker.url,
            "--provider-name",
            PROVIDER,
            "--hostname",
            "127.0.0.1",
            "--port",
            str(provider.port),
            "--state-change-url",
            provider.url + STATE_PATH,
            "--publish",
            "--provider-version",
            "p-9",
            "--provider-branch",
            "main",
            "--retries",
            "1",
            "--no-colour",
        )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "(second)" in result.stdout
    assert "(first)" not in result.stdout
    assert "(audit)" in result.stdout
    for consumer, version in ((CONSUMER, "2"), ("audit", "1")):
        outcome = latest_verification(broker, consumer, version)
        assert (outcome["providerApplicationVersion"], outcome["success"]) == ("p-9", True)
    assert provider_version(broker, "p-9") == (["main"], [])
