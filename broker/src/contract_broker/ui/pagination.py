"""Long tables on the pages, split into pages of a bounded size (``?page=N``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import Query

from contract_broker.errors import Invalid

__all__ = ["PAGE_SIZE", "PageQuery", "Pagination", "paginate"]

T = TypeVar("T")

PAGE_SIZE = 50

# The query parameter every paginated page takes (a string: a bad one gets our 400 message).
PageQuery = Annotated[str | None, Query(alias="page", description="page number, from 1")]


@dataclass(frozen=True)
class Pagination:
    """Where a page is in its table: page ``number`` of ``pages``, rows ``first``-``last``."""

    number: int
    pages: int
    size: int
    total: int
    keep: tuple[tuple[str, str], ...] = ()  # other query parameters the page links keep

    def href(self, number: int) -> str:
        """The query string of page ``number`` (relative: the same path)."""
        return "?" + urlencode([*self.keep, ("page", str(number))])

    @property
    def first(self) -> int:
        return min((self.number - 1) * self.size + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.number * self.size, self.total)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def page_number(value: str | None) -> int:
    """The page asked for: 1 when absent; a 400 naming the parameter for anything but 1, 2, …"""
    if value is None or value == "":
        return 1
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not text.strip("0"):
        raise Invalid.field("page", f"must be a page number from 1 (as in ?page=2), got {value!r}")
    # Any number past the last page shows the last page: a huge one need not be parsed.
    return int(text) if len(text) <= 9 else 10**9


def paginate(
    items: Sequence[T],
    page: str | None,
    size: int = PAGE_SIZE,
    keep: Sequence[tuple[str, str]] = (),
) -> tuple[list[T], Pagination]:
    """The rows of the page asked for; a number past the last page shows the last page."""
    pages = max(1, -(-len(items) // size))
    number = min(page_number(page), pages)
    start = (number - 1) * size
    shown = Pagination(number, pages, size, len(items), tuple(keep))
    return list(items[start : start + size]), shown
