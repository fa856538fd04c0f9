"""What a webhook's HTTP request may hold (RFC 9110): a URL that parses, with a host and a port
from 1 to 65535; a method and header names that are tokens; header values without CR, LF or NUL.

Checked when a definition is saved (template variables replaced by a sample value), and again
before each delivery with the real values, so nothing that cannot be sent reaches the wire.
Each check returns why the value is unusable (to follow the field's name), or None.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["header_name_problem", "header_value_problem", "method_problem", "url_problem"]

# RFC 9110 §5.6.2: token = 1*tchar.
HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
TCHAR_LIST = "letters, digits and !#$%&'*+-.^_`|~"
# RFC 9110 §5.5: "Field values containing CR, LF, or NUL characters are invalid and dangerous".
FORBIDDEN_IN_VALUE = re.compile(r"[\r\n\x00]")
# Whitespace and control characters cannot appear in a request line; percent-encode them.
NOT_IN_URL = re.compile(r"[\x00-\x20\x7f]")


def method_problem(method: str) -> str | None:
    if HTTP_TOKEN.fullmatch(method):
        return None
    return f"is not a valid HTTP method (a method is a token: {TCHAR_LIST})"


def header_name_problem(name: str) -> str | None:
    if HTTP_TOKEN.fullmatch(name):
        return None
    return (
        f"is not a valid header name (a header name is a token: {TCHAR_LIST}; no spaces or colons)"
    )


def header_value_problem(value: str) -> str | None:
    if FORBIDDEN_IN_VALUE.search(value) is None:
        return None
    return "has a value with a carriage return, a line feed or a NUL character, which HTTP forbids"


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be requested: it must be absolute, with a host and a valid port."""
    if NOT_IN_URL.search(url):
        return "it contains a space or a control character (percent-encode it)"
    if not url.isascii():
        return "it contains characters that are not ASCII (percent-encode them)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        if "port" in str(exc).lower():
            return "the port must be a number from 1 to 65535"
        return f"it does not parse ({exc})"
    if not parts.scheme or not parts.hostname:
        return "it needs a scheme and a host, like https://example.org/path"
    if port == 0:
        return "the port must be a number from 1 to 65535"
    return None
