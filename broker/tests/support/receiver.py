"""A webhook receiver on loopback that records requests and can fail on purpose."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import http_client as http

__all__ = ["Receiver", "eventually", "register_webhook"]


def register_webhook(base_url: str, receiver: Receiver, body: dict[str, str]) -> None:
    """A webhook that POSTs ``body`` (with its ``${pactbroker...}`` placeholders) to ``receiver``
    on every ``contract_published`` event."""
    response = http.post(
        f"{base_url}/webhooks",
        json={
            "description": "record each publication",
            "events": [{"name": "contract_published"}],
            "request": {
                "method": "POST",
                "url": f"{receiver.url}/published",
                "headers": {"Content-Type": "application/json"},
                "body": body,
            },
        },
    )
    assert response.status_code == 201, response.text


def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait until ``check()`` is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Receiver:
    """Answers ``fail_first`` requests with 500, then 200; ``received`` holds what came in.

    ``delay`` seconds pass between receiving a request and answering it (a slow CI system).
    """

    def __init__(self, *, fail_first: int = 0, delay: float = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_first = fail_first
        self.delay = delay
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode()
                owner.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = 500 if len(owner.received) <= owner.fail_first else 200
                time.sleep(owner.delay)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 15) -> list[dict[str, Any]]:
        """The first ``count`` requests, waiting for them to arrive."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} webhook request(s), got {len(self.received)}"
                )
            time.sleep(0.05)
        return self.received[:count]

    def json(self, index: int) -> Any:
        return json.loads(self.received[index]["body"])
