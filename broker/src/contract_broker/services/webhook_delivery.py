"""Delivering webhooks: render the request, refuse unsafe targets, send it, log and retry.

Deliveries are rows (``triggered_webhooks``); a background worker claims due ones, sends them
with a timeout and without following redirects, records each attempt's redacted log, and
schedules retries with the Pact Broker's back-off (10 s, 1 min, 2 min, 5 min, 10 min, 20 min).
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from contract_broker.db import Database
from contract_broker.models import TriggeredWebhook, Webhook, WebhookExecution, utcnow
from contract_broker.repositories import webhooks as repo
from contract_broker.services.webhook_security import Refused, host_allow_listed, resolve_target
from contract_broker.services.webhooks import REDACTED, SECRET_HEADER, render
from contract_broker.settings import Settings

__all__ = [
    "Delivery",
    "RenderedRequest",
    "WebhookWorker",
    "build_request",
    "safe_url",
    "send",
]

log = logging.getLogger("contract_broker.webhooks")

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


class WebhookWorker:
    """Delivers due webhooks in the background until stopped."""

    def __init__(
        self, database: Database, settings: Settings, *, poll_seconds: float | None = None
    ) -> None:
        self.database = database
        self.settings = settings
        self.poll_seconds = (
            poll_seconds if poll_seconds is not None else settings.webhook_poll_seconds
        )
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook")

    def start(self) -> None:
        with self.database.session() as session:
            resumed = repo.release_stale_claims(session)
        if resumed:
            log.info("resuming %d interrupted webhook deliveries", resumed)
        self._thread = threading.Thread(target=self._loop, name="webhook-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def wake(self) -> None:
        """Look for due deliveries now (called after a commit that queued some)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for triggered_id in self._claim_due():
                    self._pool.submit(self.deliver, triggered_id)
            except Exception:  # a broken poll must not stop deliveries for good
                log.exception("webhook worker poll failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _claim_due(self) -> list[int]:
        claimed = []
        with self.database.session() as session:
            for triggered_id in repo.due_ids(session, utcnow()):
                if repo.claim(session, triggered_id):
                    claimed.append(triggered_id)
        return claimed

    def deliver(self, triggered_id: int) -> None:
        """One attempt for a claimed delivery; records the log and the next step."""
        with self.database.session() as session:
            triggered = session.get(TriggeredWebhook, triggered_id)
            if triggered is None:
                return
            webhook = session.get(Webhook, triggered.webhook_id) if triggered.webhook_id else None
            if webhook is None:
                triggered.status = "failure"
                session.add(
                    WebhookExecution(
                        triggered_webhook_id=triggered.id,
                        success=False,
                        logs="The webhook was deleted before delivery.",
                    )
                )
                return
            definition = dict(webhook.request)
            variables = dict(triggered.context.get("variables") or {})
        try:
            outcome = send(build_request(definition, variables), self.settings)
        except Exception as exc:  # never leave a claimed delivery stuck
            log.exception("webhook delivery %s failed unexpectedly", triggered_id)
            outcome = Delivery(False, None, f"Error: {type(exc).__name__}: {exc}")
        self._record(triggered_id, outcome)

    def _record(self, triggered_id: int, outcome: Delivery) -> None:
        schedule = [float(s) for s in self.settings.webhook_retry_schedule]
        with self.database.session() as session:
            triggered = session.get(TriggeredWebhook, triggered_id)
            if triggered is None:
                return
            triggered.attempts += 1
            session.add(
                WebhookExecution(
                    triggered_webhook_id=triggered.id, success=outcome.success, logs=outcome.logs
                )
            )
            if outcome.success:
                triggered.status = "success"
                triggered.next_attempt_at = None
            elif triggered.attempts <= len(schedule):
                triggered.status = "retrying"
                triggered.next_attempt_at = utcnow() + timedelta(
                    seconds=schedule[triggered.attempts - 1]
                )
            else:
                triggered.status = "failure"
                triggered.next_attempt_at = None
        log.info(
            "webhook delivery %s: %s",
            triggered_id,
            "succeeded" if outcome.success else f"failed (status {outcome.status})",
        )
