"""Sending one webhook request: render it, refuse unsafe targets, send it, log the exchange.

Requests go out with a timeout and without following redirects, to the address that was vetted
(no DNS rebinding); the log is redacted. ``webhook_worker`` decides when to send.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from contract_broker.models import utcnow
from contract_broker.services.webhook_requests import (
    header_name_problem,
    header_value_problem,
    method_problem,
    url_problem,
)
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

log = logging.getLogger("contract_broker.webhooks")


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
    """The webhook's request with ``${pactbroker.*}`` filled in (URL values escaped).

    Never raises: a definition stored before validation existed is rendered as it is, and
    ``send`` refuses what cannot be sent.
    """
    url = render(str(definition.get("url") or ""), variables, escape=lambda v: quote(v, safe=""))
    raw_headers = definition.get("headers")
    headers: dict[str, str] = {}
    if isinstance(raw_headers, dict):
        for name, value in raw_headers.items():
            headers[render(str(name), variables)] = render(str(value), variables)
    body_template = definition.get("body")
    body: bytes | None = None
    if body_template is not None:
        rendered = render(body_template, variables)
        text = rendered if isinstance(rendered, str) else json.dumps(rendered)
        body = text.encode("utf-8", "replace")
    username = definition.get("username")
    if username is not None:
        credentials = f"{username}:{definition.get('password') or ''}".encode("utf-8", "replace")
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    return RenderedRequest(str(definition.get("method") or "").upper(), url, headers, body)


def safe_url(url: str) -> str:
    """``url`` with any user and password in it hidden (even when it does not parse)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or "@" in parts.netloc:
        # Everything up to the last "@" of the authority is user information.
        scheme, separator, rest = url.partition("://")
        authority, slash, path = rest.partition("/")
        if separator and "@" in authority:
            host = authority.rpartition("@")[2]
            return f"{scheme}://{REDACTED}@{host}{slash}{path}"
    return url


def _request_log(request: RenderedRequest) -> list[str]:
    headers = {k: (REDACTED if SECRET_HEADER.search(k) else v) for k, v in request.headers.items()}
    lines = [f"{request.method} {safe_url(request.url)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if request.body is not None:
        lines += ["", request.body.decode("utf-8", "replace")[:MAX_LOGGED_BODY]]
    return lines


def _log_text(lines: list[str]) -> str:
    """The log as text any database stores: no NUL (PostgreSQL text cannot hold one), and
    valid Unicode (a lone surrogate cannot be encoded)."""
    text = "\n".join(lines).replace("\x00", "\\u0000")
    return text.encode("utf-8", "replace").decode("utf-8")


def _sendable(request: RenderedRequest) -> None:
    """``Refused`` unless HTTP can carry ``request`` as it is (RFC 9110)."""
    reason = url_problem(request.url)
    if reason is not None:
        raise Refused(f"the URL is not valid: {reason}")
    reason = method_problem(request.method)
    if reason is not None:
        raise Refused(f"'{request.method}' {reason}")
    for name, value in request.headers.items():
        reason = header_name_problem(name) or header_value_problem(value)
        if reason is not None:
            raise Refused(f"header '{name}' {reason}")


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
    """Send ``request`` once; success means a 2xx answer.

    Never raises: whatever stops the request (a refusal, a network error, or a definition that
    cannot be sent) is a failed delivery whose log says why.
    """
    lines = [f"[{utcnow().isoformat()}] Request"]
    try:
        lines += [*_request_log(request), ""]
        return _send(request, settings, resolver, lines)
    except Exception as exc:  # callers record the attempt; an exception would lose it
        log.exception("webhook request to %s failed unexpectedly", safe_url(request.url))
        lines.append(f"Error: {type(exc).__name__}: {exc}")
        return Delivery(False, None, _log_text(lines))


def _cut(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    """End an attempt that ran out of time: its blocked read returns with an error."""
    expired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _send(
    request: RenderedRequest,
    settings: Settings,
    resolver: Callable[[str, int], list[str]] | None,
    lines: list[str],
) -> Delivery:
    try:
        _sendable(request)
        parts = urlsplit(request.url)
        if parts.scheme.lower() not in {s.lower() for s in settings.webhook_scheme_whitelist}:
            raise Refused(f"scheme '{parts.scheme}' is not allowed")
        if request.method not in {m.upper() for m in settings.webhook_http_method_whitelist}:
            raise Refused(f"HTTP method '{request.method}' is not allowed")
        hosts = settings.webhook_host_whitelist
        if hosts and not host_allow_listed(parts.hostname or "", hosts):
            raise Refused(f"host '{parts.hostname}' is not in the webhook host allow-list")
        kwargs = {"resolver": resolver} if resolver else {}
        try:
            address = resolve_target(request.url, hosts=hosts, **kwargs)
        except UnicodeError as exc:  # the name cannot be encoded for DNS (IDNA)
            raise Refused(f"cannot resolve host '{parts.hostname}': {exc}") from exc
    except Refused as exc:
        lines.append(f"Not sent: {exc}")
        return Delivery(False, None, _log_text(lines))
    connection_type = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_type(
        parts.hostname or "", parts.port, address, settings.webhook_timeout_seconds
    )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    # Values may hold any Unicode (rendered names): UTF-8 on the wire, not http.client's latin-1.
    headers = {name: value.encode("utf-8") for name, value in request.headers.items()}
    # The socket timeout bounds each read, not the attempt: a target answering a byte at a
    # time would keep it going. At the limit the connection is cut.
    limit = settings.webhook_timeout_seconds
    expired = threading.Event()
    deadline = threading.Timer(limit, _cut, args=(connection, expired))
    deadline.daemon = True
    deadline.start()
    try:
        connection.request(request.method, path, body=request.body, headers=headers)
        response = connection.getresponse()
        body = response.read(MAX_LOGGED_BODY + 1)
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            lines.append(f"Error: no complete answer within {limit:g} s; the attempt was cut")
        else:
            lines.append(f"Error: {type(exc).__name__}: {exc}")
        return Delivery(False, None, _log_text(lines))
    finally:
        deadline.cancel()
        connection.close()
    lines.append(f"Response: {response.status} {response.reason}")
    if settings.webhook_host_whitelist:
        # Like the Pact Broker: response details only for explicitly allowed hosts.
        lines += [f"{k}: {v}" for k, v in response.getheaders()]
        lines += ["", body[:MAX_LOGGED_BODY].decode("utf-8", "replace")]
    success = 200 <= response.status < 300
    return Delivery(success, response.status, _log_text(lines))
