"""Which of the document's media types a pact's Content-Type or Accept header means.

The reference's negotiation, step by step, so that both engines agree on what matches: exact
(case and spaces aside), then without parameters, then ignoring a vendor prefix
(``application/vnd.x+json`` ~ ``application/json``), then wildcards on either side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

__all__ = ["is_json", "matching_type"]

_QUALITY = re.compile(r".*;q=([01]\.?\d*)")


def matching_type(requested: str, available: Sequence[str]) -> str | None:
    """The first of ``available`` that ``requested`` (a header value, maybe a list) accepts."""
    wanted = sorted((_normal(t) for t in requested.split(",")), key=_quality, reverse=True)
    wanted = [re.sub(r";q=[01]\.?\d*", "", t, count=1) for t in wanted]
    offered = [_normal(t) for t in available]

    def first(matches: Callable[[str, str], bool], wanted: list[str], offered: list[str]) -> int:
        for want in wanted:
            for index, offer in enumerate(offered):
                if matches(want, offer):
                    return index
        return -1

    index = first(str.__eq__, wanted, offered)
    # From here on, as the reference: parameters no longer count.
    wanted, offered = [_bare(t) for t in wanted], [_bare(t) for t in offered]
    if index < 0:
        index = first(str.__eq__, wanted, offered)
    if index < 0:
        index = first(_same_kind, wanted, offered)
    if index < 0:
        index = first(lambda w, o: _sub(o) == "*" and _main(o) == _main(w), wanted, offered)
    if index >= 0:
        return available[index]
    if "*/*" in offered:
        return "*/*"
    index = first(lambda w, o: _sub(w) == "*" and _main(o) == _main(w), wanted, offered)
    if index >= 0:
        return available[index]
    if "*/*" in wanted and available:
        return available[0]
    return None


def is_json(available: Sequence[str]) -> bool:
    """Whether JSON is among ``available`` (bodies of other media types are not compared)."""
    return matching_type("application/json", available) is not None


def _normal(media_type: str) -> str:
    return re.sub(r"\s+", "", media_type).lower()


def _quality(media_type: str) -> float:
    match = _QUALITY.match(media_type)
    try:
        return float(match.group(1)) if match else 1.0
    except ValueError:
        return 1.0


def _bare(media_type: str) -> str:
    return media_type.partition(";")[0]


def _main(media_type: str) -> str:
    return media_type.partition("/")[0]


def _sub(media_type: str) -> str | None:
    parts = media_type.split("/")
    return parts[1].split("+")[-1] if len(parts) > 1 else None


def _same_kind(want: str, offer: str) -> bool:
    return _main(offer) == _main(want) and _sub(offer) == _sub(want)
