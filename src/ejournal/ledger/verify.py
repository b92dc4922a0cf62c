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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from ejournal.application.eventstore import LogRow
from ejournal.ledger.chain import CHUNK, Chain, Head, ledger_chain
from ejournal.ledger.encoding import advance, digest
from ejournal.ledger.encoding import chain as chain_rows
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
    tip = chain.tip()[0]
    total = max((chain.store.head() or 0) - after, 0)
    walk = _Walk(chain, after, head, tip)
    while walk.broken is None:
        rows = chain.store.rows(walk.position, CHUNK)
        if not rows:
            rest = _kept(chain, walk.position, None, 1)
            if rest:
                walk.broken = Break(rest[0][0], "removed")
            break
        walk.window(rows, _kept(chain, walk.position, rows[-1][0]))
        if progress is not None and walk.broken is None:
            progress(min(walk.done, total), total)
    if progress is not None and walk.broken is None:
        progress(total, total)
    return Verified(after + 1, walk.compared, walk.beyond, Head.of(walk.position, walk.head),
                    walk.broken)


class _Walk:
    """The recomputation so far: the last position chained and the head after it."""

    def __init__(self, chain: Chain, position: int, head: bytes, tip: int) -> None:
        self.chain, self.position, self.head, self.tip = chain, position, head, tip
        self.compared = self.beyond = self.done = 0
        self.broken: Break | None = None

    def window(self, rows: list[LogRow], kept: list[Kept]) -> None:
        """Chains a window of the log and compares it with the kept rows of its positions."""
        n = len(kept)
        usual = [row[0] for row in rows[:n]] == [k[0] for k in kept] and (
            n == len(rows) or rows[n][0] > self.tip)
        if not usual:
            self._merge(rows, kept)
            return
        # The kept positions are the log's, then (past the kept tip) the rest: a tight loop.
        head = self.head
        for i in range(n):
            after = advance(head, rows[i])
            if after != kept[i][1]:
                self.compared += i
                self._advance_to(rows[i - 1][0] if i else self.position, head)
                self.broken = Break(rows[i][0], self._what(rows, kept, i, i))
                return
            head = after
        self.compared += n
        self.head = chain_rows(head, rows[n:])
        self.beyond += len(rows) - n
        self._advance_to(rows[-1][0], self.head)
        self.done += len(rows)

    def _advance_to(self, position: int, head: bytes) -> None:
        self.position, self.head = position, head

    def _merge(self, rows: list[LogRow], kept: list[Kept]) -> None:
        """The window position by position: where the log and the kept chain part."""
        i = j = 0
        while i < len(rows):
            row = rows[i]
            keep = kept[j] if j < len(kept) else None
            if keep is None and row[0] > self.tip:
                self.head = advance(self.head, row)
                self.position, self.beyond, i = row[0], self.beyond + 1, i + 1
            elif keep is None or row[0] < keep[0]:
                self.broken = Break(row[0], "inserted")
                return
            elif keep[0] < row[0]:
                self.broken = Break(keep[0], "removed")
                return
            else:
                head = advance(self.head, row)
                if head != keep[1]:
                    self.broken = Break(row[0], self._what(rows, kept, i, j))
                    return
                self.head, self.position, self.compared = head, row[0], self.compared + 1
                i, j = i + 1, j + 1
        self.done += len(rows)

    def _what(self, rows: list[LogRow], kept: list[Kept], i: int, j: int) -> Kind:
        """At a position both hold that hashes otherwise: the log's event is the one kept
        next (one removed, the rest moved down), the kept one is the log's next (one
        inserted, the rest moved up), or neither (changed)."""
        position = rows[i][0]
        next_row = rows[i + 1] if i + 1 < len(rows) else next(
            iter(self.chain.store.rows(position, 1)), None)
        next_keep = kept[j + 1] if j + 1 < len(kept) else next(
            iter(_kept(self.chain, position, None, 1)), None)
        mine, theirs = digest(rows[i]) or 0, kept[j][2]
        if mine != theirs and next_keep is not None and mine == next_keep[2]:
            return "removed"
        if mine != theirs and next_row is not None and (digest(next_row) or 0) == theirs:
            return "inserted"
        return "changed"


def _kept(chain: Chain, after: int, upto: int | None, limit: int = CHUNK) -> list[Kept]:
    """The kept rows after ``after`` (through ``upto``)."""
    table = ledger_chain.c
    query = select(table.position, table.sha256, table.digest).where(table.position > after)
    if upto is not None:
        query = query.where(table.position <= upto)
    with reading(chain.engine) as conn:
        return [(p, h, d) for p, h, d in conn.execute(
            query.order_by(table.position).limit(limit)).tuples()]
