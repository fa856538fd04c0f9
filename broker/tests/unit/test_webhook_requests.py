"""What a webhook request may hold (RFC 9110), table-driven: URLs, methods, header names, values."""

from __future__ import annotations

import pytest

from contract_broker.services.webhook_requests import (
    header_name_problem,
    header_value_problem,
    method_problem,
    url_problem,
)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://ci.example/hook", None),
        ("https://ci.example:8443/hook?a=b#c", None),
        ("http://127.0.0.1:1/", None),
        ("https://[::1]:65535/", None),
        ("https://user:pw@ci.example/", None),
        ("https://ci.example:/hook", None),  # an empty port is the default port
        ("https://ci.example/%20encoded%0A", None),
        ("https://[::1/x", "does not parse"),
        ("https://[placeholder]/", "does not parse"),
        ("https://ci.example:99999/", "port"),
        ("https://ci.example:65536/", "port"),
        ("https://ci.example:0/", "port"),
        ("https://ci.example:-1/", "port"),
        ("https://ci.example:+80/", "port"),
        ("https://ci.example:http/", "port"),
        ("https://ci.example:٣/", "not ASCII"),
        ("https://ci.example/a b", "space"),
        ("https://ci.example/\tx", "control"),
        ("https://ci.example/\r\nHost: evil", "control"),
        ("https://ci.example/\x7f", "control"),
        ("https://bücher.example/", "not ASCII"),
        ("", "scheme and a host"),
        ("ci.example/hook", "scheme and a host"),
        ("https:///hook", "scheme and a host"),
        ("https://:443/hook", "scheme and a host"),
        ("mailto:ops@example.com", "scheme and a host"),
    ],
)
def test_url(url: str, problem: str | None) -> None:
    found = url_problem(url)

    assert (found is None) if problem is None else (problem in str(found)), found


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("Content-Type", True),
        ("X-Api-Key", True),
        ("x_custom.header~1", True),
        ("!#$%&'*+-.^_`|~09azAZ", True),
        ("", False),
        ("X Foo", False),
        ("X-Foo:", False),
        ("X:Foo", False),
        ("X-Foo\r\n", False),
        ("X-Föö", False),
        ("X-(comment)", False),
        ('X-"quoted"', False),
        ("X-{braces}", False),
        ("X/Slash", False),
    ],
)
def test_header_name(name: str, valid: bool) -> None:
    assert (header_name_problem(name) is None) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("application/json", True),
        ("", True),
        ("  padded and spaced  ", True),
        ("tab\tinside", True),
        ("ünïcødé ✓", True),  # sent as UTF-8
        ("a\r\nX-Injected: 1", False),
        ("a\nb", False),
        ("a\rb", False),
        ("a\x00b", False),
    ],
)
def test_header_value(value: str, valid: bool) -> None:
    assert (header_value_problem(value) is None) is valid


@pytest.mark.parametrize(
    ("method", "valid"),
    [("POST", True), ("PUT", True), ("M-SEARCH", True), ("", False), ("PO ST", False),
     ("POST\r\n", False), ("PÖST", False)],
)  # fmt: skip
def test_method(method: str, valid: bool) -> None:
    assert (method_problem(method) is None) is valid
