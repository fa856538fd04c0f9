"""The broker calls the harness makes itself, as the pact_ffi verifier makes them.

Pacts for verification (selectors, pending, WIP, the provider branch), fetching one pact, and
publishing one pact's result with its ``testResults``. Every call is retried, with exponential
backoff, on what pact_ffi's client retries: no connection, a timeout, 408, 429 and 5xx
(``PACT_BROKER_HTTP_RETRIES`` or ``--retries`` times, as the pact CLI; default 8). The calls
are safe to repeat: GETs, the pacts-for-verification query, PUTs of a branch or tag, and a
result's POST (a second copy of a result changes no verdict).

The harness asks for the list and fetches the pacts so that each pact can be replayed on its
own, in any worker, by a verifier that never needs the broker (nor its credentials).
Credentials come from Pact's variables and are only sent to the broker's own origin: hrefs are
re-based on it, as the verifier does.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from user_service_contract.plan import VerifiablePact
from user_service_contract.sources import BrokerSource, SourceError

__all__ = [
    "IMPLEMENTATION",
    "RETRIES_VARIABLE",
    "BrokerClient",
    "BrokerError",
    "default_retries",
    "without_userinfo",
]

TIMEOUT_SECONDS = 30.0
RETRIES_VARIABLE = "PACT_BROKER_HTTP_RETRIES"
DEFAULT_RETRIES = 8
"""As the pact CLI (tasks/brokercli.py): about 20 s of backoff against a broker answering 5xx."""
RETRY_STATUSES = frozenset({408, 429})
"""Retried besides every 5xx (pact_ffi's client retries the same)."""
FIRST_BACKOFF_SECONDS = 0.25
MAX_BACKOFF_SECONDS = 4.0
HAL = "application/hal+json, application/json"
IMPLEMENTATION = "user_service_contract"
"""``verifiedBy.implementation`` of the results this harness publishes."""
REPLAYS = frozenset({IMPLEMENTATION, "Pact-Rust"})
"""Results that come from replaying the pact (this harness; pact_ffi's verifier)."""


class BrokerError(SourceError):
    """The broker could not be used: unreachable, refused, or answered something unexpected."""


def default_retries() -> int:
    """``PACT_BROKER_HTTP_RETRIES``, else 8; a clear error for anything but a whole number."""
    text = os.environ.get(RETRIES_VARIABLE, "").strip()
    if not text:
        return DEFAULT_RETRIES
    if not text.isdigit():
        raise BrokerError(f"{RETRIES_VARIABLE} must be a whole number, got {text!r}")
    return int(text)


class _Transient(Exception):
    """A failure worth another try (no connection, timeout, 408, 429, 5xx)."""

    def __init__(self, error: BrokerError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


@dataclass(frozen=True)
class BrokerClient:
    """HTTP to one broker origin with Pact's credentials (token, else username and password).

    ``retries``: further tries of a call that failed transiently (default: ``default_retries``);
    ``sleep`` waits between them (tests pass a fake). A ``user:password@`` in ``base_url`` is
    taken out of it and sent as Basic auth instead of Pact's variables (never printed).
    """

    base_url: str
    retries: int = field(default_factory=default_retries)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    userinfo: str | None = field(default=None, repr=False, compare=False, init=False)
    """The ``Authorization`` value from ``base_url``'s user:password, if it had one."""

    def __post_init__(self) -> None:
        bare, userinfo = _split_userinfo(self.base_url)
        object.__setattr__(self, "base_url", bare)
        object.__setattr__(self, "userinfo", userinfo)
        if urlsplit(bare).scheme.lower() not in {"http", "https"}:
            raise BrokerError(f"the broker URL must be http(s), got {bare!r}")

    @classmethod
    def for_url(cls, url: str, *, retries: int | None = None) -> BrokerClient:
        """The client for the origin of ``url`` (a pact URL from a webhook)."""
        parts = urlsplit(url)
        origin = urlunsplit((parts.scheme, parts.netloc, "", "", ""))  # with any user:password
        return cls(origin) if retries is None else cls(origin, retries=retries)

    def pacts_for_verification(self, source: BrokerSource, provider: str) -> list[VerifiablePact]:
        """POST pacts-for-verification with ``source``'s selectors; one entry per pact."""
        index = self.get(self.base_url)
        link = _link(index, "pb:provider-pacts-for-verification", self.base_url)
        resource = self.get(link.replace("{provider}", quote(provider, safe="")))
        body: dict[str, Any] = {
            "consumerVersionSelectors": list(source.selectors),
            "includePendingStatus": source.include_pending,
        }
        if source.wip_since is not None:
            body["includeWipPactsSince"] = source.wip_since.isoformat()
        if source.provider_branch:
            body["providerVersionBranch"] = source.provider_branch
        answer = self.send("POST", _link(resource, "self", self.base_url), body)
        pacts = (answer.get("_embedded") or {}).get("pacts")
        if not isinstance(pacts, list):
            raise BrokerError(f"{self.base_url}: pacts for verification without _embedded.pacts")
        return [self._verifiable(entry) for entry in pacts if isinstance(entry, dict)]

    def _verifiable(self, entry: dict[str, Any]) -> VerifiablePact:
        properties = entry.get("verificationProperties") or {}
        notices = [n for n in properties.get("notices") or [] if isinstance(n, dict)]
        before = tuple(
            str(n.get("text", "")) for n in notices if n.get("when") == "before_verification"
        )
        after = tuple(
            (str(n["when"]), str(n.get("text", "")))
            for n in notices
            if str(n.get("when", "")).startswith("after_verification:")
        )
        return VerifiablePact.from_url(
            _link(entry, "self", self.base_url),
            pending=properties.get("pending") is True,
            wip=properties.get("wip") is True,
            notices=before,
            after=after,
        )

    def publish(
        self,
        pact: dict[str, Any],
        result: dict[str, Any],
        *,
        branch: str | None,
        tags: tuple[str, ...] = (),
    ) -> None:
        """Publish ``result`` for ``pact`` (as fetched: its links), once; the branch first."""
        self.label(pact, str(result["providerApplicationVersion"]), branch=branch, tags=tags)
        self.send("POST", _link(pact, "pb:publish-verification-results", self.base_url), result)

    def label(
        self, pact: dict[str, Any], version: str, *, branch: str | None, tags: tuple[str, ...] = ()
    ) -> None:
        """Record provider ``version`` on ``branch`` and ``tags`` (idempotent PUTs), through the
        links of ``pact``'s provider."""
        if not branch and not tags:
            return
        provider = self.get(_link(pact, "pb:provider", self.base_url))
        if branch:
            href = _expand(
                _link(provider, "pb:branch-version", self.base_url), branch=branch, version=version
            )
            self.send("PUT", href, {})
        for tag in tags:
            href = _expand(
                _link(provider, "pb:version-tag", self.base_url), version=version, tag=tag
            )
            self.send("PUT", href, {})

    def already_verified(self, pact: dict[str, Any], version: str) -> bool:
        """The pact version's latest result is a successful replay by provider ``version``.

        A replay: published by this harness or by pact_ffi's verifier, not the broker's own
        comparison with a provider contract (which a reused replay does not replace).
        """
        try:
            latest = self.get(_link(pact, "pb:latest-verification-results", self.base_url))
        except BrokerError:
            return False  # none yet (404), or unknown: publishing again is the safe side
        verified_by = latest.get("verifiedBy")
        implementation = (
            verified_by.get("implementation") if isinstance(verified_by, dict) else None
        )
        return (
            latest.get("providerApplicationVersion") == version
            and latest.get("success") is True
            and implementation in REPLAYS
        )

    def get(self, url: str) -> dict[str, Any]:
        """GET a HAL resource as JSON."""
        request = urllib.request.Request(self._rebase(url), headers={"Accept": HAL})  # noqa: S310 (http(s) only: checked in __post_init__)
        return self._call(request)

    def send(self, method: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST or PUT ``body`` as JSON; the answer as JSON."""
        request = urllib.request.Request(  # noqa: S310 (http(s) only: checked in __post_init__)
            self._rebase(url),
            data=json.dumps(body).encode(),
            method=method,
            headers={"Accept": HAL, "Content-Type": "application/json"},
        )
        return self._call(request)

    def _rebase(self, href: str) -> str:
        """``href``'s path and query on this broker's origin (a link's host is never trusted)."""
        base, link = urlsplit(self.base_url), urlsplit(href)
        return urlunsplit((base.scheme, base.netloc, link.path, link.query, ""))

    def _call(self, request: urllib.request.Request) -> dict[str, Any]:
        credentials = {"Authorization": self.userinfo} if self.userinfo else _credentials()
        for name, value in credentials.items():
            request.add_unredirected_header(name, value)
        where = f"{request.get_method()} {_without_query(request.full_url)}"
        for attempt in range(self.retries + 1):
            try:
                raw = self._once(request, where)
                break
            except _Transient as transient:
                if attempt == self.retries:
                    tries = f" (after {attempt + 1} tries)" if attempt else ""
                    raise BrokerError(f"{transient.error}{tries}") from transient.error
                backoff = min(FIRST_BACKOFF_SECONDS * 2**attempt, MAX_BACKOFF_SECONDS)
                self.sleep(backoff if transient.wait is None else transient.wait)
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError as exc:
            raise BrokerError(f"{where}: the broker's answer is not JSON") from exc
        if not isinstance(parsed, dict):
            raise BrokerError(f"{where}: the broker's answer is not a JSON object")
        return parsed

    @staticmethod
    def _once(request: urllib.request.Request, where: str) -> bytes:
        """One try: the body, a ``BrokerError``, or ``_Transient`` (worth another try)."""
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http(s) only)
                raw: bytes = response.read()
                return raw
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace").strip()
            error = BrokerError(f"{where}: the broker answered {exc.code}: {detail}")
            if exc.code in RETRY_STATUSES or exc.code >= 500:
                raise _Transient(error, _retry_after(exc.headers.get("Retry-After"))) from exc
            raise error from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            error = BrokerError(f"{where}: the broker is unreachable ({reason})")
            raise _Transient(error) from exc


def _retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` in seconds, capped (a date or nonsense: the usual backoff)."""
    if value is None or not value.strip().isdigit():
        return None
    return min(float(value.strip()), MAX_BACKOFF_SECONDS * 4)


def without_userinfo(url: str) -> str:
    """``url`` without any user:password part (for anything printed or written down)."""
    return _split_userinfo(url)[0]


def _split_userinfo(url: str) -> tuple[str, str | None]:
    """``url`` without its user:password part, and that part as a Basic ``Authorization``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    pair = f"{unquote(username)}:{unquote(password)}".encode()
    bare = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return bare, "Basic " + base64.b64encode(pair).decode()


def _credentials() -> dict[str, str]:
    token = os.environ.get("PACT_BROKER_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    username = os.environ.get("PACT_BROKER_USERNAME")
    if username:
        pair = f"{username}:{os.environ.get('PACT_BROKER_PASSWORD', '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    return {}


def _link(resource: dict[str, Any], relation: str, base_url: str) -> str:
    link = (resource.get("_links") or {}).get(relation)
    href = link.get("href") if isinstance(link, dict) else None
    if not isinstance(href, str) or not href:
        raise BrokerError(f"{base_url}: the broker's answer has no {relation!r} link")
    return href


def _expand(href: str, **values: str) -> str:
    for name, value in values.items():
        href = href.replace("{" + name + "}", quote(value, safe=""))
    return href


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
