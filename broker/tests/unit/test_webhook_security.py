"""Allow-lists and the refusal of internal targets (table-driven)."""

from __future__ import annotations

import pytest

from contract_broker.services.webhook_security import (
    Refused,
    check_definition,
    host_allow_listed,
    resolve_target,
)


@pytest.mark.parametrize(
    ("host", "allow_list", "allowed"),
    [
        ("ci.example.com", ["ci.example.com"], True),
        ("CI.example.com", ["ci.example.com"], True),
        ("ci.example.com", ["*.example.com"], True),
        ("example.com", ["*.example.com"], False),
        ("evil-example.com", ["*.example.com"], False),
        ("10.1.2.3", ["10.0.0.0/8"], True),
        ("11.1.2.3", ["10.0.0.0/8"], False),
        ("127.0.0.1", ["127.0.0.1"], True),
        ("build.internal", ["/\\.internal$/"], True),
        ("build.internal.evil.com", ["/\\.internal$/"], False),
        ("anything", [], False),
        ("host", ["/[/"], False),  # a broken regex matches nothing, raises nothing
    ],
)
def test_host_allow_list(host: str, allow_list: list[str], allowed: bool) -> None:
    assert host_allow_listed(host, allow_list) is allowed


@pytest.mark.parametrize(
    ("method", "url", "hosts", "errors"),
    [
        ("POST", "https://ci.example.com/hook", [], {}),
        ("post", "https://ci.example.com/hook", [], {}),
        (
            "GET",
            "https://ci.example.com/hook",
            [],
            {"request.method": ["HTTP method 'GET' is not allowed. Allowed methods: POST"]},
        ),
        (
            "POST",
            "http://ci.example.com/hook",
            [],
            {"request.url": ["Scheme 'http' is not allowed. Allowed schemes: https"]},
        ),
        (
            "POST",
            "https://${pactbroker.consumerName}.example.com/",
            [],
            {"request.url": ["The host cannot contain a template variable"]},
        ),
        (
            "POST",
            "not a url",
            [],
            {"request.url": ["Invalid URL 'not a url'. Expected format: https://example.org"]},
        ),
        (
            "POST",
            "https://other.example.org/",
            ["ci.example.com"],
            {
                "request.url": [
                    "Host 'other.example.org' is not allowed by the webhook host allow-list"
                ]
            },
        ),
    ],
)
def test_definition_checks(
    method: str, url: str, hosts: list[str], errors: dict[str, list[str]]
) -> None:
    assert check_definition(method, url, schemes=["https"], methods=["POST"], hosts=hosts) == errors


def fixed(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    ("addresses", "kind"),
    [
        (["127.0.0.1"], "loopback"),
        (["::1"], "loopback"),
        (["169.254.169.254"], "link-local"),
        (["10.0.0.5"], "private"),
        (["192.168.1.1"], "private"),
        (["172.16.0.1"], "private"),
        (["0.0.0.0"], "unspecified"),
        (["fd00::1"], "private"),
        (["::ffff:127.0.0.1"], "loopback"),
        (["93.184.216.34", "10.0.0.1"], "private"),  # one bad record is enough to refuse
    ],
)
def test_internal_targets_are_refused(addresses: list[str], kind: str) -> None:
    with pytest.raises(Refused, match=f"resolves to a {kind} address"):
        resolve_target("https://hooks.example.com/x", hosts=[], resolver=fixed(*addresses))


def test_public_targets_resolve_to_the_vetted_address() -> None:
    assert (
        resolve_target("https://hooks.example.com/x", hosts=[], resolver=fixed("93.184.216.34"))
        == "93.184.216.34"
    )


@pytest.mark.parametrize("allow", [["hooks.internal"], ["10.0.0.0/8"], ["10.1.2.3"]])
def test_internal_targets_pass_when_explicitly_allow_listed(allow: list[str]) -> None:
    assert (
        resolve_target("https://hooks.internal/x", hosts=allow, resolver=fixed("10.1.2.3"))
        == "10.1.2.3"
    )


def test_unresolvable_host_is_refused() -> None:
    def fail(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(Refused, match="cannot resolve host"):
        resolve_target("https://nowhere.invalid/", hosts=[], resolver=fail)
