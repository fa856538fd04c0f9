"""A tiny user-service stand-in on loopback, and pact-python's Verifier run against it.

The broker tier cannot import the real provider, so the Verifier tests serve just what the
test pact (``tests/data``) asks for: ``GET /users/123`` and a 404 for ``/users/999``. A
``broken`` provider answers 500 instead, so verifications fail. The state endpoint always
answers 200: a failing state call costs the verifier minutes of retries.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pact import Verifier

__all__ = ["STATE_PATH", "Outcome", "TinyProvider", "verify"]

STATE_PATH = "/_pact/state"
USER_123 = {"id": 123, "name": "Ada", "email": "ada@example.com"}


class TinyProvider:
    """Serves the two interactions of the test pact; ``broken=True`` answers 500 to both."""

    def __init__(self, *, broken: bool = False) -> None:
        self.broken = broken
        self.states: list[Any] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: Any = None) -> None:
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                if owner.broken:
                    self._reply(500, {"error": "broken on purpose"})
                elif self.path == "/users/123":
                    self._reply(200, USER_123)
                else:
                    self._reply(404, {"error": "no such user"})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                if self.path.startswith(STATE_PATH):
                    with contextlib.suppress(ValueError):
                        owner.states.append(json.loads(raw or b"null"))
                self._reply(200, {})

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> TinyProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True)
class Outcome:
    """What one Verifier run reported."""

    results: dict[str, Any]
    output: str

    @property
    def success(self) -> bool:
        return bool(self.results.get("result"))

    @property
    def interactions(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.results.get("interactionResults") or []
        return found

    def describe(self) -> str:
        """For assertion messages."""
        return json.dumps(self.results, indent=1)[:4000] + "\n" + self.output[-4000:]


@contextlib.contextmanager
def _provider(broken: bool) -> Iterator[TinyProvider]:
    with TinyProvider(broken=broken) as provider:
        yield provider


def verify(
    provider_name: str,
    configure: Callable[[Verifier], object],
    *,
    broken: bool = False,
) -> Outcome:
    """Run pact-python's Verifier against a tiny provider; ``configure`` adds the source."""
    with _provider(broken) as provider:
        verifier = Verifier(provider_name, host="127.0.0.1").add_transport(url=provider.url)
        verifier.set_coloured_output(enabled=False)
        verifier.state_handler(provider.url + STATE_PATH, body=True, teardown=False)
        configure(verifier)
        # verify() raises a RuntimeError that says nothing on failure; the results tell.
        with contextlib.suppress(RuntimeError):
            verifier.verify()
        return Outcome(verifier.results, verifier.output(strip_ansi=True))
