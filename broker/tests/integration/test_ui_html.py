"""The pages as HTML over HTTP (``Accept: text/html``), for what a browser test need not drive."""

from __future__ import annotations

from typing import Any

from tests.support import http_client as http
from tests.support.server import LiveBroker

HTML = {"Accept": "text/html"}


def webhook(uuid: str, **sides: Any) -> dict[str, Any]:
    return {
        "description": uuid,
        "events": [{"name": "contract_published"}],
        "request": {"method": "POST", "url": "https://ci.example/hooks"},
        **sides,
    }


def applies_to(html: str) -> list[str]:
    """The "Applies to" cell of each webhook on the page, in order."""
    marker = "<tr><th>Applies to</th><td>"
    return [part.split("</td>", 1)[0] for part in html.split(marker)[1:]]


def test_the_webhooks_page_says_which_label_a_webhook_selects_by(broker: LiveBroker) -> None:
    made = http.post(f"{broker.url}/pacticipants", json={"name": "user-service"})
    assert made.status_code == 201, made.text
    for uuid, sides in [
        ("by-label-000000001", {"consumer": {"label": "team-a"}}),
        (
            "by-label-000000002",
            {"consumer": {"label": "<b>mobile</b>"}, "provider": {"name": "user-service"}},
        ),
        ("by-label-000000003", {"provider": {"label": "payments"}}),
        ("anyone-0000000000", {}),
    ]:
        created = http.put(f"{broker.url}/webhooks/{uuid}", json=webhook(uuid, **sides))
        assert created.status_code == 201, created.text

    response = http.get(f"{broker.url}/webhooks", headers=HTML)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert applies_to(response.text) == [
        "consumer label: team-a, any provider",
        "consumer label: &lt;b&gt;mobile&lt;/b&gt;, provider user-service",
        "any consumer, provider label: payments",
        "any consumer, any provider",
    ]
