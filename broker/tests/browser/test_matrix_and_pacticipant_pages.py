"""The integration matrix page and the pacticipant page in Chromium: what failed, the filters,
the badges and their Markdown. Screenshots: .artifacts/screenshots/<test name>.png."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest

from tests.support.cli import PactCli
from tests.support.pacts import CONSUMER, PROVIDER, changed, publish_body, sample_pact
from tests.support.server import LiveBroker

MATRIX = f"/matrix/provider/{PROVIDER}/consumer/{CONSUMER}"
MISMATCH = "Actual map is missing the following keys: name"


def publish(broker: LiveBroker, pact: dict[str, Any], version: str, branch: str) -> None:
    body = publish_body(pact, version, branch=branch)
    response = httpx.post(f"{broker.url}/contracts/publish", json=body)
    assert response.status_code == 200, response.text


def verify(broker: LiveBroker, version: str, by: str, *, success: bool) -> None:
    pact = httpx.get(
        f"{broker.url}/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/{version}"
    )
    body: dict[str, Any] = {"success": success, "providerApplicationVersion": by}
    if not success:
        body["testResults"] = [
            {
                "interactionDescription": "a request for user 123",
                "success": False,
                "mismatches": [{"attribute": "body", "identifier": "$", "description": MISMATCH}],
            }
        ]
    href = pact.json()["_links"]["pb:publish-verification-results"]["href"]
    assert httpx.post(href, json=body).status_code == 201


@pytest.fixture
def verified(broker: LiveBroker, pact: PactCli) -> LiveBroker:
    """1.0.0 on main passed (provider 1.0.0, in production); 1.1.0 on a branch failed (2.0.0)."""
    content = sample_pact()
    publish(broker, content, "1.0.0", "main")
    verify(broker, "1.0.0", "1.0.0", success=True)
    publish(broker, changed(content, "renamed"), "1.1.0", "feature/rename")
    verify(broker, "1.1.0", "2.0.0", success=False)
    pact.ok("create-environment", "--name", "production", "--display-name", "Production",
            "--production")  # fmt: skip
    for pacticipant in (CONSUMER, PROVIDER):
        pact.ok("record-deployment", "--pacticipant", pacticipant, "--version", "1.0.0",
                "--environment", "production")  # fmt: skip
    pact.ok("create-or-update-pacticipant", "--name", CONSUMER, "--main-branch", "main")
    return broker


def test_the_matrix_page_after_a_passing_and_a_failing_verification_names_the_failing_field(
    verified: LiveBroker, page: Any
) -> None:
    response = page.goto(verified.url + MATRIX)

    assert response.status == 200
    rows = page.locator("#matrix tbody tr")
    assert rows.count() == 2
    failed, passed = rows.nth(0), rows.nth(1)
    assert failed.locator("td.consumer-version").inner_text().startswith("1.1.0")
    assert failed.locator("td.result a.bad").inner_text() == "failed"
    assert failed.locator("ul.failures li").all_inner_texts() == [
        f'{PROVIDER} 2.0.0 fails {CONSUMER}\'s "a request for user 123": body $ — {MISMATCH}'
    ]
    assert passed.locator("td.result a.ok").inner_text() == "passed"
    assert "Production" in passed.locator("td.consumer-version").inner_text()
    assert "Production" in passed.locator("td.provider-version").inner_text()
    # The result links to the verification, which the API serves.
    verification = httpx.get(failed.locator("td.result a.bad").get_attribute("href"))
    assert verification.json()["success"] is False


def test_the_matrix_page_filters_by_a_link_to_the_consumers_branch(
    verified: LiveBroker, page: Any
) -> None:
    page.goto(verified.url + MATRIX)
    page.locator("#filters a", has_text="feature/rename").first.click()

    assert page.url.endswith(MATRIX + "?consumer_branch=feature%2Frename")
    rows = page.locator("#matrix tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td.result").inner_text().startswith("failed")
    shown = page.locator("a", has_text="Show every version").get_attribute("href")
    assert shown == verified.url + MATRIX


def test_the_matrix_page_says_what_is_wrong_with_a_bad_query(
    verified: LiveBroker, page: Any
) -> None:
    response = page.goto(verified.url + MATRIX + "?provider_environment=<b>moon</b>")

    assert response.status == 400
    assert page.locator("#problems li").all_inner_texts() == [
        "provider_environment: no environment is named '<b>moon</b>' (environments: production)"
    ]


def test_the_pacticipant_page_shows_its_badges_with_their_markdown(
    verified: LiveBroker, page: Any
) -> None:
    page.goto(verified.url + f"/pacticipants/{CONSUMER}")

    assert "main" in page.locator("#about").inner_text()
    assert page.locator("#branches tbody tr").count() == 2
    assert page.locator("#running").inner_text().count("Production") == 1
    badges = page.locator("main img")
    assert badges.count() == 2  # the pact badge and the can-i-deploy badge
    for i in range(badges.count()):
        assert badges.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    markdown = page.locator("pre.markdown").all_inner_texts()
    assert markdown == [
        f"[![{CONSUMER}/{PROVIDER} pact status]({verified.url}/pacts/provider/{PROVIDER}"
        f"/consumer/{CONSUMER}/latest/badge)]({verified.url}{MATRIX})",
        f"[![can {CONSUMER} deploy to production]({verified.url}/pacticipants/{CONSUMER}"
        "/branches/main/latest-version/can-i-deploy/to-environment/production/badge)]"
        f"({verified.url}/pacticipants/{CONSUMER})",
    ]
    matrix = page.locator("#integrations a", has_text="matrix").get_attribute("href")
    assert matrix == verified.url + MATRIX


def test_the_pacticipant_page_of_a_provider_links_to_its_consumers(
    verified: LiveBroker, page: Any
) -> None:
    page.goto(verified.url + f"/pacticipants/{PROVIDER}")

    assert page.locator("#integrations td").first.inner_text() == f"provider for {CONSUMER}"
    assert "not set" in page.locator("#about").inner_text()  # no main branch: no badge
    assert page.locator("#can-i-deploy-badges").count() == 0
    consumer = page.locator("#integrations a.other").get_attribute("href")
    assert consumer == verified.url + f"/pacticipants/{CONSUMER}"
    assert page.request.get(consumer, headers={"Accept": "text/html"}).ok


def test_an_unknown_pacticipant_is_a_404_page(verified: LiveBroker, page: Any) -> None:
    response = page.goto(verified.url + "/pacticipants/nobody")

    assert response.status == 404
    assert page.locator("#problems").inner_text() == "No pacticipant with name 'nobody' found"


def test_hal_clients_still_get_the_pacticipants_json(verified: LiveBroker) -> None:
    response = httpx.get(
        verified.url + f"/pacticipants/{CONSUMER}",
        headers={"Accept": "application/hal+json, application/json"},
    )
    assert response.headers["content-type"].startswith("application/hal+json")
    assert response.json()["mainBranch"] == "main"
