"""Every journal entry that answers to a timeliness rule (R-4.5, R-4.6, R-6.1d, R-6.2), on
time or late: a lesson held, attendance, a cancelled absence, a mark, a period mark.

One row per entry, with its rule, author, business date and its own ``late`` verdict as it
stood when it was recorded (never recomputed: domain.md accepts and flags a late entry). The
late-entry audit lists the late ones (an index over those alone, in log order, per school,
teacher or journal); the timeliness report counts them all; the findings model looks here for
the entry that answers a finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Uuid,
    bindparam,
    select,
    update,
)

from ejournal.domain.lesson import Lesson
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.timeliness import R_LESSON, R_PERIOD, R_SAME_DAY, R_WRITTEN
from ejournal.domain.values import Late
from ejournal.projections.base import ReadModel, as_utc, handles, metadata
from ejournal.projections.batching import Batch, prepare
from ejournal.projections.naming import JournalNames, KeepsNames, name_tables, named

entries = Table(
    "timeliness_entries", metadata,
    Column("position", BigInteger, primary_key=True),  # the event's log position
    Column("school_id", Uuid, nullable=False),
    Column("journal_id", Uuid, nullable=False),
    Column("target_id", Uuid, nullable=False),  # the lesson, or the period mark
    Column("entry", String(32), nullable=False),  # lesson|attendance|absence_cancellation|...
    Column("student_id", Uuid, nullable=True),  # marks, cancelled absences, period marks
    Column("mark_id", Uuid, nullable=True),  # marks
    # A mark cancelled since: it stays in the audit, and answers no finding (R-6.1d).
    Column("withdrawn", Boolean, nullable=False, default=False),
    Column("rule", String(16), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("by", Uuid, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),  # UTC
    Column("late", Boolean, nullable=False),
    # the late verdict; None for an entry on time
    Column("due", Date, nullable=True),
    Column("recorded_on", Date, nullable=True),  # school-local date of recorded_at
    Column("days", Integer, nullable=True),
    Column("working_days", Integer, nullable=True),
)
names, journals = name_tables("timeliness")
LATE = entries.c.late.is_(True)
Index("ix_timeliness_entries_target", entries.c.target_id)
# The timeliness report reads this index alone (a year of a school: an index range).
Index("ix_timeliness_entries_report", entries.c.school_id, entries.c.business_date,
      entries.c.by, entries.c.rule, entries.c.late)
# The late-entry audit's lists: over the late entries only.
for _name, _columns in (("school_position", ("school_id", "position")),
                        ("school_date", ("school_id", "business_date")),
                        ("school_by_position", ("school_id", "by", "position")),
                        ("journal_position", ("journal_id", "position"))):
    Index(f"ix_timeliness_late_{_name}", *(entries.c[c] for c in _columns),
          sqlite_where=LATE, postgresql_where=LATE)

#: Entries of lessons that answer to a timeliness rule.
LessonEntry = (Lesson.Held | Lesson.AttendanceTaken | Lesson.AbsenceCancelled
               | Lesson.MarkGiven)
Entry = LessonEntry | PeriodMark.Given


def entry_rule(e: Entry) -> tuple[str, str, date, UUID | None]:
    """The entry's kind, the rule it answers to, its business date and student (if any). A
    late entry's own verdict names its rule; on time, domain.md's table decides."""
    if isinstance(e, PeriodMark.Given):
        kind, rule, day, student = "period_mark", R_PERIOD, e.period_ends_on, e.student_id
    elif isinstance(e, Lesson.Held):
        kind, rule, day, student = "lesson", R_LESSON, e.lesson_date, None
    elif isinstance(e, Lesson.AttendanceTaken):
        kind, rule, day, student = "attendance", R_SAME_DAY, e.lesson_date, None
    elif isinstance(e, Lesson.AbsenceCancelled):
        kind, rule, day, student = "absence_cancellation", R_SAME_DAY, e.lesson_date, e.student_id
    else:
        rule = R_WRITTEN if e.work.is_written else R_SAME_DAY
        kind, day, student = "mark", e.lesson_date, e.student_id
    return kind, e.late.rule if e.late else rule, day, student


def _row(e: Entry | PeriodMark.Corrected, position: int, kind: str, rule: str, day: date,
         student_id: UUID | None, late: Late | None, mark_id: UUID | None) -> dict[str, Any]:
    return {"position": position, "school_id": e.school_id, "journal_id": e.journal_id,
            "target_id": e.originator_id, "entry": kind, "student_id": student_id,
            "mark_id": mark_id, "withdrawn": False, "rule": rule, "business_date": day,
            "by": e.by, "recorded_at": as_utc(e.timestamp), "late": late is not None,
            "due": late.due if late else None,
            "recorded_on": late.recorded_on if late else None,
            "days": late.days if late else None,
            "working_days": late.working_days if late else None}


class Timeliness(KeepsNames, ReadModel):
    names_table = names
    journals_table = journals
    name = "timeliness"
    tables = (entries, names, journals)

    @handles(Lesson.Held, Lesson.AttendanceTaken, Lesson.AbsenceCancelled, Lesson.MarkGiven,
             PeriodMark.Given)
    def entry_recorded(self, batch: Batch, e: Entry, position: int) -> None:
        kind, rule, business_date, student_id = entry_rule(e)
        batch.insert(entries, _row(e, position, kind, rule, business_date, student_id, e.late,
                                   e.mark_id if isinstance(e, Lesson.MarkGiven) else None))

    @handles(PeriodMark.Corrected)
    def period_mark_corrected(self, batch: Batch, e: PeriodMark.Corrected, position: int
                              ) -> None:
        """A correction after the period's last day is listed in the late-entry audit
        (R-6.2); one before it answers to no rule."""
        if e.late is not None:
            batch.insert(entries, _row(e, position, "period_mark_correction", e.late.rule,
                                       e.period_ends_on, e.student_id, e.late, None))

    @handles(Lesson.MarkCancelled)
    def mark_cancelled(self, batch: Batch, e: Lesson.MarkCancelled, _: int) -> None:
        batch.run(_WITHDRAWN, {"t": e.originator_id, "m": e.mark_id})


_WITHDRAWN = prepare(update(entries).where(
    entries.c.target_id == bindparam("t"), entries.c.mark_id == bindparam("m"))
    .values(withdrawn=True))

Timeliness.prepare_names()


@dataclass
class LateEntry:
    position: int
    school_id: UUID
    rule: str
    journal_id: UUID
    entry: str  # lesson | attendance | absence_cancellation | mark | period_mark
    # | period_mark_correction
    business_date: date  # the lesson's date, or the period's last day (API: `date`)
    due: date
    recorded_at: datetime  # UTC
    recorded_on: date  # school-local
    by: UUID
    days: int
    working_days: int
    student_id: UUID | None  # marks, cancelled absences, period marks
    by_name: str
    class_name: str
    subject_name: str
    student_name: str | None


_JOURNAL = JournalNames.of(names, journals, entries.c.journal_id)
_BY_NAME, _BY, _ON_BY = named(names, entries.c.by, "by_name")
_STUDENT_NAME, _STUDENT, _ON_STUDENT = named(names, entries.c.student_id, "student_name")
_NAMED_ENTRIES = (select(entries, _BY_NAME, _JOURNAL.class_name, _JOURNAL.subject_name,
                         _STUDENT_NAME)
                  .select_from(_JOURNAL.join(entries).outerjoin(_BY, _ON_BY)
                               .outerjoin(_STUDENT, _ON_STUDENT)))


def read_late_entries(conn: Connection, school_id: UUID, *, first: date | None = None,
                      last: date | None = None, teacher_id: UUID | None = None,
                      journal_id: UUID | None = None, rule: str | None = None,
                      after_position: int | None = None, limit: int = 1000
                      ) -> list[LateEntry]:
    """The school's late entries, oldest first (log order), with the names of their author,
    class, subject and student, in one statement.

    ``first``/``last`` bound the business date (inclusive); ``teacher_id`` is the entry's
    author; ``after_position`` is the cursor for the next page (the last row's ``position``).
    """
    query = _NAMED_ENTRIES.where(entries.c.school_id == school_id, LATE)
    if first is not None:
        query = query.where(entries.c.business_date >= first)
    if last is not None:
        query = query.where(entries.c.business_date <= last)
    if teacher_id is not None:
        query = query.where(entries.c.by == teacher_id)
    if journal_id is not None:
        query = query.where(entries.c.journal_id == journal_id)
    if rule is not None:
        query = query.where(entries.c.rule == rule)
    if after_position is not None:
        query = query.where(entries.c.position > after_position)
    rows = conn.execute(query.order_by(entries.c.position).limit(limit)).all()
    return [
        LateEntry(position=row.position, school_id=row.school_id, rule=row.rule,
                  journal_id=row.journal_id, entry=row.entry, business_date=row.business_date,
                  due=row.due, recorded_at=as_utc(row.recorded_at), recorded_on=row.recorded_on,
                  by=row.by, days=row.days, working_days=row.working_days,
                  student_id=row.student_id, by_name=row.by_name, class_name=row.class_name,
                  subject_name=row.subject_name,
                  student_name=row.student_name if row.student_id is not None else None)
        for row in rows
    ]
