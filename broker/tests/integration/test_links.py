"""Every link the broker hands out leads somewhere: crawl the HAL documents from the index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tests.support.cli import PactCli
from tests.support.server import LiveBroker

# Relations that are for POST (or other writes) only: a GET answers 405, which is fine.
WRITE_ONLY = {
    "pb:publish-contracts",
    "pb:publish-verification-results",
    "pb:execute",
    "pb:create",
    "pb:record-deployment",
    "pb:record-release",
}
HAL = {"Accept": "application/hal+json, application/json"}


def links_of(document: Any) -> Iterator[tuple[str, str]]:
    """(relation, href) of every non-templated link, in embedded documents too."""
    if isinstance(document, dict):
        for relation, value in (document.get("_links") or {}).items():
            for item in value if isinstance(value, list) else [value]:
                if (
                    isinstance(item, dict)
                    and "href" in item
                    and not item.get("templated")
                    and "{" not in item["href"]
                ):
                    yield relation, item["href"]
        for key, value in document.items():
            if key != "_links":
                yield from links_of(value)
    elif isinstance(document, list):
        for item in document:
            yield from links_of(item)


def publish(pact: PactCli, file: Path, version: str, *tag: str) -> None:
    pact.ok(
        "publish",
        str(file),
        "--consumer-app-version",
        version,
        "--branch",
        "main",
        *(("--tag", tag[0]) if tag else ()),
    )


def test_no_link_is_dead(
    broker: LiveBroker, pact: PactCli, pact_file: Path, tmp_path: Path
) -> None:
    changed = json.loads(pact_file.read_text())
    changed["interactions"][0]["description"] = "a changed interaction"
    changed_file = tmp_path / pact_file.name
    changed_file.write_text(json.dumps(changed))
    publish(pact, pact_file, "1.0.0", "dev")
    publish(pact, changed_file, "1.1.0", "dev")
    publish(pact, changed_file, "1.2.0")  # untagged: latest-untagged has a target
    for version in ("1.0.0", "1.2.0"):  # every content verified: latest results exist
        document = httpx.get(
            f"{broker.url}/pacts/provider/user-service/consumer/billing-service/version/{version}",
            headers=HAL,
        ).json()
        results = document["_links"]["pb:publish-verification-results"]["href"]
        verified = httpx.post(results, json={"success": True, "providerApplicationVersion": "p1"})
        assert verified.status_code == 201
    pact.ok("create-environment", "--name", "production", "--production")
    pact.ok(
        "record-deployment",
        "--pacticipant",
        "billing-service",
        "--version",
        "1.1.0",
        "--environment",
        "production",
    )
    pact.ok(
        "record-release",
        "--pacticipant",
        "billing-service",
        "--version",
        "1.0.0",
        "--environment",
        "production",
    )
    labelled = httpx.put(f"{broker.url}/pacticipants/billing-service/labels/team%20billing")
    assert labelled.status_code == 201  # the label's links are crawled from the pacticipant

    seen: set[str] = set()
    queue = [f"{broker.url}/"]
    dead: list[str] = []
    while queue and len(seen) < 400:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = httpx.get(url, headers=HAL)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if response.status_code >= 400:
            dead.append(f"{url}: {response.status_code}")
            continue
        if not response.headers["content-type"].startswith(
            ("application/hal+json", "application/json")
        ):
            continue
        for relation, href in links_of(response.json()):
            if relation in WRITE_ONLY or relation == "curies":
                assert httpx.get(href, headers=HAL).status_code in {200, 405}, href
            elif href.startswith(broker.url) and href not in seen:
                queue.append(href)

    assert dead == [], "\n".join(dead)
    assert len(seen) > 40  # the crawl did reach the documents
    assert f"{broker.url}/pacticipants/billing-service/labels/team%20billing" in seen
