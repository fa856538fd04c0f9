"""Long page tables in pages of a bounded size: ?page=N, a clear 400 for anything else."""

from __future__ import annotations

import pytest

from contract_broker.errors import Invalid
from contract_broker.ui.pagination import Pagination, paginate

ROWS = list(range(1, 124))  # 123 rows: pages of 50, 50 and 23


@pytest.mark.parametrize(
    ("asked", "rows", "number"),
    [
        (None, ROWS[:50], 1),
        ("", ROWS[:50], 1),
        ("1", ROWS[:50], 1),
        ("2", ROWS[50:100], 2),
        (" 3 ", ROWS[100:], 3),
        ("4", ROWS[100:], 3),  # past the end: the last page
        ("9" * 5000, ROWS[100:], 3),  # not parsed digit by digit
    ],
)
def test_pages_of_fifty(asked: str | None, rows: list[int], number: int) -> None:
    shown, pager = paginate(ROWS, asked)

    assert shown == rows
    assert pager == Pagination(number=number, pages=3, size=50, total=123)


def test_where_a_page_is() -> None:
    _, pager = paginate(ROWS, "2", keep=[("branch", "main & more")])

    assert (pager.first, pager.last, pager.previous, pager.next) == (51, 100, 1, 3)
    assert pager.href(3) == "?branch=main+%26+more&page=3"


def test_no_rows_is_one_empty_page() -> None:
    shown, pager = paginate([], "5")

    assert shown == []
    assert (pager.number, pager.pages, pager.first, pager.last) == (1, 1, 0, 0)
    assert (pager.previous, pager.next) == (None, None)


@pytest.mark.parametrize("asked", ["0", "-1", "two", "1.5", "٣", "1e3", "0x10"])
def test_anything_but_a_page_number_is_a_clear_400(asked: str) -> None:
    with pytest.raises(Invalid) as raised:
        paginate(ROWS, asked)

    assert raised.value.errors == {
        "page": [f"must be a page number from 1 (as in ?page=2), got {asked!r}"]
    }
