"""``ejournal verify``: the chain recomputed from the log and compared, position by position,
with the kept chain (``ledger_chain``), to the first position where they part.

Where they part, the kept digest of each event without its position (``encoding.digest``)
tells what happened there: the log's event is the one kept one position on (an event was
removed and the others moved down), the kept event is the log's next one (an event was
inserted and the others moved up), or neither (the event was changed). A position the chain
kept and the log lacks is a removed event; one the log holds inside the kept chain and the
chain never kept, an inserted one. The log's events beyond the kept tip are chained on, not
compared: nothing kept says what they were (a published head does: docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain as flatten
from typing import Any, Literal

from sqlalchemy import select

from ejournal.application.eventstore import LogRow
from ejournal.ledger.chain import CHUNK, Chain, Head, ledger_chain
from ejournal.ledger.encoding import advance, digest
from ejournal.projections.base import reading

Kind = Literal["changed", "removed", "inserted"]
#: A kept row: position, head after it, digest of its event.
Kept = tuple[int, bytes, int]


@dataclass(frozen=True)
class Break:
    """The first position where the log is not the log the chain was kept from."""

    position: int
    kind: Kind

    def describe(self) -> str:
        if self.kind == "changed":
            return f"the event at position {self.position} was changed"
        return f"an event was {self.kind} at position {self.position}"


@dataclass(frozen=True)
class Verified:
    """What ``verify`` found: from which position it checked, how many events it compared with
    the kept chain, how many it chained beyond it, the head it reached and the first break."""

    start: int
    compared: int
    beyond: int
    head: Head
    broken: Break | None


def verify(chain: Chain, start: int = 1,
           progress: Callable[[int, int], None] | None = None) -> Verified:
    """Recomputes the chain from the last kept position before ``start`` (from the first
    event for 1) and compares it with the kept chain. ``progress(done, total)`` after each
    chunk of the log."""
    if start < 1:
        raise ValueError(f"--from {start}: log positions start at 1")
    after, head = chain.kept_at(start - 1)
    total = max((chain.store.head() or 0) - after, 0)
    done = compared = beyond = 0
    position = after

    def counted(chunks: Iterator[list[LogRow]]) -> Iterator[list[LogRow]]:
        nonlocal done
        for rows in chunks:
            yield rows
            done += len(rows)
            if progress is not None:
                progress(min(done, total), total)

    log = _Peek(flatten.from_iterable(counted(chain.log(after))))
    kept = _Peek(flatten.from_iterable(_kept(chain, after)))
    broken: Break | None = None
    while broken is None and log.item is not None:
        row, keep = log.item, kept.item
        if keep is None:
            head, position = advance(head, row), row[0]
            beyond += 1
            log.next()
        elif keep[0] < row[0]:
            broken = Break(keep[0], "removed")
        elif row[0] < keep[0]:
            broken = Break(row[0], "inserted")
        else:
            head, position = advance(head, row), row[0]
            if head != keep[1]:
                broken = Break(row[0], _what(row, keep, log.peek(), kept.peek()))
                break
            compared += 1
            log.next()
            kept.next()
    if broken is None and kept.item is not None:
        broken = Break(kept.item[0], "removed")
    if progress is not None and broken is None:
        progress(total, total)
    return Verified(after + 1, compared, beyond, Head.of(position, head), broken)


def _what(row: LogRow, keep: Kept, next_row: LogRow | None, next_keep: Kept | None) -> Kind:
    mine = digest(row) or 0
    if mine != keep[2] and next_keep is not None and mine == next_keep[2]:
        return "removed"
    if mine != keep[2] and next_row is not None and (digest(next_row) or 0) == keep[2]:
        return "inserted"
    return "changed"


def _kept(chain: Chain, after: int) -> Iterator[list[Kept]]:
    table = ledger_chain.c
    while True:
        with reading(chain.engine) as conn:
            rows = [(int(p), bytes(h), int(d)) for p, h, d in conn.execute(
                select(table.position, table.sha256, table.digest)
                .where(table.position > after).order_by(table.position).limit(CHUNK))]
        if not rows:
            return
        yield rows
        after = rows[-1][0]


class _Peek:
    """An iterator with its current item and the one after it in view."""

    def __init__(self, items: Iterator[Any]) -> None:
        self._items = items
        self.item: Any = next(items, None)
        self._ahead: list[Any] = []

    def peek(self) -> Any:
        if not self._ahead:
            self._ahead.append(next(self._items, None))
        return self._ahead[0]

    def next(self) -> None:
        self.item = self._ahead.pop() if self._ahead else next(self._items, None)
