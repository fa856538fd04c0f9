"""Send browsers to the HTML pages and everyone else to the HAL resources at the same URLs."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["UI_PREFIX", "BrowserPages", "prefers_html"]

UI_PREFIX = "/ui"

# Resource paths that have a page. The page is served from UI_PREFIX + path.
PAGES = re.compile(
    r"^/$"
    r"|^/pacts/provider/[^/]+/consumer/[^/]+/(version/[^/]+|latest)$"
    r"|^/pacticipants/[^/]+(/versions/[^/]+)?$"
    r"|^/matrix/provider/[^/]+/consumer/[^/]+$"
    r"|^/provider-contracts/provider/[^/]+/version/[^/]+$"
    r"|^/environments$"
    r"|^/webhooks$"
)


def prefers_html(accept: str) -> bool:
    """True when ``text/html`` comes before any JSON type in the Accept header."""
    accept = accept.lower()
    html = accept.find("text/html")
    if html < 0:
        return False
    json_at = [i for i in (accept.find("application/json"), accept.find("+json")) if i >= 0]
    return not json_at or html < min(json_at)


class BrowserPages:
    """ASGI middleware: GETs that prefer HTML on a path with a page go to that page."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in {"GET", "HEAD"}:
            headers = dict(scope.get("headers") or [])
            accept = headers.get(b"accept", b"").decode("latin-1")
            if prefers_html(accept) and PAGES.match(scope["path"]):
                path = UI_PREFIX + (scope["path"] if scope["path"] != "/" else "/")
                raw = scope.get("raw_path")
                scope = {
                    **scope,
                    "path": path,
                    "raw_path": UI_PREFIX.encode() + raw if raw else raw,
                }
        await self.app(scope, receive, send)
