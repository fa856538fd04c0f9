"""The integration matrix page and the pacticipant page as HTML over HTTP: rows, filters, pages,
failures, badges' Markdown, escaping, 400 and 404 pages, and HAL clients unaffected."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from markupsafe import escape

from contract_broker.services import integration_pages
from contract_broker.services.integration_pages import PAGE_SIZE
from tests.support import http_client as http
from tests.support.cli import PactCli
from tests.support.pacts import CONSUMER, PROVIDER, changed, publish_body, renamed, sample_pact
from tests.support.server import LiveBroker

HTML = {"Accept": "text/html"}
HAL = {"Accept": "application/hal+json, application/json"}
HOSTILE = "<script>\"&'x"
MATRIX = f"/matrix/provider/{PROVIDER}/consumer/{CONSUMER}"
FAILING = [
    {
        "interactionDescription": "a request for user 123",
        "success": False,
        "mismatches": [
            {
                "attribute": "body",
                "identifier": "$",
                "description": "Actual map is missing the following keys: name",
            }
        ],
    }
]


def publish(broker: LiveBroker, pact: dict[str, Any], version: str, branch: str) -> None:
    response = http.post(
        f"{broker.url}/contracts/publish", json=publish_body(pact, version, branch=branch)
    )
    assert response.status_code == 200, response.text


def verify(
    broker: LiveBroker,
    version: str,
    provider_version: str,
    *,
    success: bool,
    consumer: str = CONSUMER,
    test_results: Any = None,
) -> None:
    pact = http.get(
        f"{broker.url}/pacts/provider/{PROVIDER}/consumer/{quote(consumer, safe='')}"
        f"/version/{version}",
        headers=HAL,
    ).json()
    body: dict[str, Any] = {"success": success, "providerApplicationVersion": provider_version}
    if test_results is not None:
        body["testResults"] = test_results
    href = pact["_links"]["pb:publish-verification-results"]["href"]
    assert http.post(href, json=body).status_code == 201


def page(broker: LiveBroker, path: str) -> tuple[int, str]:
    response = http.get(broker.url + path, headers=HTML)
    assert response.headers["content-type"].startswith("text/html"), response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    return response.status_code, response.text


def table_rows(text: str, table: str) -> list[str]:
    """Each body row of the table with id ``table``, its tags removed and spaces squeezed."""
    body = text.split(f'<table id="{table}">', 1)[1].split("</table>", 1)[0]
    rows = body.split("<tbody>", 1)[1].split("<tr")[1:]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", "<tr" + r)).split()) for r in rows]


@pytest.fixture
def seeded(broker: LiveBroker, pact: PactCli) -> LiveBroker:
    """1.0.0 (main, in production) verified by p1; 2.0.0 (feature) failed by p2 on main."""
    content = sample_pact()
    publish(broker, content, "1.0.0", "main")
    verify(broker, "1.0.0", "p1", success=True)
    publish(broker, changed(content), "2.0.0", "feature/x")
    branch = f"{broker.url}/pacticipants/{PROVIDER}/branches/main/versions/p2"
    assert http.put(branch, json={}).status_code in (200, 201)
    verify(broker, "2.0.0", "p2", success=False, test_results=FAILING)
    pact.ok("create-environment", "--name", "production", "--production")
    pact.ok(
        "record-deployment",
        "--pacticipant",
        CONSUMER,
        "--version",
        "1.0.0",
        "--environment",
        "production",
    )
    return broker


def test_the_matrix_page_shows_each_pair_of_versions_with_what_failed(seeded: LiveBroker) -> None:
    status, text = page(seeded, MATRIX)

    assert status == 200
    assert table_rows(text, "matrix") == [
        "2.0.0 branch feature/x pact just now p2 branch main failed just now "
        'user-service p2 fails billing-service\'s "a request for user 123": '
        "body $ — Actual map is missing the following keys: name",
        "1.0.0 branch main Production pact just now p1 passed just now",
    ]
    verification = f"{seeded.url}/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/pact-version/"
    assert f'class="bad" href="{verification}' in text
    assert f'href="{seeded.url}/pacticipants/{PROVIDER}/versions/p2"' in text
    assert "2 rows." in text


def test_the_matrix_page_filters_by_each_sides_branch_and_environment(seeded: LiveBroker) -> None:
    publish(seeded, sample_pact(), "3.0.0", "main")

    _, by_branch = page(seeded, MATRIX + "?consumer_branch=main")
    _, by_environment = page(seeded, MATRIX + "?consumer_environment=production")
    _, by_provider = page(seeded, MATRIX + "?provider_branch=main")

    assert [r.split()[0] for r in table_rows(by_branch, "matrix")] == ["3.0.0", "1.0.0"]
    assert [r.split()[0] for r in table_rows(by_environment, "matrix")] == ["1.0.0"]
    # Only p2 is on the provider's main: the pacts it did not verify are pending for it.
    assert [(r.split()[0], r.split()[-1]) for r in table_rows(by_provider, "matrix")] == [
        ("3.0.0", "pending"),
        ("2.0.0", "name"),
        ("1.0.0", "pending"),
    ]
    assert "p2 branch main failed" in table_rows(by_provider, "matrix")[1]
    assert escape("no version of user-service matching the filter has verified") in by_provider
    status, unknown_branch = page(seeded, MATRIX + "?consumer_branch=nope")
    assert status == 200
    assert "No versions match these filters." in unknown_branch
    assert "Show every version" in by_branch


def test_the_matrix_page_is_paginated(broker: LiveBroker) -> None:
    for number in range(PAGE_SIZE + 3):
        publish(broker, sample_pact(), f"1.0.{number}", "main")

    _, first = page(broker, MATRIX)
    _, second = page(broker, MATRIX + "?page=2")

    assert len(table_rows(first, "matrix")) == PAGE_SIZE
    assert [r.split()[0] for r in table_rows(second, "matrix")] == ["1.0.2", "1.0.1", "1.0.0"]
    assert "page 2 of 2" in second
    assert f"{PAGE_SIZE + 3} rows." in second
    assert '<a rel="prev" href="?page=1">' in second
    assert '<a rel="next" href="?page=2">' in first
    _, past_the_end = page(broker, MATRIX + "?page=7")
    assert table_rows(past_the_end, "matrix") == table_rows(second, "matrix")


def test_a_busy_reverse_direction_leaves_every_row_of_the_pair(
    broker: LiveBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider also consumes the consumer, with more (and newer) pacts than the page reads:
    the rows read are this direction's only, so none of them is lost to the other one."""
    monkeypatch.setattr(integration_pages, "MAX_ROWS", 5)
    for number in range(3):
        publish(broker, sample_pact(), f"1.0.{number}", "main")
    verify(broker, "1.0.2", "p1", success=True)
    reverse = renamed(sample_pact(), consumer=PROVIDER, provider=CONSUMER)
    for number in range(8):
        publish(broker, reverse, f"9.0.{number}", "main")

    _, text = page(broker, MATRIX)
    _, by_branch = page(broker, MATRIX + "?consumer_branch=main&provider_branch=main")

    assert [r.split()[0] for r in table_rows(text, "matrix")] == ["1.0.2", "1.0.1", "1.0.0"]
    assert "3 rows." in text
    assert "Only the newest" not in text
    assert [r.split()[0] for r in table_rows(by_branch, "matrix")] == ["1.0.2", "1.0.1", "1.0.0"]
    _, reverse_page = page(broker, f"/matrix/provider/{CONSUMER}/consumer/{PROVIDER}")
    assert len(table_rows(reverse_page, "matrix")) == 5
    assert "5 rows." in reverse_page
    assert "Only the newest pacts and verifications of this integration are read" in reverse_page


def test_the_page_links_keep_the_filters(seeded: LiveBroker) -> None:
    for number in range(PAGE_SIZE + 1):
        publish(seeded, sample_pact(), f"3.0.{number}", "main")

    _, text = page(seeded, MATRIX + "?consumer_branch=main&page=1")

    assert '<a rel="next" href="?consumer_branch=main&amp;page=2">' in text
    assert (
        f'<a href="{seeded.url}{MATRIX}?consumer_branch=main&amp;consumer_environment=production">'
        in text
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=0", "page: must be a page number from 1 (as in ?page=2), got '0'"),
        ("page=abc", "page: must be a page number from 1 (as in ?page=2), got 'abc'"),
        ("page=-1", "page: must be a page number from 1"),
        ("page=1&page=1", "page: given more than once; give it once"),
        (
            "consumer_environment=nowhere",
            "consumer_environment: no environment is named 'nowhere' (environments: production)",
        ),
        ("provider_branch=a%00b", "provider_branch: must not contain control characters"),
        ("consumer_branch=" + "b" * 300, "consumer_branch: is longer than 255 characters"),
        ("%3Cb%3Ebold=1", "<b>bold: unknown query parameter; this page takes"),
    ],
)
def test_a_bad_query_gets_a_400_page_saying_what_is_wrong(
    seeded: LiveBroker, query: str, message: str
) -> None:
    status, text = page(seeded, f"{MATRIX}?{query}")

    assert status == 400
    assert escape(message) in text
    assert "<b>" not in text


@pytest.mark.parametrize(
    "path",
    [
        f"/matrix/provider/{PROVIDER}/consumer/nobody",
        f"/matrix/provider/nobody/consumer/{CONSUMER}",
        "/pacticipants/nobody",
        "/pacticipants/%3Cb%3Enobody",
    ],
)
def test_an_unknown_pacticipant_gets_a_404_page(seeded: LiveBroker, path: str) -> None:
    status, text = page(seeded, path)

    assert status == 404
    assert escape("No pacticipant with name '") in text
    assert "<b>" not in text


def test_the_pacticipant_page_shows_branches_deployments_integrations_and_badges(
    seeded: LiveBroker, pact: PactCli
) -> None:
    pact.ok("create-or-update-pacticipant", "--name", CONSUMER, "--main-branch", "main")
    assert http.put(f"{seeded.url}/pacticipants/{CONSUMER}/labels/team-a").status_code == 201

    status, text = page(seeded, f"/pacticipants/{CONSUMER}")

    assert status == 200
    assert table_rows(text, "branches") == [
        "feature/x 2.0.0 just now —",
        "main (main) 1.0.0 just now Production",
    ]
    assert table_rows(text, "running") == ["Production 1.0.0 deployed just now"]
    assert '<span class="label">team-a</span>' in text
    matrix = f"{seeded.url}{MATRIX}"
    badge = f"{seeded.url}/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/latest/badge"
    assert table_rows(text, "integrations") == [
        f"consumer of {PROVIDER} matrix · latest pact "
        f"[![{CONSUMER}/{PROVIDER} pact status]({badge})]({matrix})"
    ]
    can_i_deploy = (
        f"{seeded.url}/pacticipants/{CONSUMER}/branches/main/latest-version/can-i-deploy/"
        "to-environment/production/badge"
    )
    assert table_rows(text, "can-i-deploy-badges") == [
        f"Production [![can {CONSUMER} deploy to production]({can_i_deploy})]"
        f"({seeded.url}/pacticipants/{CONSUMER})"
    ]
    # Both badges the Markdown names are served.
    for url in (badge, can_i_deploy):
        assert http.get(url).headers["content-type"].startswith("image/svg+xml")


def test_the_pacticipant_page_says_when_it_lists_only_the_first_integrations(
    broker: LiveBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(integration_pages, "INTEGRATIONS_SHOWN", 2)
    for provider in ("c-service", "a-service", "b-service"):
        publish(broker, renamed(sample_pact(), provider=provider), "1.0.0", "main")

    _, three = page(broker, f"/pacticipants/{CONSUMER}")
    _, one = page(broker, "/pacticipants/a-service")

    assert [r.split()[2] for r in table_rows(three, "integrations")] == ["a-service", "b-service"]
    assert (
        f"These are the first 2 of {CONSUMER}'s 3 integrations, by name: "
        f'<a href="{broker.url}/">the index</a> lists every integration.'
    ) in html.unescape(three)
    assert len(table_rows(one, "integrations")) == 1
    assert 'id="more-integrations"' not in one


def test_hostile_names_are_text_on_both_pages(broker: LiveBroker) -> None:
    publish(broker, renamed(sample_pact(), consumer=HOSTILE), "1.0.0", HOSTILE)
    verify(
        broker, "1.0.0", "p1", success=False, consumer=HOSTILE, test_results=[
            {"interactionDescription": HOSTILE, "success": False, "mismatches": [HOSTILE]}
        ],
    )  # fmt: skip
    name = quote(HOSTILE, safe="")

    for path in (
        f"/matrix/provider/{PROVIDER}/consumer/{name}",
        f"/pacticipants/{name}",
        f"/pacticipants/{PROVIDER}",
    ):
        status, text = page(broker, path)

        assert status == 200, path
        assert "<script" not in text, path
        assert escape(HOSTILE) in text, path
    _, matrix = page(broker, f"/matrix/provider/{PROVIDER}/consumer/{name}")
    assert escape(f'fails {HOSTILE}\'s "{HOSTILE}": {HOSTILE}') in matrix


def test_the_matrix_page_says_cross_contract_for_a_comparison(broker: LiveBroker) -> None:
    publish(broker, sample_pact(), "1.0.0", "main")
    documents = Path(__file__).parents[1] / "data" / "provider_contracts" / "documents"
    response = http.post(
        f"{broker.url}/provider-contracts/provider/{PROVIDER}/publish",
        json={
            "pacticipantVersionNumber": "p3",
            "contract": {
                "content": base64.b64encode(
                    (documents / "renamed-field.yaml").read_bytes()
                ).decode(),
                "contentType": "application/yaml",
                "specification": "oas",
                "selfVerificationResults": {"success": True, "verifier": "pytest"},
            },
        },
    )
    assert response.status_code == 200, response.text

    _, text = page(broker, MATRIX)

    [row] = table_rows(text, "matrix")
    assert "p3 failed (cross-contract)" in row
    assert "name is not in the response schema of GET /users/{id}" in row
    contract = f"{broker.url}/provider-contracts/provider/{PROVIDER}/version/p3"
    assert f'href="{contract}"' in text


def test_hal_clients_get_the_same_json_as_before(seeded: LiveBroker) -> None:
    pacticipant = http.get(f"{seeded.url}/pacticipants/{CONSUMER}", headers=HAL)
    plain = http.get(f"{seeded.url}/pacticipants/{CONSUMER}")
    matrix = http.get(seeded.url + MATRIX, headers=HAL)

    assert pacticipant.status_code == 200
    assert pacticipant.headers["content-type"].startswith("application/hal+json")
    assert pacticipant.json() == plain.json()
    assert pacticipant.json()["name"] == CONSUMER
    # The integration's matrix is a page only; the API's matrix is GET /matrix.
    assert matrix.status_code == 404
    assert matrix.headers["content-type"].startswith("application/hal+json")
