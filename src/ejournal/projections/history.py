"""The edit history of marks (R-7.2): every mark's chain given → corrected → cancelled, with
who, when and why; corrections never overwrite, so every value a mark ever had stays visible.

Period marks have their own chain, given → corrected. Items are kept per (mark, position), so
one mark's history is one index range scan; each mark remembers its journal, so a reader asking
through one journal never sees another journal's mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    select,
    update,
)

from ejournal.domain.lesson import Lesson
from ejournal.domain.period_mark import PeriodMark
from ejournal.projections.base import ReadModel, as_utc, handles, metadata
from ejournal.projections.batching import Batch, prepare

marks = Table(
    "mark_history_marks", metadata,
    Column("mark_id", Uuid, primary_key=True),  # a mark's id, or a period mark's
    Column("journal_id", Uuid, nullable=False),
    Column("period_mark", Boolean, nullable=False),
    Column("value", String(1), nullable=False),  # current value: what a cancellation withdrew
)
items = Table(
    "mark_history_items", metadata,
    Column("mark_id", Uuid, primary_key=True),
    Column("position", BigInteger, primary_key=True),  # the event's log position
    Column("kind", String(16), nullable=False),  # given | corrected | cancelled
    Column("value", String(1), nullable=False),
    Column("reason", Text, nullable=True),  # why; None for given
    Column("by", Uuid, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),  # UTC
)




_set_value = prepare(update(marks).where(marks.c.mark_id == bindparam("m"))
                     .values(value=bindparam("v")))


def _item(batch: Batch, mark_id: UUID, position: int, kind: str, value: str,
          reason: str | None, e: Any) -> None:
    batch.insert(items, {"mark_id": mark_id, "position": position, "kind": kind,
                         "value": value, "reason": reason, "by": e.by,
                         "recorded_at": as_utc(e.timestamp)})


class MarkHistory(ReadModel):
    name = "mark_history"
    tables = (marks, items)

    @handles(Lesson.MarkGiven)
    def mark_given(self, batch: Batch, e: Any, position: int) -> None:
        batch.insert(marks, {"mark_id": e.mark_id, "journal_id": e.journal_id,
                             "period_mark": False, "value": e.value})
        _item(batch, e.mark_id, position, "given", e.value, None, e)

    @handles(Lesson.MarkCorrected)
    def mark_corrected(self, batch: Batch, e: Any, position: int) -> None:
        batch.run(_set_value, {"m": e.mark_id, "v": e.value})
        _item(batch, e.mark_id, position, "corrected", e.value, e.reason, e)

    @handles(Lesson.MarkCancelled)
    def mark_cancelled(self, batch: Batch, e: Any, position: int) -> None:
        value = batch.scalar(select(marks.c.value).where(marks.c.mark_id == e.mark_id))
        _item(batch, e.mark_id, position, "cancelled", value or "", e.reason, e)

    @handles(PeriodMark.Given)
    def period_mark_given(self, batch: Batch, e: Any, position: int) -> None:
        batch.insert(marks, {"mark_id": e.originator_id, "journal_id": e.journal_id,
                             "period_mark": True, "value": e.value})
        _item(batch, e.originator_id, position, "given", e.value, None, e)

    @handles(PeriodMark.Corrected)
    def period_mark_corrected(self, batch: Batch, e: Any, position: int) -> None:
        batch.run(_set_value, {"m": e.originator_id, "v": e.value})
        _item(batch, e.originator_id, position, "corrected", e.value, e.reason, e)


@dataclass
class HistoryItem:
    kind: str  # given | corrected | cancelled
    value: str  # for cancelled: the value the mark had
    reason: str | None
    by: UUID
    recorded_at: datetime  # UTC
    position: int


def _history(conn: Connection, journal_id: UUID, mark_id: UUID, period_mark: bool
             ) -> list[HistoryItem] | None:
    found = conn.scalar(select(marks.c.mark_id).where(
        marks.c.mark_id == mark_id, marks.c.journal_id == journal_id,
        marks.c.period_mark == period_mark))
    if found is None:
        return None
    rows = conn.execute(select(items).where(items.c.mark_id == mark_id)
                        .order_by(items.c.position)).all()
    return [HistoryItem(kind=row.kind, value=row.value, reason=row.reason, by=row.by,
                        recorded_at=as_utc(row.recorded_at), position=row.position)
            for row in rows]


def read_mark_history(conn: Connection, journal_id: UUID, mark_id: UUID
                      ) -> list[HistoryItem] | None:
    """The mark's history, oldest first; None when the journal has no such mark."""
    return _history(conn, journal_id, mark_id, period_mark=False)


def read_period_mark_history(conn: Connection, journal_id: UUID, period_mark_id: UUID
                             ) -> list[HistoryItem] | None:
    """The period mark's history (given, corrected), oldest first; None when the journal has
    no such period mark."""
    return _history(conn, journal_id, period_mark_id, period_mark=True)
