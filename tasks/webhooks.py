"""The webhook that starts the provider's verification pipeline, and a loopback receiver for it.

``ci/webhooks/contract-requiring-verification-published.json`` defines the webhook: on
``contract_requiring_verification_published`` the broker sends GitHub's ``repository_dispatch``
payload (``event_type``, ``client_payload.pact_url``, ``.sha``, ``.branch``). On GitHub it starts
``.github/workflows/contract-requiring-verification.yml``; in ``invoke ci`` a receiver on
loopback gets it and runs ``webhook-verify``.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from tasks.brokercli import RETRIES_HELP, broker_url, one_line_failure, pact_broker, retries_args
from tasks.tiers import REPO

__all__ = [
    "DEFINITION",
    "Dispatch",
    "DispatchReceiver",
    "register_webhook",
    "token_header",
    "webhook_args",
]

DEFINITION = REPO / "ci" / "webhooks" / "contract-requiring-verification-published.json"
EVENT_FLAGS = {
    "contract_requiring_verification_published": "--contract-requiring-verification-published"
}


def load_definition(path: Path = DEFINITION) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(path.read_text())
    return definition


def webhook_args(
    url: str, definition: dict[str, Any], *, token_header: str | None = None
) -> list[str]:
    """``pact broker create-or-update-webhook`` arguments for ``definition`` sent to ``url``."""
    args = [
        url,
        "--uuid",
        definition["uuid"],
        "--request",
        definition["method"],
        "--description",
        definition["description"],
        "--provider",
        definition["provider"],
        "--data",
        json.dumps(definition["body"]),
    ]
    headers = dict(definition["headers"])
    if token_header:
        headers["Authorization"] = token_header
    # --header takes all the headers after one flag (the CLI refuses a repeated --header).
    args += ["--header", *(f"{name}: {value}" for name, value in headers.items())]
    return args + [EVENT_FLAGS[event] for event in definition["events"]]


def token_header(token_variable: str) -> str | None:
    """``Bearer <token>`` from the variable ``--token-variable`` names; None without one."""
    if not token_variable:
        return None
    token = os.environ.get(token_variable, "")
    if not token:
        raise Exit(f"--token-variable {token_variable} is not set in the environment")
    return f"Bearer {token}"


@task(
    name="register-webhook",
    help={
        "url": "where the broker sends the dispatch, e.g. "
        "https://api.github.com/repos/OWNER/REPO/dispatches",
        "token_variable": "environment variable holding a token for the target (sent as "
        "'Authorization: Bearer ...'; e.g. GITHUB_TOKEN)",
        "retries": RETRIES_HELP,
    },
)
def register_webhook(
    c: Context, url: str = "", token_variable: str = "", retries: str = ""
) -> None:
    """Register (or update) the webhook that triggers user-service's verification pipeline."""
    base = broker_url("register-webhook")
    if not url.startswith(("https://", "http://")):
        raise Exit(
            "register-webhook needs --url: where the broker should send the dispatch "
            "(e.g. https://api.github.com/repos/OWNER/REPO/dispatches)"
        )
    header = token_header(token_variable)
    definition = load_definition()
    outcome = pact_broker(
        c,
        "create-or-update-webhook",
        *webhook_args(url, definition, token_header=header),
        *retries_args(retries),
    )
    if outcome.exited:
        raise Exit(one_line_failure("create-or-update-webhook", outcome.output, base_url=base))
    print(f"register-webhook: {definition['uuid']} → {url} on {', '.join(definition['events'])}")


@dataclass(frozen=True)
class Dispatch:
    """One ``repository_dispatch`` the receiver accepted."""

    event_type: str
    pact_url: str
    sha: str
    branch: str


class DispatchReceiver:
    """An HTTP server on 127.0.0.1 that accepts repository_dispatch payloads, in a thread."""

    def __init__(self) -> None:
        self.dispatches: queue.Queue[Dispatch] = queue.Queue()
        received = self.dispatches

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                    payload = body["client_payload"]
                    dispatch = Dispatch(
                        str(body["event_type"]),
                        str(payload["pact_url"]),
                        str(payload["sha"]),
                        str(payload["branch"]),
                    )
                except (ValueError, KeyError, TypeError):
                    self.send_response(422)
                    self.end_headers()
                    return
                received.put(dispatch)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/dispatches"
        # shutdown() waits for the loop to look up: every 0.05 s, not the default 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> DispatchReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next(self, timeout: float) -> Dispatch:
        """The next dispatch; ``Exit`` when none arrives in ``timeout`` seconds."""
        try:
            return self.dispatches.get(timeout=timeout)
        except queue.Empty:
            raise Exit(
                f"no webhook dispatch arrived within {timeout:g} s: check the webhook's "
                "delivery log at <broker>/webhooks"
            ) from None
