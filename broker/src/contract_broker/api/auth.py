"""Authentication: basic auth (read-write and read-only pairs) and bearer tokens with a role.

Off unless a credential is configured. Reads (GET, HEAD, OPTIONS, and POST to
``/pacts/provider/{p}/for-verification``) accept either role; everything else needs read-write.
No credentials or wrong ones get 401 with ``WWW-Authenticate``; valid read-only credentials on a
write get 403 (RFC 9110: the client is known but not permitted, so asking again cannot help).
Comparisons are constant-time; credentials never reach logs or responses.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from enum import Enum
from typing import Any

from contract_broker.hal import HalResponse
from contract_broker.settings import Settings

__all__ = ["Authentication", "Role", "is_read_request", "role_for"]

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# POSTs that only read: pacts-for-verification, and checking a pact against provider contracts.
READ_POSTS = re.compile(
    r"^/pacts/provider/[^/]+/for-verification/?$|^/provider-contracts/provider/[^/]+/check/?$"
)
# Only the badge routes themselves (not a label, tag or pacticipant that happens to be "badge").
BADGE_PATHS = re.compile(
    r"^/pacts/provider/[^/]+/consumer/[^/]+/latest(/[^/]+)?/badge(\.svg)?/?$"
    r"|^/pacticipants/[^/]+/branches/[^/]+/latest-version/can-i-deploy/to-environment/[^/]+"
    r"/badge/?$"
    r"|^/pacticipants/[^/]+/latest-version/[^/]+/can-i-deploy/to/[^/]+/badge/?$"
)
HEALTH_CHECKS = frozenset({"/diagnostic/status/heartbeat", "/diagnostic/status/dependencies"})
"""Public with ``public_heartbeat``: a load balancer polls them without credentials."""
REALM = 'Basic realm="Restricted area"'
# Errors are HAL JSON like every other answer, as the Pact Broker sends them.
ERROR_TYPE = HalResponse.media_type.encode()


class Role(Enum):
    READ_ONLY = "read-only"
    READ_WRITE = "read-write"


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def role_for(authorization: str | None, settings: Settings) -> Role | None:
    """The role the ``Authorization`` header grants, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        # Check every token (no early exit) so timing does not tell which list matched.
        read_write = [_same(value, t.get_secret_value()) for t in settings.read_write_tokens]
        read_only = [_same(value, t.get_secret_value()) for t in settings.read_only_tokens]
        if any(read_write):
            return Role.READ_WRITE
        return Role.READ_ONLY if any(read_only) else None
    if scheme.lower() == "basic" and value:
        try:
            username, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        pairs = (
            (Role.READ_WRITE, settings.basic_auth_username, settings.basic_auth_password),
            (
                Role.READ_ONLY,
                settings.basic_auth_read_only_username,
                settings.basic_auth_read_only_password,
            ),
        )
        for role, expected_user, expected_password in pairs:
            if expected_user is None or expected_password is None:
                continue
            user_ok = _same(username, expected_user)
            password_ok = _same(password, expected_password.get_secret_value())
            if user_ok and password_ok:
                return role
    return None


def is_read_request(method: str, path: str) -> bool:
    """True for a request that only reads (it needs read credentials and a read transaction)."""
    return method in READ_METHODS or (method == "POST" and bool(READ_POSTS.match(path)))


class Authentication:
    """ASGI middleware enforcing the rules above."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.settings.auth_enabled:
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        read = is_read_request(method, path)
        if read and self._public(path):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        header = headers.get(b"authorization", b"").decode("latin-1") or None
        role = role_for(header, self.settings)
        if role is Role.READ_WRITE or (role is Role.READ_ONLY and read):
            await self.app(scope, receive, send)
            return
        if role is Role.READ_ONLY:
            message = (
                f"these credentials are read-only; this {method} request changes the broker and "
                "needs read-write credentials"
            )
            await _reply(send, 403, {"error": message})
            return
        if header is None:
            message = "authentication required: send basic auth or a bearer token"
        else:
            message = "the credentials given are not valid"
        await _reply(send, 401, {"error": message}, www_authenticate=True)

    def _public(self, path: str) -> bool:
        s = self.settings
        return (
            s.allow_public_read
            or (s.public_heartbeat and path in HEALTH_CHECKS)
            or (s.enable_public_badge_access and bool(BADGE_PATHS.match(path)))
        )


async def _reply(
    send: Any, status: int, body: dict[str, str], *, www_authenticate: bool = False
) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", ERROR_TYPE),
        (b"content-length", str(len(payload)).encode()),
    ]
    if www_authenticate:
        headers.append((b"www-authenticate", REALM.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
