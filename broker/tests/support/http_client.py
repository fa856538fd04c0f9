"""HTTP calls from tests to a live broker: one shared client, a new connection per request.

A kept-alive connection to the test server answers each further request only after the
client's delayed ACK (~40 ms): its listening socket is made without ``IPPROTO_TCP``, so
asyncio does not set ``TCP_NODELAY`` on accepted connections. Closing after each request
keeps every call at a few milliseconds; sharing one client avoids building a TLS context
per call (what module-level ``httpx.get`` does).
"""

from __future__ import annotations

from typing import Any

import httpx2 as httpx

__all__ = ["Response", "delete", "get", "patch", "post", "put", "request"]

Response = httpx.Response

NO_KEEP_ALIVE = httpx.Limits(max_keepalive_connections=0)
TIMEOUT = httpx.Timeout(30.0)

_shared = httpx.Client(limits=NO_KEEP_ALIVE, timeout=TIMEOUT)


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    return _shared.request(method, url, **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    return _shared.get(url, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return _shared.post(url, **kwargs)


def put(url: str, **kwargs: Any) -> httpx.Response:
    return _shared.put(url, **kwargs)


def patch(url: str, **kwargs: Any) -> httpx.Response:
    return _shared.patch(url, **kwargs)


def delete(url: str, **kwargs: Any) -> httpx.Response:
    return _shared.delete(url, **kwargs)
