"""What one verification run replays: a list of pacts, each verified (and published) on its own.

Work is split by pact because a verification result belongs to one pact version: every pact is
replayed whole by one worker and its result published once. ``Shard`` splits the list between CI
runners deterministically.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["Plan", "Shard", "ShardError", "VerifiablePact"]

_PACT_VERSION = re.compile(r"/pact-version/([0-9a-fA-F]+)")
_CONSUMER = re.compile(r"/consumer/([^/]+)/")


@dataclass(frozen=True)
class VerifiablePact:
    """One pact to replay: a local file or a broker URL, and what the broker said about it."""

    location: str
    """A file path, or the URL the pact is fetched from (the broker's ``_links.self.href``)."""
    consumer: str
    content_sha: str
    """The pact version's SHA from the broker's URL, else the sha256 of the file's bytes."""
    pending: bool = False
    """The broker says the pact is pending for this provider branch: failures do not fail."""
    wip: bool = False
    notices: tuple[str, ...] = ()
    """The broker's ``before_verification`` notices (why this pact is verified)."""
    after: tuple[tuple[str, str], ...] = ()
    """The broker's ``after_verification:...`` notices: (when, text), said after the result."""

    def after_notice(self, *, success: bool, published: bool) -> str | None:
        """The notice for this outcome (``...success_true_published_false``), as the verifier."""
        when = (
            f"after_verification:success_{str(success).lower()}_published_{str(published).lower()}"
        )
        return next((text for key, text in self.after if key == when), None)

    @classmethod
    def from_file(cls, path: str, content: bytes, consumer: str) -> VerifiablePact:
        return cls(
            location=path, consumer=consumer, content_sha=hashlib.sha256(content).hexdigest()
        )

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        pending: bool = False,
        wip: bool = False,
        notices: tuple[str, ...] = (),
        after: tuple[tuple[str, str], ...] = (),
    ) -> VerifiablePact:
        path = urlsplit(url).path
        sha = _PACT_VERSION.search(path)
        consumer = _CONSUMER.search(path)
        return cls(
            location=url,
            consumer=unquote(consumer.group(1)) if consumer else "",
            content_sha=sha.group(1).lower() if sha else "",
            pending=pending,
            wip=wip,
            notices=notices,
            after=after,
        )

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """Consumer, pact SHA, then location: the same on every machine for the same pacts."""
        return (self.consumer, self.content_sha, self.location)


class ShardError(ValueError):
    """A ``--shard`` that is not ``K/N`` with 1 <= K <= N."""


@dataclass(frozen=True)
class Shard:
    """Share ``index`` (1-based) of ``count``: every pact belongs to exactly one share.

    A pact's share is a stable hash (SHA-256) of its consumer name and pact SHA, modulo
    ``count``: it depends on that pact alone, never on its position in the list or on the
    order a broker or a file system returned them. The shares are disjoint and together cover
    the list on any machine; if the list changes between runners (a consumer published in
    between), only the pacts that changed move, not every pact after them. The price: shares
    are balanced only on average (a share may even be empty, which passes saying so).
    """

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"`` → ``Shard(2, 4)``; a clear error for anything else."""
        found = re.fullmatch(r"\s*(\d{1,4})\s*/\s*(\d{1,4})\s*", text)
        if not found:
            raise ShardError(f"--shard must look like K/N (e.g. 1/4), got {text!r}")
        index, count = int(found.group(1)), int(found.group(2))
        if count < 1 or not 1 <= index <= count:
            raise ShardError(f"--shard {text}: K must be between 1 and N, and N at least 1")
        return cls(index, count)

    def select(self, pacts: list[VerifiablePact]) -> list[VerifiablePact]:
        """This share of ``pacts``, in the stable order."""
        ordered = sorted(pacts, key=lambda pact: pact.sort_key)
        return [pact for pact in ordered if self.share_of(pact) == self.index]

    def share_of(self, pact: VerifiablePact) -> int:
        """The share (1-based) ``pact`` belongs to: by its consumer and pact SHA alone."""
        identity = f"{pact.consumer}\n{pact.content_sha or pact.location}".encode()
        return int.from_bytes(hashlib.sha256(identity).digest()[:8], "big") % self.count + 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class Plan:
    """The pacts one run verifies (a shard's share), and how many the whole list had."""

    pacts: tuple[VerifiablePact, ...]
    total: int

    def to_json(self) -> str:
        return json.dumps({"total": self.total, "pacts": [asdict(p) for p in self.pacts]})

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data: dict[str, Any] = json.loads(text)
        pacts = tuple(
            VerifiablePact(
                **{
                    **item,
                    "notices": tuple(item.get("notices", ())),
                    "after": tuple((str(w), str(t)) for w, t in item.get("after", ())),
                }
            )
            for item in data["pacts"]
        )
        return cls(pacts, int(data["total"]))
