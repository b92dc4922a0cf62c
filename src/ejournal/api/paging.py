"""Lists answer ``{items, next}``: ``next`` is an opaque cursor to pass back as ``?cursor=``
for the following page, ``null`` on the last one.

A cursor is the list's name and the key of the last item given, as URL-safe base64 of JSON.
Clients never read it; the server checks it whole (the list it belongs to, the key's shape and
range) and refuses anything else with 422 naming the field ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

K = TypeVar("K")
R = TypeVar("R")
T = TypeVar("T")

#: The longest cursor this API gives (a name, a date and a 64-bit position fit well within).
MAX_CURSOR = 120
MAX_POSITION = 2**63 - 1

CursorQuery = Annotated[str | None, Query(
    max_length=MAX_CURSOR, description="`next` of the page before; left out, the first page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(description="the cursor of the next page; null on the last")


class BadCursor(ValueError):
    pass


def _position(value: Any) -> int:
    # bool is an int to Python, not to a cursor.
    if type(value) is not int or not 0 <= value <= MAX_POSITION:
        raise BadCursor
    return value


def _day(value: Any) -> date:
    if not isinstance(value, str):
        raise BadCursor
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadCursor from None


@dataclass(frozen=True)
class Cursor(Generic[K]):
    """The cursors of one list: ``dump`` turns an item's key into JSON values, ``load`` back
    (raising ``BadCursor``)."""

    name: str
    dump: Callable[[K], list[Any]]
    load: Callable[[list[Any]], K]

    def encode(self, key: K) -> str:
        text = json.dumps([self.name, *self.dump(key)], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode(self, raw: str | None) -> K | None:
        """The key in ``raw`` (None: the first page); a cursor of another list, or none this
        API gave, is 422."""
        if raw is None:
            return None
        try:
            if not raw.isascii():
                raise BadCursor
            data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            if not isinstance(data, list) or not data or data[0] != self.name:
                raise BadCursor
            return self.load(data[1:])
        except (BadCursor, binascii.Error, UnicodeDecodeError, ValueError, TypeError):
            raise RequestValidationError([{
                "loc": ("query", "cursor"), "type": "cursor",
                "msg": "cursor is not one this API gave"}]) from None

    def page(self, rows: Sequence[R], size: int, key: Callable[[R], K]
             ) -> tuple[Sequence[R], str | None]:
        """``rows`` as read with a limit of ``size + 1``: the page and the next one's cursor."""
        if len(rows) <= size:
            return rows, None
        return rows[:size], self.encode(key(rows[size - 1]))


def _one_position(values: list[Any]) -> int:
    if len(values) != 1:
        raise BadCursor
    return _position(values[0])


def _dated(values: list[Any]) -> tuple[date, int]:
    if len(values) != 2:  # a date and a position
        raise BadCursor
    return _day(values[0]), _position(values[1])


def position_cursor(name: str) -> Cursor[int]:
    """Lists ordered by a log position or a row id."""
    return Cursor(name, lambda key: [key], _one_position)


def dated_cursor(name: str) -> Cursor[tuple[date, int]]:
    """Lists ordered by a date, then a log position."""
    return Cursor(name, lambda key: [key[0].isoformat(), key[1]], _dated)


def _one_id(values: list[Any]) -> UUID:
    if len(values) != 1 or not isinstance(values[0], str):
        raise BadCursor
    try:
        return UUID(values[0])
    except ValueError:
        raise BadCursor from None


def id_cursor(name: str) -> Cursor[UUID]:
    """Lists in an order of the server's (by name): the next page starts after the item with
    that id."""
    return Cursor(name, lambda key: [str(key)], _one_id)


def page_after(cursor: Cursor[UUID], raw: str | None, rows: Sequence[R], size: int,
               key: Callable[[R], UUID]) -> tuple[Sequence[R], str | None]:
    """A page of ``rows`` (the whole list, in its order) after the item ``raw`` names, and
    the next one's cursor; a cursor naming no item of the list is 422 as any other bad one."""
    after = cursor.decode(raw)
    start = 0
    if after is not None:
        found = next((n for n, row in enumerate(rows) if key(row) == after), None)
        if found is None:
            raise RequestValidationError([{"loc": ("query", "cursor"), "type": "cursor",
                                           "msg": "cursor is not one this API gave"}])
        start = found + 1
    return cursor.page(rows[start:start + size + 1], size, key)
