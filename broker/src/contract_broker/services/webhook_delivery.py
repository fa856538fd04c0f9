"""Sending one webhook request: render it, refuse unsafe targets, send it, log the exchange.

Requests go out with a timeout and without following redirects, to the address that was vetted
(no DNS rebinding); the log is redacted. ``webhook_worker`` decides when to send.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from contract_broker.models import utcnow
from contract_broker.services.webhook_security import Refused, host_allow_listed, resolve_target
from contract_broker.services.webhooks import REDACTED, SECRET_HEADER, render
from contract_broker.settings import Settings

__all__ = [
    "Delivery",
    "RenderedRequest",
    "build_request",
    "safe_url",
    "send",
]

MAX_LOGGED_BODY = 2000


@dataclass(frozen=True)
class RenderedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


@dataclass(frozen=True)
class Delivery:
    """The outcome of one attempt."""

    success: bool
    status: int | None
    logs: str


def build_request(definition: dict[str, Any], variables: dict[str, str]) -> RenderedRequest:
    """The webhook's request with ``${pactbroker.*}`` filled in (URL values escaped)."""
    url = render(definition["url"], variables, escape=lambda v: quote(v, safe=""))
    headers = {
        str(k): str(v) for k, v in render(definition.get("headers") or {}, variables).items()
    }
    body_template = definition.get("body")
    body: bytes | None = None
    if body_template is not None:
        rendered = render(body_template, variables)
        body = (rendered if isinstance(rendered, str) else json.dumps(rendered)).encode()
    username = definition.get("username")
    if username is not None:
        credentials = f"{username}:{definition.get('password') or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    return RenderedRequest(str(definition["method"]).upper(), url, headers, body)


def safe_url(url: str) -> str:
    """``url`` with any user and password in it hidden."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=f"{REDACTED}@{netloc}").geturl()


def _request_log(request: RenderedRequest) -> list[str]:
    headers = {k: (REDACTED if SECRET_HEADER.search(k) else v) for k, v in request.headers.items()}
    lines = [f"{request.method} {safe_url(request.url)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if request.body is not None:
        lines += ["", request.body.decode("utf-8", "replace")[:MAX_LOGGED_BODY]]
    return lines


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the vetted address, not to whatever the name resolves to next."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def send(
    request: RenderedRequest,
    settings: Settings,
    *,
    resolver: Callable[[str, int], list[str]] | None = None,
) -> Delivery:
    """Send ``request`` once; success means a 2xx answer. Never raises."""
    timestamp = utcnow().isoformat()
    lines = [f"[{timestamp}] Request", *_request_log(request), ""]
    parts = urlsplit(request.url)
    try:
        if parts.scheme.lower() not in {s.lower() for s in settings.webhook_scheme_whitelist}:
            raise Refused(f"scheme '{parts.scheme}' is not allowed")
        if request.method not in {m.upper() for m in settings.webhook_http_method_whitelist}:
            raise Refused(f"HTTP method '{request.method}' is not allowed")
        hosts = settings.webhook_host_whitelist
        if hosts and not host_allow_listed(parts.hostname or "", hosts):
            raise Refused(f"host '{parts.hostname}' is not in the webhook host allow-list")
        kwargs = {"resolver": resolver} if resolver else {}
        address = resolve_target(request.url, hosts=hosts, **kwargs)
    except Refused as exc:
        lines.append(f"Not sent: {exc}")
        return Delivery(False, None, "\n".join(lines))
    connection_type = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_type(
        parts.hostname or "", parts.port, address, settings.webhook_timeout_seconds
    )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request(request.method, path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        body = response.read(MAX_LOGGED_BODY + 1)
    except (OSError, http.client.HTTPException) as exc:
        lines.append(f"Error: {type(exc).__name__}: {exc}")
        return Delivery(False, None, "\n".join(lines))
    finally:
        connection.close()
    lines.append(f"Response: {response.status} {response.reason}")
    if settings.webhook_host_whitelist:
        # Like the Pact Broker: response details only for explicitly allowed hosts.
        lines += [f"{k}: {v}" for k, v in response.getheaders()]
        lines += ["", body[:MAX_LOGGED_BODY].decode("utf-8", "replace")]
    success = 200 <= response.status < 300
    return Delivery(success, response.status, "\n".join(lines))
