"""The edit history of marks (R-7.2): every mark's chain given → corrected → cancelled, with
who, when and why; corrections never overwrite, so every value a mark ever had stays visible.

Period marks have their own chain, given → corrected; homework files theirs, attached →
retracted (``file_history.py``). Items are kept per (mark, position), so one mark's history is
one index range scan; each item names its journal, so a reader asking
through one journal never sees another journal's mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
    select,
)

from ejournal.domain.lesson import Lesson
from ejournal.domain.period_mark import PeriodMark
from ejournal.projections.base import ReadModel, as_utc, handles, metadata
from ejournal.projections.batching import Batch
from ejournal.projections.file_history import KeepsFileHistory, file_items
from ejournal.projections.naming import KeepsNames, name_tables, named

items = Table(
    "mark_history_items", metadata,
    Column("mark_id", Uuid, primary_key=True),  # a mark's id, or a period mark's
    Column("position", BigInteger, primary_key=True),  # the event's log position
    Column("journal_id", Uuid, nullable=False),
    Column("period_mark", Boolean, nullable=False),
    Column("kind", String(16), nullable=False),  # given | corrected | cancelled
    Column("value", String(1), nullable=False),  # for cancelled: the value withdrawn
    Column("reason", Text, nullable=True),  # why; None for given
    Column("by", Uuid, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),  # UTC
)
names, journals = name_tables("mark_history")


def _item(batch: Batch, mark_id: UUID, position: int, kind: str, value: str,
          reason: str | None, e: Lesson.MarkGiven | Lesson.MarkCorrected | Lesson.MarkCancelled
          | PeriodMark.Given | PeriodMark.Corrected, *, period_mark: bool) -> None:
    batch.insert(items, {"mark_id": mark_id, "position": position,
                         "journal_id": e.journal_id, "period_mark": period_mark, "kind": kind,
                         "value": value, "reason": reason, "by": e.by,
                         "recorded_at": as_utc(e.timestamp)})


class MarkHistory(KeepsFileHistory, KeepsNames, ReadModel):
    names_table = names
    journals_table = journals
    name = "mark_history"
    tables = (items, names, journals, file_items)

    @handles(Lesson.MarkGiven)
    def mark_given(self, batch: Batch, e: Lesson.MarkGiven, position: int) -> None:
        _item(batch, e.mark_id, position, "given", e.value, None, e, period_mark=False)

    @handles(Lesson.MarkCorrected)
    def mark_corrected(self, batch: Batch, e: Lesson.MarkCorrected, position: int) -> None:
        _item(batch, e.mark_id, position, "corrected", e.value, e.reason, e, period_mark=False)

    @handles(Lesson.MarkCancelled)
    def mark_cancelled(self, batch: Batch, e: Lesson.MarkCancelled, position: int) -> None:
        _item(batch, e.mark_id, position, "cancelled", e.value, e.reason, e, period_mark=False)

    @handles(PeriodMark.Given)
    def period_mark_given(self, batch: Batch, e: PeriodMark.Given, position: int) -> None:
        _item(batch, e.originator_id, position, "given", e.value, None, e, period_mark=True)

    @handles(PeriodMark.Corrected)
    def period_mark_corrected(self, batch: Batch, e: PeriodMark.Corrected, position: int
                              ) -> None:
        _item(batch, e.originator_id, position, "corrected", e.value, e.reason, e,
              period_mark=True)


MarkHistory.prepare_names()


@dataclass
class HistoryItem:
    kind: str  # given | corrected | cancelled
    value: str  # for cancelled: the value the mark had
    reason: str | None
    by: UUID
    recorded_at: datetime  # UTC
    position: int
    by_name: str = ""


_BY_NAME, _BY, _ON_BY = named(names, items.c.by, "by_name")
_NAMED_ITEMS = select(items, _BY_NAME).select_from(items.outerjoin(_BY, _ON_BY))


def _history(conn: Connection, journal_id: UUID, mark_id: UUID, period_mark: bool
             ) -> list[HistoryItem] | None:
    rows = conn.execute(_NAMED_ITEMS.where(items.c.mark_id == mark_id)
                        .order_by(items.c.position)).all()
    if not rows or rows[0].journal_id != journal_id or rows[0].period_mark != period_mark:
        return None
    return [HistoryItem(kind=row.kind, value=row.value, reason=row.reason, by=row.by,
                        recorded_at=as_utc(row.recorded_at), position=row.position,
                        by_name=row.by_name)
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
