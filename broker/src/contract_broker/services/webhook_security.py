"""Where a webhook may send requests: scheme, method and host allow-lists, and at delivery time a
refusal of targets resolving to loopback, link-local, private or unspecified addresses.

Defaults follow the Pact Broker (https only, POST only, any host). An internal address is only
reachable when the host allow-list names it explicitly (by name, IP, CIDR, ``*.domain`` or
``/regex/``), so a webhook cannot be used to probe the broker's own network.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

__all__ = [
    "Refused",
    "check_definition",
    "host_allow_listed",
    "resolve_target",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class Refused(Exception):
    """The request may not be sent (a message safe to show to the webhook's owner)."""


def host_allow_listed(host: str, allow_list: Sequence[str]) -> bool:
    """Whether ``host`` matches an entry of the host allow-list."""
    host = host.lower().strip("[]")
    address = _ip(host)
    for raw_entry in allow_list:
        entry = raw_entry.strip()
        if not entry:
            continue
        if len(entry) > 2 and entry.startswith("/") and entry.endswith("/"):
            try:
                if re.search(entry[1:-1], host):
                    return True
            except re.error:
                continue
        elif entry.startswith("*."):
            if host.endswith(entry[1:].lower()):
                return True
        elif "/" in entry:
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                continue
            if address is not None and address in network:
                return True
        elif entry.lower().strip("[]") == host:
            return True
    return False


def _ip(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def check_definition(
    method: str,
    url: str,
    *,
    schemes: Sequence[str],
    methods: Sequence[str],
    hosts: Sequence[str],
) -> dict[str, list[str]]:
    """Validation errors of a webhook request definition (empty when it is acceptable)."""
    errors: dict[str, list[str]] = {}
    if method.upper() not in {m.upper() for m in methods}:
        errors["request.method"] = [
            f"HTTP method '{method}' is not allowed. Allowed methods: {', '.join(methods)}"
        ]
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        errors["request.url"] = [f"Invalid URL '{url}'. Expected format: https://example.org"]
        return errors
    if "${" in parts.netloc:
        errors["request.url"] = ["The host cannot contain a template variable"]
        return errors
    if parts.scheme.lower() not in {s.lower() for s in schemes}:
        errors["request.url"] = [
            f"Scheme '{parts.scheme}' is not allowed. Allowed schemes: {', '.join(schemes)}"
        ]
    host = parts.hostname or ""
    if hosts and not host_allow_listed(host, hosts):
        errors.setdefault("request.url", []).append(
            f"Host '{host}' is not allowed by the webhook host allow-list"
        )
    return errors


def _default_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _internal(address: IPAddress) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _internal(address.ipv4_mapped)
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private or address.is_reserved or address.is_multicast:
        return "private"
    return None


def resolve_target(
    url: str, *, hosts: Sequence[str], resolver: Resolver = _default_resolver
) -> str:
    """The address to connect to for ``url``; ``Refused`` when it is internal and not allowed.

    Every address the name resolves to must pass, so one public and one private record cannot
    smuggle a request inside.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolver(host, port)
    except OSError as exc:
        raise Refused(f"cannot resolve host '{host}': {exc}") from exc
    if not addresses:
        raise Refused(f"host '{host}' resolves to no address")
    explicitly_allowed = host_allow_listed(host, hosts)
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        kind = _internal(address)
        if kind and not (explicitly_allowed or host_allow_listed(str(address), hosts)):
            raise Refused(
                f"refusing to send a webhook to '{host}': it resolves to a {kind} address "
                f"({address}); add it to PACT_BROKER_WEBHOOK_HOST_WHITELIST to allow it"
            )
    return addresses[0]
