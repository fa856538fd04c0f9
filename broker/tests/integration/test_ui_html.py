"""The pages as HTML over HTTP (``Accept: text/html``), for what a browser test need not drive."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from contract_broker.ui import network
from contract_broker.ui.pagination import PAGE_SIZE
from tests.support import http_client as http
from tests.support.pacts import CONSUMER, PROVIDER, publish_body, renamed, sample_pact
from tests.support.server import LiveBroker

HTML = {"Accept": "text/html"}
HAL = {"Accept": "application/hal+json, application/json"}
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


@pytest.fixture(autouse=True)
def nothing_drawn_yet() -> Iterator[None]:
    network.forget()
    yield
    network.forget()


@pytest.fixture
def fake_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[float], Path]:
    """A `dot` first on PATH that notes each run in a file, sleeps, then runs the real one."""

    def install(sleep: float) -> Path:
        real = shutil.which("dot")
        runs = tmp_path / "dot-runs"
        runs.touch()
        script = tmp_path / "bin" / "dot"
        script.parent.mkdir(exist_ok=True)
        script.write_text(f'#!/bin/sh\necho run >> "{runs}"\nsleep {sleep}\nexec "{real}" "$@"\n')
        script.chmod(0o755)
        monkeypatch.setenv("PATH", f"{script.parent}:{os.environ['PATH']}")
        return runs

    return install


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


def publish(broker: LiveBroker, pact: dict[str, Any], version: str) -> None:
    response = http.post(f"{broker.url}/contracts/publish", json=publish_body(pact, version))
    assert response.status_code == 200, response.text


def pager(html: str) -> str:
    """The page's "page N of M · rows a to b of T" line ('' when everything fits on one page)."""
    found = re.search(r"<span>(page \d+ of \d+ · rows \d+ to \d+ of \d+)</span>", html)
    return found.group(1) if found else ""


def test_the_index_lists_integrations_fifty_at_a_time(broker: LiveBroker) -> None:
    for i in range(PAGE_SIZE + 5):
        publish(broker, renamed(sample_pact(), consumer=f"consumer-{i:03}"), "1.0.0")

    first = http.get(f"{broker.url}/", headers=HTML)
    second = http.get(f"{broker.url}/?page=2", headers=HTML)
    past_the_end = http.get(f"{broker.url}/?page=7", headers=HTML)

    assert first.status_code == second.status_code == past_the_end.status_code == 200
    assert pager(first.text) == "page 1 of 2 · rows 1 to 50 of 55"
    assert first.text.count('<td class="consumer">') == PAGE_SIZE
    assert '<a rel="next" href="?page=2">' in first.text
    assert pager(second.text) == "page 2 of 2 · rows 51 to 55 of 55"
    assert second.text.count('<td class="consumer">') == 5
    assert '<a rel="prev" href="?page=1">' in second.text
    assert past_the_end.text == second.text
    # The picture draws every integration, whatever the table's page.
    assert second.text.count('<g class="edge ') == PAGE_SIZE + 5


def problems(html: str) -> list[str]:
    """The messages of a problem page, unescaped."""
    listed = html.split('<ul id="problems">', 1)[1].split("</ul>", 1)[0]
    return [unescape(m) for m in re.findall(r"<li>(.*?)</li>", listed, re.S)]


def test_what_does_not_exist_is_a_404_page_for_a_browser_and_json_for_a_client(
    broker: LiveBroker,
) -> None:
    """An unknown pact, version or provider contract: a browser gets the 404 page (the name as
    text), a HAL client the API's JSON 404 as before."""
    publish(broker, sample_pact(), "1.0.0")
    hostile = quote("<b>x</b>", safe="")
    for path in (
        f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/9.9.9",
        f"/pacts/provider/{PROVIDER}/consumer/{hostile}/latest",
        f"/pacticipants/{CONSUMER}/versions/{hostile}",
        f"/provider-contracts/provider/{PROVIDER}/version/9.9.9",
    ):
        page = http.get(f"{broker.url}{path}", headers=HTML)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html"), path
        assert "<h1>Not found</h1>" in page.text, path
        assert "<b>x</b>" not in page.text, path
        api = http.get(f"{broker.url}{path}", headers=HAL)
        assert api.status_code == 404, path
        assert "json" in api.headers["content-type"], path


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5", "1e3", "%00", "9" * 5000 + "x"])
def test_a_bad_page_number_is_a_400_page_naming_the_parameter(broker: LiveBroker, bad: str) -> None:
    publish(broker, sample_pact(), "1.0.0")
    pact_page = f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1.0.0"
    latest = f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/latest"
    version_page = f"/pacticipants/{CONSUMER}/versions/1.0.0"
    for path in ("/", pact_page, latest, version_page):
        response = http.get(f"{broker.url}{path}?page={bad}", headers=HTML)

        assert response.status_code == 400, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "<h1>This page cannot be shown for that query</h1>" in response.text, path
        [message] = problems(response.text)
        assert message.startswith("page: must be a page number from 1 (as in ?page=2), got "), path
        assert f'<p><a href="{broker.url}{path}">' in response.text, path
        # The API's resources at these URLs take no ?page: a HAL client gets its JSON.
        api = http.get(f"{broker.url}{path}?page={bad}", headers=HAL)
        assert api.status_code == 200, path
        assert "json" in api.headers["content-type"], path


def test_a_pact_of_a_hundred_interactions_shows_twenty_at_a_time(broker: LiveBroker) -> None:
    pact = sample_pact()
    template = pact["interactions"][0]
    pact["interactions"] = [
        {**template, "description": f"interaction number {i:03}"} for i in range(100)
    ]
    publish(broker, pact, "1.0.0")
    path = f"{broker.url}/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1.0.0"

    pages = [http.get(f"{path}?page={n}", headers=HTML).text for n in range(1, 6)]

    assert [pager(p) for p in pages] == [
        f"page {n} of 5 · rows {20 * n - 19} to {20 * n} of 100" for n in range(1, 6)
    ]
    assert all('<h2 id="interactions">Interactions (100)</h2>' in p for p in pages)
    shown = [re.findall(r"<h3>interaction number (\d+)</h3>", p) for p in pages]
    assert shown == [[f"{i:03}" for i in range(20 * n, 20 * n + 20)] for n in range(5)]


def test_a_provider_version_that_verified_500_consumer_versions(broker: LiveBroker) -> None:
    """Its page shows the matrix's newest 100 rows (the matrix query's limit), 50 at a time."""
    pact = sample_pact()
    for i in range(500):
        publish(broker, pact, f"1.0.{i}")
    verified = http.get(
        f"{broker.url}/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/version/1.0.0", headers=HAL
    ).json()["_links"]["pb:publish-verification-results"]["href"]
    body = {"success": True, "providerApplicationVersion": "p1"}
    assert http.post(verified, json=body).status_code == 201
    path = f"{broker.url}/pacticipants/{PROVIDER}/versions/p1"

    started = time.perf_counter()
    first = http.get(path, headers=HTML)
    took = time.perf_counter() - started
    last = http.get(f"{path}?page=2", headers=HTML)

    assert first.status_code == last.status_code == 200
    assert pager(first.text) == "page 1 of 2 · rows 1 to 50 of 100"
    assert pager(last.text) == "page 2 of 2 · rows 51 to 100 of 100"
    matrix = last.text.split('<h2 id="matrix">', 1)[1]
    assert matrix.count("<tr><td>") == 50
    assert "The newest 100 rows of this version's matrix" in matrix
    print(f"version page of p1 (500 consumer versions, 100 matrix rows): {took:.2f} s")


def test_without_graphviz_the_index_lists_the_network_as_text(
    broker: LiveBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(broker, renamed(sample_pact(), consumer="<b>web</b>"), "1.0.0")
    monkeypatch.setattr(network.shutil, "which", lambda _: None)

    response = http.get(f"{broker.url}/", headers=HTML)

    assert response.status_code == 200
    assert "<svg" not in response.text
    listed = response.text.split('<ul class="network-list">', 1)[1].split("</ul>", 1)[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", listed).split())
    assert text == f"&lt;b&gt;web&lt;/b&gt; → {PROVIDER} : not verified"


def test_the_picture_stops_at_max_applications_and_says_how_many_are_left_out(
    broker: LiveBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(4):
        publish(broker, renamed(sample_pact(), consumer=f"consumer-{i}"), "1.0.0")
    monkeypatch.setattr(network, "MAX_APPLICATIONS", 3)

    response = http.get(f"{broker.url}/", headers=HTML)

    assert response.status_code == 200
    assert response.text.count('<g class="node app">') == 3
    assert response.text.count('<g class="edge ') == 2
    assert (
        '<p class="note">2 more integrations not drawn (2 applications in none of those drawn): '
        "the picture shows at most 3 applications and 300 integrations. "
        "The table below lists every integration.</p>"
    ) in response.text
    assert response.text.count('<td class="consumer">') == 4


def test_the_picture_stops_at_max_links_and_says_how_many_are_left_out(
    broker: LiveBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(4):
        publish(broker, renamed(sample_pact(), consumer=f"consumer-{i}"), "1.0.0")
    monkeypatch.setattr(network, "MAX_LINKS", 3)

    response = http.get(f"{broker.url}/", headers=HTML)

    assert response.status_code == 200
    assert response.text.count('<g class="edge ') == 3
    assert (
        '<p class="note">1 more integration not drawn (1 application in none of those drawn): '
        "the picture shows at most 200 applications and 3 integrations. "
        "The table below lists every integration.</p>"
    ) in response.text


@needs_dot
def test_the_network_asked_for_under_other_hosts_is_drawn_once(
    broker: LiveBroker, fake_dot: Callable[[float], Path]
) -> None:
    publish(broker, sample_pact(), "1.0.0")
    runs = fake_dot(0)

    pages = [
        http.get(f"{broker.url}/", headers={**HTML, "Host": host}).text
        for host in ("a.test", "b.test:8080", "a.test", "127.0.0.1")
    ]

    assert runs.read_text().count("run") == 1
    assert all("<svg" in html for html in pages)
    assert f'href="http://b.test:8080/pacticipants/{CONSUMER}"' in pages[1]
    assert "a.test" not in pages[1]


@needs_dot
def test_a_slow_drawing_holds_no_database_turn_and_no_thread(
    make_broker: Callable[..., LiveBroker],
    fake_dot: Callable[[float], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Index loads while dot is slow: one dot run, and other requests still get their turn
    (this broker has 3) and a worker thread (anyio's pool has 40)."""
    broker = make_broker(database_max_connections=8)
    publish(broker, sample_pact(), "1.0.0")
    monkeypatch.setattr(network, "DOT_TIMEOUT_SECONDS", 10)
    runs = fake_dot(3)
    loads: list[http.Response] = []
    threads = [
        threading.Thread(target=lambda: loads.append(http.get(f"{broker.url}/", headers=HTML)))
        for _ in range(45)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.8)

    started = time.perf_counter()
    answer = http.get(
        f"{broker.url}/can-i-deploy?pacticipant={CONSUMER}&version=1.0.0&to=prod", headers=HAL
    )
    took = time.perf_counter() - started
    for thread in threads:
        thread.join(10)

    assert answer.status_code == 200, answer.text
    assert took < 1, f"can-i-deploy waited {took:.2f} s for the index loads"
    assert [r.status_code for r in loads] == [200] * 45
    assert all("<svg" in r.text for r in loads)
    assert runs.read_text().count("run") == 1


def hrefs(html: str, css_class: str) -> list[str]:
    """The href of each link of this class (or in a cell of this class) on the page."""
    found = re.findall(rf'<a class="{css_class}" href="([^"]+)"', html)
    found += re.findall(rf'<td class="{css_class}"><a href="([^"]+)"', html)
    return [unescape(h) for h in found]


def test_the_pages_link_names_to_their_pacticipant_pages_and_pairs_to_their_matrix(
    broker: LiveBroker,
) -> None:
    consumer = "web & <app>"
    publish(broker, renamed(sample_pact(), consumer=consumer), "1.0.0")
    index = http.get(f"{broker.url}/", headers=HTML).text
    pact_page = http.get(
        f"{broker.url}/pacts/provider/{PROVIDER}/consumer/{quote(consumer)}/latest", headers=HTML
    ).text
    version_page = http.get(
        f"{broker.url}/pacticipants/{quote(consumer)}/versions/1.0.0", headers=HTML
    ).text

    consumer_url = f"{broker.url}/pacticipants/{quote(consumer)}"
    provider_url = f"{broker.url}/pacticipants/{PROVIDER}"
    matrix_url = f"{broker.url}/matrix/provider/{PROVIDER}/consumer/{quote(consumer)}"
    for html in (index, pact_page):
        assert hrefs(html, "consumer") == [consumer_url]
        assert hrefs(html, "provider") == [provider_url]
        assert hrefs(html, "matrix") == [matrix_url]
    assert hrefs(version_page, "pacticipant") == [consumer_url]
    for url, name in ((consumer_url, consumer), (provider_url, PROVIDER), (matrix_url, consumer)):
        followed = http.get(url, headers=HTML)
        assert followed.status_code == 200, url
        assert followed.headers["content-type"].startswith("text/html"), url
        assert escape(name) in followed.text, url


@needs_dot
def test_a_name_graphviz_would_misread_keeps_the_picture(broker: LiveBroker) -> None:
    publish(broker, renamed(sample_pact(), consumer="x&#x1;"), "1.0.0")
    publish(broker, renamed(sample_pact(), consumer="&lt;script&gt;"), "1.0.0")
    publish(broker, renamed(sample_pact(), consumer="<b>web</b>"), "1.0.0")  # not HTML for dot

    response = http.get(f"{broker.url}/", headers=HTML)

    assert response.status_code == 200
    figure = response.text.split('<figure class="network">', 1)[1].split("</figure>", 1)[0]
    texts = [unescape(t) for t in re.findall(r"<text [^>]*>([^<]*)</text>", figure)]
    assert sorted(texts) == sorted(["x&#x1;", "&lt;script&gt;", "<b>web</b>", PROVIDER])
