"""Each homework file's history (R-7.2), kept by the edit history (``mark_history``): attached
(its name, by whom, when) and retracted (by whom, when, why), one row per event, keyed by the
lesson - so a lesson's history still shows a file that is no longer served, and who removed
it. The diary's own table (``diary_files.py``) holds only the files served now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Column, Connection, DateTime, String, Table, Text, Uuid, select

from ejournal.domain.homework_file import HomeworkFile
from ejournal.projections.base import as_utc, handles, metadata
from ejournal.projections.batching import Batch

file_items = Table(
    "mark_history_files", metadata,
    Column("lesson_id", Uuid, primary_key=True),
    Column("position", BigInteger, primary_key=True),  # the event's log position
    Column("file_id", Uuid, nullable=False),
    Column("journal_id", Uuid, nullable=False),
    Column("kind", String(16), nullable=False),  # attached | retracted
    Column("name", Text, nullable=True),  # the file's name; None on its retraction
    Column("reason", Text, nullable=True),  # why retracted; None when attached
    Column("by", Uuid, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),  # UTC
)


class KeepsFileHistory:
    """Mixed into the edit history: a row per file attached or retracted."""

    @handles(HomeworkFile.Attached)
    def history_file_attached(self, batch: Batch, e: HomeworkFile.Attached,
                              position: int) -> None:
        batch.insert(file_items, {
            "lesson_id": e.lesson_id, "position": position, "file_id": e.originator_id,
            "journal_id": e.journal_id, "kind": "attached", "name": e.name, "reason": None,
            "by": e.by, "recorded_at": as_utc(e.timestamp)})

    @handles(HomeworkFile.Retracted)
    def history_file_retracted(self, batch: Batch, e: HomeworkFile.Retracted,
                               position: int) -> None:
        batch.insert(file_items, {
            "lesson_id": e.lesson_id, "position": position, "file_id": e.originator_id,
            "journal_id": e.journal_id, "kind": "retracted", "name": None,
            "reason": e.reason, "by": e.by, "recorded_at": as_utc(e.timestamp)})


@dataclass(frozen=True)
class FileEvent:
    kind: str  # attached | retracted
    file_id: UUID
    name: str  # the file's, on its retraction too
    reason: str | None
    by: UUID
    recorded_at: datetime  # UTC


def lesson_file_history(conn: Connection, journal_id: UUID, lesson_id: UUID
                        ) -> list[FileEvent]:
    """The lesson's files attached and retracted, in the order recorded."""
    rows = conn.execute(select(file_items).where(file_items.c.lesson_id == lesson_id,
                                                 file_items.c.journal_id == journal_id)
                        .order_by(file_items.c.position)).all()
    names = {r.file_id: r.name for r in rows if r.kind == "attached"}
    return [FileEvent(r.kind, r.file_id, r.name or names.get(r.file_id, ""), r.reason, r.by,
                      as_utc(r.recorded_at)) for r in rows]
