"""The broker's pages in a real browser: content, escaping, CSP, and HAL clients unaffected."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.support.cli import PactCli
from tests.support.server import LiveBroker

EVIL = "<script>alert(1)</script>"


def publish(
    broker: LiveBroker,
    pact: dict[str, Any],
    consumer: str,
    provider: str,
    version: str,
    branch: str = "main",
) -> None:
    content = {**pact, "consumer": {"name": consumer}, "provider": {"name": provider}}
    response = httpx.post(
        f"{broker.url}/contracts/publish",
        json={
            "pacticipantName": consumer,
            "pacticipantVersionNumber": version,
            "branch": branch,
            "contracts": [
                {
                    "consumerName": consumer,
                    "providerName": provider,
                    "specification": "pact",
                    "contentType": "application/json",
                    "content": base64.b64encode(json.dumps(content).encode()).decode(),
                }
            ],
        },
    )
    assert response.status_code == 200, response.text


def verify(
    broker: LiveBroker,
    consumer: str,
    provider: str,
    version: str,
    *,
    success: bool,
    provider_version: str,
    test_results: Any = None,
) -> None:
    pact = httpx.get(
        f"{broker.url}/pacts/provider/{provider}/consumer/{consumer}/version/{version}"
    ).json()
    href = pact["_links"]["pb:publish-verification-results"]["href"]
    body: dict[str, Any] = {"success": success, "providerApplicationVersion": provider_version}
    if test_results is not None:
        body["testResults"] = test_results
    assert httpx.post(href, json=body).status_code == 201


@pytest.fixture
def seeded(broker: LiveBroker, pact: PactCli, pact_file: Path) -> LiveBroker:
    content = json.loads(pact_file.read_text())
    publish(broker, content, "billing-service", "user-service", "1.0.0")
    verify(broker, "billing-service", "user-service", "1.0.0", success=True, provider_version="p1")
    changed = json.loads(pact_file.read_text())
    changed["interactions"][0]["description"] = "a request for a deleted user"
    publish(broker, changed, "billing-service", "user-service", "1.1.0")
    publish(broker, content, EVIL, "user-service", "6.6.6")
    pact.ok("create-environment", "--name", "production", "--production")
    pact.ok(
        "record-deployment",
        "--pacticipant",
        "billing-service",
        "--version",
        "1.0.0",
        "--environment",
        "production",
    )
    return broker


def test_integrations_page_lists_pairs_with_status(seeded: LiveBroker, page: Any) -> None:
    response = page.goto(seeded.url + "/")

    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    rows = page.locator("#integrations tbody tr")
    assert rows.count() == 2
    text = page.locator("#integrations").inner_text()
    assert "billing-service" in text
    assert "version 1.1.0" in text
    badge = page.locator("img[alt^='pact status']").first
    assert badge.evaluate("img => img.complete && img.naturalWidth > 0")


def test_a_script_in_a_name_is_shown_as_text(seeded: LiveBroker, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(seeded.url + "/")

    assert page.locator("td.consumer", has_text=EVIL).count() == 1
    assert page.locator("#network svg text", has_text=EVIL).count() == 1  # drawn, as text
    assert dialogs == []
    assert page.locator("script").count() == 0


def test_pact_page_shows_interactions_states_and_diff(seeded: LiveBroker, page: Any) -> None:
    page.goto(seeded.url + "/")
    page.locator("a", has_text="version 1.1.0").first.click()

    assert page.url.endswith("/pacts/provider/user-service/consumer/billing-service/version/1.1.0")
    body = page.locator("main").inner_text()
    assert "a request for a deleted user" in body
    assert "Given user" in body
    assert "Compared with version 1.0.0" in body
    assert page.locator(".diff .add", has_text="a request for a deleted user").count() == 1
    assert page.locator(".diff .del").count() >= 1


def test_names_lead_to_pacticipant_pages_and_pairs_to_their_matrix(
    seeded: LiveBroker, page: Any
) -> None:
    page.goto(seeded.url + "/")
    row = page.locator("#integrations tbody tr", has_text="billing-service")
    row.locator("td.provider a").click()
    assert page.url == seeded.url + "/pacticipants/user-service"
    assert "user-service" in page.locator("h1").inner_text()

    page.go_back()
    row.locator("a.matrix").click()
    assert page.url == seeded.url + "/matrix/provider/user-service/consumer/billing-service"

    page.goto(seeded.url + "/pacts/provider/user-service/consumer/billing-service/latest")
    page.locator("h1 a.consumer").click()
    assert page.url == seeded.url + "/pacticipants/billing-service"
    page.go_back()
    page.locator("a.matrix").click()
    assert page.url == seeded.url + "/matrix/provider/user-service/consumer/billing-service"

    page.goto(seeded.url + "/pacticipants/billing-service/versions/1.0.0")
    page.locator("h1 a.pacticipant").click()
    assert page.url == seeded.url + "/pacticipants/billing-service"


def test_environments_page_shows_deployments(seeded: LiveBroker, page: Any) -> None:
    page.goto(seeded.url + "/environments")

    text = page.locator("main").inner_text()
    assert "Production" in text
    assert "billing-service" in text
    assert "1.0.0" in text


def test_hal_clients_still_get_json_at_the_same_urls(seeded: LiveBroker) -> None:
    for path in (
        "/",
        "/environments",
        "/webhooks",
        "/pacts/provider/user-service/consumer/billing-service/latest",
    ):
        response = httpx.get(
            seeded.url + path, headers={"Accept": "application/hal+json, application/json"}
        )
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("application/hal+json"), path


def test_version_page_answers_can_i_deploy_per_environment(
    seeded: LiveBroker, page: Any, pact: PactCli
) -> None:
    pact.ok("create-environment", "--name", "test")
    page.goto(seeded.url + "/pacticipants/billing-service/versions/1.0.0")

    answers = page.locator("#can-i-deploy").inner_text()
    assert "Production" in answers
    assert "Test" in answers
    # Nothing of user-service is deployed anywhere: the broker says no, and why.
    assert "no" in page.locator("#can-i-deploy tbody tr").first.inner_text()
    assert "There is no verified pact between" in answers
    assert "user-service" in page.locator("main").inner_text()


def test_version_page_names_what_a_failed_verification_saw_fail(
    seeded: LiveBroker, page: Any
) -> None:
    """The refusal names the failing interaction and its mismatch, as an item under the sentence
    (and markup in the verifier's text stays text)."""
    mismatch = {
        "attribute": "body",
        "identifier": "$",
        "description": "Actual map is missing the following keys: name <b>",
    }
    verify(
        seeded,
        "billing-service",
        "user-service",
        "1.0.0",
        success=False,
        provider_version="p2",
        test_results=[
            {"interactionDescription": "a request for user 123", "success": False,
             "mismatches": [mismatch]},
        ],
    )  # fmt: skip
    page.goto(seeded.url + "/pacticipants/user-service/versions/p2")

    items = page.locator("#can-i-deploy ul.failures li")
    assert items.count() >= 1
    assert items.first.inner_text() == (
        'user-service p2 fails billing-service\'s "a request for user 123": '
        "body $ — Actual map is missing the following keys: name <b>"
    )
    assert "The verification for the pact between" in page.locator("#can-i-deploy").inner_text()


def test_webhooks_page_lists_webhooks(seeded: LiveBroker, page: Any) -> None:
    created = httpx.post(
        seeded.url + "/webhooks",
        json={
            "description": "notify ci",
            "events": [{"name": "contract_published"}],
            "request": {
                "method": "POST",
                "url": "https://ci.example.com/hook?token=abc",
                "username": "bot",
                "password": "hunter2",
            },
        },
    )
    assert created.status_code == 201
    page.goto(seeded.url + "/webhooks")

    text = page.locator("main").inner_text()
    assert "notify ci" in text
    assert "contract_published" in text
    assert "hunter2" not in page.content()


def test_provider_contract_page_shows_each_comparison_and_what_fails(
    seeded: LiveBroker, page: Any
) -> None:
    documents = Path(__file__).parents[1] / "data" / "provider_contracts" / "documents"
    document = (documents / "renamed-field.yaml").read_text()
    document = document.replace(
        "title: user-service", 'title: "user-service <script>alert(1)</script>"'
    )
    response = httpx.post(
        seeded.url + "/provider-contracts/provider/user-service/publish",
        json={
            "pacticipantVersionNumber": "p3",
            "contract": {
                "content": base64.b64encode(document.encode()).decode(),
                "contentType": "application/yaml",
                "specification": "oas",
                "selfVerificationResults": {"success": True, "verifier": "pytest"},
            },
        },
    )
    assert response.status_code == 200, response.text
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(seeded.url + "/provider-contracts/provider/user-service/version/p3")

    rows = page.locator("#comparisons tbody tr")
    assert rows.count() >= 1
    text = page.locator("#comparisons").inner_text()
    assert "not compatible" in text
    assert "name is not in the response schema of GET /users/{id}" in text
    assert "passed" in page.locator("main table").first.inner_text()
    assert "<script>alert(1)</script>" in page.locator("main").inner_text()  # shown as text
    assert dialogs == []
