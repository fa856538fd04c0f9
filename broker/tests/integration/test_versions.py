"""Versions over HTTP: PUT replaces, PATCH merges, both create (201) when missing."""

from __future__ import annotations

import httpx2 as httpx

from tests.support.server import LiveBroker

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


def test_put_replaces_and_patch_merges(broker: LiveBroker) -> None:
    url = f"{broker.url}/pacticipants/billing-service/versions/1.0.0"

    created = httpx.put(url, json={"buildUrl": "https://ci/1", "branch": "main"})
    assert created.status_code == 201
    assert created.json()["buildUrl"] == "https://ci/1"

    patched = httpx.patch(url, headers=MERGE_PATCH, content=b'{"tags": [{"name": "prod"}]}')
    assert patched.status_code == 200
    assert patched.json()["buildUrl"] == "https://ci/1"
    assert [t["name"] for t in patched.json()["_embedded"]["tags"]] == ["prod"]

    replaced = httpx.put(url, json={})
    assert replaced.status_code == 200
    assert replaced.json()["buildUrl"] is None
    assert [b["name"] for b in replaced.json()["_embedded"]["branchVersions"]] == ["main"]

    new = httpx.patch(
        f"{broker.url}/pacticipants/billing-service/versions/2.0.0",
        headers=MERGE_PATCH,
        content=b"{}",
    )
    assert new.status_code == 201
