"""The one cursor encoding of every list: opaque, checked whole, and refused with 422 naming
``cursor`` when it is not one the API gave for that list."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError

from ejournal.api.paging import (
    MAX_CURSOR,
    MAX_POSITION,
    Cursor,
    dated_cursor,
    position_cursor,
)

FEED = position_cursor("feed")
OVERDUE = dated_cursor("overdue")


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _refused(cursor: Cursor[Any], raw: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        cursor.decode(raw)
    (error,) = caught.value.errors()
    assert error["loc"] == ("query", "cursor")
    assert error["msg"] == "cursor is not one this API gave"


@pytest.mark.parametrize("key", [0, 1, 987_654_321, MAX_POSITION])
def test_a_position_cursor_round_trips(key: int) -> None:
    raw = FEED.encode(key)
    assert FEED.decode(raw) == key
    assert raw.isascii()
    assert "=" not in raw
    assert str(key) not in raw
    assert len(raw) <= MAX_CURSOR


def test_a_dated_cursor_round_trips() -> None:
    key = (date(2026, 11, 16), 4242)
    assert OVERDUE.decode(OVERDUE.encode(key)) == key
    assert len(OVERDUE.encode((date(2100, 12, 31), MAX_POSITION))) <= MAX_CURSOR


def test_no_cursor_is_the_first_page() -> None:
    assert FEED.decode(None) is None
    assert OVERDUE.decode(None) is None


def test_the_page_holds_size_rows_and_the_cursor_of_its_last() -> None:
    rows = list(range(10, 16))
    page, following = FEED.page(rows, 5, lambda r: r)
    assert list(page) == [10, 11, 12, 13, 14]
    assert following is not None
    assert FEED.decode(following) == 14
    assert FEED.page(rows[:5], 5, lambda r: r) == (rows[:5], None)
    assert FEED.page([], 5, lambda r: r) == ([], None)


@pytest.mark.parametrize("raw", [
    "", "12", "x", "²", "١٢٣", "9" * 30, "-1", "%%%", "a b",
    _raw('["feed"]'), _raw('["feed",1,2]'), _raw('["feed",-1]'), _raw('["feed",true]'),
    _raw('["feed",1.5]'), _raw('["feed","1"]'), _raw(f'["feed",{MAX_POSITION + 1}]'),
    _raw('{"feed":1}'), _raw("[]"), _raw('["feed",1'), _raw('["FEED",1]'),
])
def test_what_the_api_never_gave_is_refused(raw: str) -> None:
    _refused(FEED, raw)


def test_a_cursor_of_another_list_is_refused() -> None:
    _refused(FEED, position_cursor("access-log").encode(5))
    _refused(OVERDUE, FEED.encode(5))
    _refused(FEED, OVERDUE.encode((date(2026, 11, 16), 5)))


@pytest.mark.parametrize("raw", [
    _raw('["overdue","2026-13-01",5]'), _raw('["overdue","2026-11-16"]'),
    _raw('["overdue","2026-11-16",-1]'), _raw('["overdue",20261116,5]'),
    _raw('["overdue","2026-11-16","5"]'), _raw(f'["overdue","2026-11-16",{10**20}]'),
])
def test_a_dated_cursor_with_a_bad_key_is_refused(raw: str) -> None:
    _refused(OVERDUE, raw)
