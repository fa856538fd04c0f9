"""Concurrent requests released together, and audits of what the broker then holds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import quote

from . import http_client as http
from .pacts import publish_body

__all__ = [
    "WAVE",
    "as_published",
    "publish",
    "released_together",
    "stored_pact",
    "verification_url",
]

WAVE = 16
"""Requests per wave: as many CI jobs as a busy team runs at once."""

T = TypeVar("T")


def released_together(count: int, request: Callable[[int], T]) -> list[T]:
    """``request(i)`` for i in range(count), each in its own thread, all released by a barrier."""
    barrier = threading.Barrier(count)

    def run(index: int) -> T:
        barrier.wait(timeout=30)
        return request(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def publish(base_url: str, pact: dict[str, Any], version: str, **options: Any) -> http.Response:
    """``POST /contracts/publish`` of ``pact`` as ``version``."""
    return http.post(f"{base_url}/contracts/publish", json=publish_body(pact, version, **options))


def _segment(name: str) -> str:
    return quote(name, safe="")


def stored_pact(base_url: str, consumer: str, provider: str, version: str) -> http.Response:
    return http.get(
        f"{base_url}/pacts/provider/{_segment(provider)}/consumer/{_segment(consumer)}"
        f"/version/{_segment(version)}"
    )


def as_published(stored: dict[str, Any]) -> dict[str, Any]:
    """A pact as the broker returns it, less what the broker adds (links, date, interaction ids)."""
    pact = {k: v for k, v in stored.items() if k not in {"_links", "createdAt"}}
    key = "interactions" if "interactions" in pact else "messages"
    pact[key] = [{k: v for k, v in i.items() if k != "_id"} for i in pact.get(key, [])]
    return pact


def verification_url(base_url: str, consumer: str, provider: str, version: str) -> str:
    """Where results for the pact of ``consumer`` ``version`` are published."""
    response = stored_pact(base_url, consumer, provider, version)
    assert response.status_code == 200, response.text
    href: str = response.json()["_links"]["pb:publish-verification-results"]["href"]
    return href
