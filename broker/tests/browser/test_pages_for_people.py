"""Every page in Chromium as people read it: relative times with the exact one on hover, short
SHAs, clean environment titles, the network picture on the index, and on each page the escaping
and CSP of the original page tests. Screenshots: .artifacts/screenshots/<test name>.png."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import pytest

from tests.support import waves
from tests.support.cli import PactCli
from tests.support.pacts import sample_pact
from tests.support.server import LiveBroker

EVIL = "<script>alert(1)</script>\"&'"
SHA = "3c5b0f2a9e1d4c6b8a7f0e1d2c3b4a5968778695"
PROVIDER_SHA = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
# A timestamp as the API writes it: it belongs in datetime= and title=, never in the text.
RAW_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def publish(broker: LiveBroker, consumer: str, provider: str, version: str) -> None:
    content = {**sample_pact(), "consumer": {"name": consumer}, "provider": {"name": provider}}
    response = waves.publish(broker.url, content, version, branch="main")
    assert response.status_code == 200, response.text


def verify(
    broker: LiveBroker, consumer: str, provider: str, version: str, *, success: bool, by: str
) -> None:
    href = waves.verification_url(broker.url, consumer, provider, version)
    body = {"success": success, "providerApplicationVersion": by}
    assert httpx.post(href, json=body).status_code == 201


def segment(name: str) -> str:
    return quote(name, safe="")


@pytest.fixture
def everything(broker: LiveBroker, pact: PactCli, pact_file: Path) -> dict[str, str]:
    """Each page of the broker with something on it (and a hostile name), by a short key."""
    publish(broker, "billing-service", "user-service", SHA)
    verify(broker, "billing-service", "user-service", SHA, success=True, by=PROVIDER_SHA)
    publish(broker, EVIL, "user-service", "6.6.6")
    verify(broker, EVIL, "user-service", "6.6.6", success=False, by=PROVIDER_SHA)
    pact.ok("create-environment", "--name", "production", "--display-name", "Production",
            "--production")  # fmt: skip
    pact.ok("record-deployment", "--pacticipant", "billing-service", "--version", SHA,
            "--environment", "production")  # fmt: skip
    documents = Path(__file__).parents[1] / "data" / "provider_contracts" / "documents"
    document = (documents / "renamed-field.yaml").read_text()
    contract = httpx.post(
        f"{broker.url}/provider-contracts/provider/user-service/publish",
        json={
            "pacticipantVersionNumber": PROVIDER_SHA,
            "contract": {
                "content": base64.b64encode(document.encode()).decode(),
                "contentType": "application/yaml",
                "specification": "oas",
                "selfVerificationResults": {"success": True, "verifier": "pytest"},
            },
        },
    )
    assert contract.status_code == 200, contract.text
    webhook = httpx.post(
        f"{broker.url}/webhooks",
        json={
            "description": EVIL,
            "events": [{"name": "contract_published"}],
            "request": {"method": "POST", "url": "https://ci.example/hook"},
        },
    )
    assert webhook.status_code == 201, webhook.text
    publish(broker, "billing-service", "user-service", "7.0.0")  # triggers the webhook
    return {
        "index": "/",
        "pact": f"/pacts/provider/user-service/consumer/billing-service/version/{SHA}",
        "evil-pact": f"/pacts/provider/user-service/consumer/{segment(EVIL)}/latest",
        "version": f"/pacticipants/user-service/versions/{PROVIDER_SHA}",
        "provider-contract": f"/provider-contracts/provider/user-service/version/{PROVIDER_SHA}",
        "environments": "/environments",
        "webhooks": "/webhooks",
        "matrix": "/matrix/provider/user-service/consumer/billing-service",
        "evil-matrix": f"/matrix/provider/user-service/consumer/{segment(EVIL)}",
        "pacticipant": "/pacticipants/billing-service",
        "evil-pacticipant": f"/pacticipants/{segment(EVIL)}",
    }


PAGES = [
    "index",
    "pact",
    "evil-pact",
    "version",
    "provider-contract",
    "environments",
    "webhooks",
    "matrix",
    "evil-matrix",
    "pacticipant",
    "evil-pacticipant",
]


@pytest.mark.parametrize("key", PAGES)
def test_every_page_says_how_long_ago_with_the_time_on_hover_and_is_safe(
    broker: LiveBroker, everything: dict[str, str], page: Any, key: str
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    response = page.goto(broker.url + everything[key])

    assert response.status == 200
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    text = page.locator("main").inner_text()
    assert RAW_TIME.findall(text) == []
    times = page.locator("main time")
    assert times.count() >= 1
    for i in range(times.count()):
        moment = times.nth(i)
        assert re.fullmatch(r"just now|\d+ (minute|hour|day)s? ago", moment.inner_text())
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", moment.get_attribute("datetime"))
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", moment.get_attribute("title"))
    assert SHA not in text  # shown as its first 8, the whole one on hover
    assert PROVIDER_SHA not in text
    assert page.locator("script").count() == 0
    assert page.locator("[style]").count() == 0  # the CSP would refuse inline styles
    assert dialogs == []


def test_shas_are_short_and_whole_on_hover(
    broker: LiveBroker, everything: dict[str, str], page: Any
) -> None:
    page.goto(broker.url + everything["version"])

    heading = page.locator("h1 code.sha")
    assert heading.inner_text() == PROVIDER_SHA[:8]
    assert heading.get_attribute("title") == PROVIDER_SHA
    assert heading.get_attribute("data-full") == PROVIDER_SHA
    assert page.title() == f"user-service {PROVIDER_SHA[:8]} · contract-broker"


def test_environment_titles_say_each_name_once(
    broker: LiveBroker, everything: dict[str, str], page: Any, pact: PactCli
) -> None:
    pact.ok("create-environment", "--name", "staging-eu", "--display-name", "Staging EU")
    pact.ok("create-environment", "--name", "live", "--display-name", "Shop", "--production")
    page.goto(broker.url + everything["environments"])

    titles = page.locator("main h2").all_inner_texts()
    assert sorted(titles) == ["Production", "Shop (live) production", "Staging EU"]
    assert page.locator("main h2 .pill").all_inner_texts() == ["production"]


def test_the_network_picture_names_a_hostile_application_as_text(
    broker: LiveBroker, everything: dict[str, str], page: Any
) -> None:
    page.goto(broker.url + "/")

    picture = page.locator("#network svg")
    assert picture.count() == 1
    labels = picture.locator("text").all_text_contents()
    assert sorted(labels) == sorted([EVIL, "billing-service", "user-service"])
    failed = picture.locator("g.edge.failed")
    assert failed.count() == 1
    assert failed.locator("title").text_content() == f"{EVIL} → user-service: failed"
    # billing-service 7.0.0 has the content p1 verified: the latest verification passed.
    assert picture.locator("g.edge.passed").count() == 1
    assert picture.locator("g.edge.unverified").count() == 0


@pytest.mark.parametrize("count", [1, 20])
def test_the_network_picture_draws_each_integration(
    broker: LiveBroker, page: Any, count: int
) -> None:
    outcomes = [True, False, None]
    for i in range(count):
        consumer, provider = f"consumer-{i:02}", f"provider-{i % 4}"
        publish(broker, consumer, provider, "1.0.0")
        success = outcomes[i % 3]
        if success is not None:
            verify(broker, consumer, provider, "1.0.0", success=success, by="p1")
    page.goto(broker.url + "/")

    picture = page.locator("#network svg")
    assert picture.count() == 1
    box = picture.bounding_box()
    assert box["width"] > 100
    assert box["height"] > 30
    assert picture.locator("g.node").count() == count + min(count, 4)
    edges = picture.locator("g.edge")
    assert edges.count() == count
    expected = {"passed": (count + 2) // 3, "failed": (count + 1) // 3, "unverified": count // 3}
    for status, number in expected.items():
        assert picture.locator(f"g.edge.{status}").count() == number, status
    # Each application links to its page; each arrow to the latest pact.
    first = picture.locator("g.node a").first.get_attribute("href")
    assert first == f"{broker.url}/pacticipants/consumer-00"
    arrow = edges.first.locator("a").get_attribute("href")
    assert arrow == f"{broker.url}/pacts/provider/provider-0/consumer/consumer-00/latest"
    assert page.locator(".network figcaption").inner_text().startswith("passed failed not verified")
