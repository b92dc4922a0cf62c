"""Findings of the compliance scheduler (``MissingEntry.Found`` / ``.Resolved``): what was
missing when its deadline passed, who answered for it, and when it arrived, if it did; and the
timeliness report, which counts them beside the entries (``timeliness.py``).

A late entry that answers an open finding marks it "entered" at once, and the scheduler then
records ``MissingEntry.Resolved`` with the entry's recording time. A finding's row may arrive
after the entry that answers it (the scheduler checked, the teacher wrote, then the finding
was saved): :func:`answered_before` finds those among the entries kept, so no order of the two
loses the resolution.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Uuid,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)

from ejournal.domain.findings import MissingEntry
from ejournal.domain.ids import lesson_id, period_mark_id
from ejournal.domain.lesson import Lesson
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.timeliness import R_LESSON, R_PERIOD, R_SAME_DAY, R_WRITTEN
from ejournal.projections.base import ReadModel, as_utc, handles, metadata
from ejournal.projections.batching import Batch, prepare
from ejournal.projections.naming import JournalNames, KeepsNames, name_tables, named
from ejournal.projections.timeliness import Entry, entries, entry_rule

OPEN, ENTERED, RESOLVED = "open", "entered", "resolved"

findings = Table(
    "findings", metadata,
    Column("finding_id", Uuid, primary_key=True),
    Column("position", BigInteger, nullable=False, unique=True),  # of MissingEntry.Found
    Column("school_id", Uuid, nullable=False),
    Column("rule", String(16), nullable=False),
    Column("journal_id", Uuid, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("slot", Integer, nullable=True),
    Column("student_id", Uuid, nullable=True),
    Column("period_id", Uuid, nullable=True),
    Column("due", Date, nullable=False),
    Column("teacher_id", Uuid, nullable=False),
    Column("target_id", Uuid, nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False),  # UTC
    Column("status", String(16), nullable=False),  # open | entered | resolved
    Column("entered_at", DateTime(timezone=True), nullable=True),  # the entry's recording
    Column("entered_by", Uuid, nullable=True),
    Column("resolved_at", DateTime(timezone=True), nullable=True),  # Resolved recorded
    # The list: by business date, then in the order found; and the report's covering index.
    Index("ix_findings_list", "school_id", "business_date", "position"),
    Index("ix_findings_report", "school_id", "business_date", "teacher_id", "rule",
          "status"),
    Index("ix_findings_school_status", "school_id", "status"),
    Index("ix_findings_target", "target_id"),
)

names, journals = name_tables("findings")

#: Which entry answers a finding of each rule: (kind, rule of the entry).
ANSWERS: dict[str, tuple[str, str]] = {
    R_LESSON: ("lesson", R_LESSON),
    R_SAME_DAY: ("attendance", R_SAME_DAY),
    R_WRITTEN: ("mark", R_WRITTEN),
    R_PERIOD: ("period_mark", R_PERIOD),
}
_ANSWERED_BY = {answer: rule for rule, answer in ANSWERS.items()}
_BY_STUDENT = {R_WRITTEN}  # findings about one student's entry (period marks: by target)

_open_finding = (findings.c.target_id == bindparam("t"), findings.c.rule == bindparam("r"),
                 findings.c.status == OPEN)
_entered = {"status": ENTERED, "entered_at": bindparam("at"), "entered_by": bindparam("b")}
#: A late entry answers the open findings that wait for it.
_ENTERED = prepare(update(findings).where(*_open_finding).values(**_entered))
_ENTERED_BY_STUDENT = prepare(update(findings).where(
    *_open_finding, findings.c.student_id == bindparam("s")).values(**_entered))
#: A late lesson answers the open R-4.5 finding of its own slot, else the first other one of its
#: journal and date: a lesson moved to another slot (перестановка) counts for the day.
_other = findings.alias("other")
_ENTERED_LESSON = prepare(update(findings).where(
    findings.c.finding_id == select(_other.c.finding_id).where(
        _other.c.school_id == bindparam("sc"), _other.c.business_date == bindparam("d"),
        _other.c.journal_id == bindparam("j"), _other.c.rule == R_LESSON,
        _other.c.status == OPEN)
    .order_by(case((_other.c.slot == bindparam("s"), 0), else_=1), _other.c.position)
    .limit(1).scalar_subquery()).values(**_entered))
_RESOLVED = prepare(update(findings).where(findings.c.finding_id == bindparam("f")).values(
    status=RESOLVED, entered_at=bindparam("at"), entered_by=bindparam("b"),
    resolved_at=bindparam("done")))

_REOPENED = prepare(update(findings).where(findings.c.finding_id == bindparam("f")).values(
    status=OPEN, entered_at=None, entered_by=None, resolved_at=None))


class Findings(KeepsNames, ReadModel):
    names_table = names
    journals_table = journals
    name = "findings"
    tables = (findings, names, journals)

    @handles(Lesson.Held, Lesson.AttendanceTaken, Lesson.AbsenceCancelled, Lesson.MarkGiven,
             PeriodMark.Given)
    def entry_recorded(self, batch: Batch, e: Entry, _: int) -> None:
        """A late entry answers the open findings that wait for it (one on time was made
        before the deadline: no finding waits for it)."""
        if e.late is None:
            return
        kind, rule, _day, student_id = entry_rule(e)
        answered = _ANSWERED_BY.get((kind, rule))
        if answered is None:
            return
        params = {"t": e.originator_id, "r": answered, "at": as_utc(e.timestamp), "b": e.by}
        if isinstance(e, Lesson.AttendanceTaken):
            # A student recorded absent, late, needed no written mark there (R-6.1d).
            for absence in e.absent:
                batch.run(_ENTERED_BY_STUDENT, {**params, "r": R_WRITTEN,
                                                "s": absence.student_id})
        if isinstance(e, Lesson.Held):
            batch.run(_ENTERED_LESSON, {"at": params["at"], "b": e.by, "sc": e.school_id,
                                        "d": e.lesson_date, "j": e.journal_id, "s": e.slot})
        elif answered in _BY_STUDENT:
            batch.run(_ENTERED_BY_STUDENT, {**params, "s": student_id})
        else:
            batch.run(_ENTERED, params)

    @handles(MissingEntry.Found)
    def missing_entry_found(self, batch: Batch, e: MissingEntry.Found, position: int) -> None:
        if e.student_id is not None and e.period_id is not None:
            target = period_mark_id(e.journal_id, e.student_id, e.period_id)
        else:
            target = lesson_id(e.journal_id, e.business_date, e.slot or 0)
        # Open: an entry recorded after it marks it entered (``entry_recorded``); one recorded
        # between the check's read and this save is found by the scheduler (answered_before).
        batch.insert(findings, {
            "finding_id": e.originator_id, "position": position, "school_id": e.school_id,
            "rule": e.rule, "journal_id": e.journal_id, "business_date": e.business_date,
            "slot": e.slot, "student_id": e.student_id, "period_id": e.period_id,
            "due": e.due, "teacher_id": e.teacher_id, "target_id": target,
            "detected_at": as_utc(e.timestamp), "status": OPEN, "entered_at": None,
            "entered_by": None, "resolved_at": None})

    @handles(MissingEntry.Reopened)
    def missing_entry_reopened(self, batch: Batch, e: MissingEntry.Reopened, _: int) -> None:
        """The entry that answered it was withdrawn: missing again, whatever it was."""
        batch.run(_REOPENED, {"f": e.originator_id})

    @handles(MissingEntry.Resolved)
    def missing_entry_resolved(self, batch: Batch, e: MissingEntry.Resolved, _: int) -> None:
        batch.run(_RESOLVED, {"f": e.originator_id, "at": as_utc(e.entered_at),
                              "b": e.entered_by, "done": as_utc(e.timestamp)})


Findings.prepare_names()


@dataclass(frozen=True)
class OverdueItem:
    position: int
    finding_id: UUID
    rule: str
    journal_id: UUID
    business_date: date  # the lesson's date, or the period's last day (API: `date`)
    slot: int | None
    student_id: UUID | None  # None where the finding is about a whole lesson
    due: date
    teacher_id: UUID
    detected_at: datetime
    resolved_at: datetime | None  # when the missing entry was recorded (late), if it was
    resolved_by: UUID | None
    teacher_name: str = ""
    student_name: str | None = None
    class_name: str = ""
    subject_name: str = ""
    resolved_by_name: str | None = None


_JOURNAL = JournalNames.of(names, journals, findings.c.journal_id)
_TEACHER_NAME, _TEACHER, _ON_TEACHER = named(names, findings.c.teacher_id, "teacher_name")
_STUDENT_NAME, _STUDENT, _ON_STUDENT = named(names, findings.c.student_id, "student_name")
_RESOLVER_NAME, _RESOLVER, _ON_RESOLVER = named(names, findings.c.entered_by,
                                                "resolved_by_name")
_NAMED_FINDINGS = (select(findings, _TEACHER_NAME, _STUDENT_NAME, _RESOLVER_NAME,
                          _JOURNAL.class_name, _JOURNAL.subject_name)
                   .select_from(_JOURNAL.join(findings).outerjoin(_TEACHER, _ON_TEACHER)
                                .outerjoin(_STUDENT, _ON_STUDENT)
                                .outerjoin(_RESOLVER, _ON_RESOLVER)))


def read_overdue(conn: Connection, school_id: UUID, *, first: date | None = None,
                 last: date | None = None, rule: str | None = None,
                 journal_id: UUID | None = None, after: tuple[date, int] | None = None,
                 open_only: bool = False, limit: int = 1000) -> list[OverdueItem]:
    """The school's findings, oldest first: by business date, then in the order they were
    found. ``after``: the ``(business_date, position)`` of the last item of the page before
    (the cursor)."""
    query = _NAMED_FINDINGS.where(findings.c.school_id == school_id)
    if first is not None:
        query = query.where(findings.c.business_date >= first)
    if last is not None:
        query = query.where(findings.c.business_date <= last)
    if rule is not None:
        query = query.where(findings.c.rule == rule)
    if journal_id is not None:
        query = query.where(findings.c.journal_id == journal_id)
    if after is not None:
        day, position = after
        query = query.where(findings.c.business_date >= day, or_(
            findings.c.business_date > day, findings.c.position > position))
    if open_only:
        query = query.where(findings.c.status == OPEN)
    rows = conn.execute(query.order_by(findings.c.business_date, findings.c.position)
                        .limit(limit)).all()
    return [OverdueItem(
        position=r.position, finding_id=r.finding_id, rule=r.rule, journal_id=r.journal_id,
        business_date=r.business_date, slot=r.slot, student_id=r.student_id, due=r.due,
        teacher_id=r.teacher_id, detected_at=as_utc(r.detected_at),
        resolved_at=as_utc(r.entered_at) if r.entered_at is not None else None,
        resolved_by=r.entered_by, teacher_name=r.teacher_name,
        student_name=r.student_name if r.student_id is not None else None,
        class_name=r.class_name, subject_name=r.subject_name,
        resolved_by_name=r.resolved_by_name if r.entered_by is not None else None)
        for r in rows]


@dataclass(frozen=True)
class Timeliness:
    teacher_id: UUID
    rule: str
    on_time: int
    late: int
    missing: int  # findings whose entry never arrived
    resolved: int  # findings whose entry arrived later (counted in `late` as well)
    teacher_name: str = ""


def read_timeliness(conn: Connection, school_id: UUID, first: date, last: date
                    ) -> list[Timeliness]:
    """Per teacher and rule: entries on time and late (by their author), and entries missing
    (by the teacher who answered for them), over business dates ``first``..``last``."""
    counts: dict[tuple[UUID, str], list[int]] = {}

    def tally(table: Any, who: Any, yes: Any, at: int) -> None:
        """Per (who, rule) of the school's rows over the dates: how many are ``yes``, how
        many not, added at ``counts[...][at]`` and ``[at + 1]``."""
        rows = conn.execute(
            select(who, table.c.rule, func.sum(case((yes, 1), else_=0)),
                   func.sum(case((yes, 0), else_=1)))
            .where(table.c.school_id == school_id, table.c.business_date >= first,
                   table.c.business_date <= last)
            .group_by(who, table.c.rule)).all()
        for key, rule, yes_count, no_count in rows:
            row = counts.setdefault((key, rule), [0, 0, 0, 0])
            row[at] += int(yes_count or 0)
            row[at + 1] += int(no_count or 0)

    tally(entries, entries.c.by, ~entries.c.late, 0)  # on time, late
    tally(findings, findings.c.teacher_id, findings.c.status == OPEN, 2)  # missing, resolved
    teachers = {teacher for teacher, _ in counts}
    known = dict(conn.execute(select(names.c.id, names.c.name)
                              .where(names.c.id.in_(teachers))).tuples().all()) if teachers \
        else {}
    return [Timeliness(teacher, rule, values[0], values[1], values[2], values[3],
                       known.get(teacher, ""))
            for (teacher, rule), values in sorted(counts.items(), key=lambda kv: (
                str(kv[0][0]), kv[0][1]))]


@dataclass(frozen=True)
class Answered:
    """A finding whose entry has arrived, not yet recorded as resolved."""

    finding_id: UUID
    entered_at: datetime
    entered_by: UUID


def answered_before(conn: Connection, school_id: UUID,
                    finding_ids: Collection[UUID] | None = None) -> list[Answered]:
    """Open findings (the school's, or only these) whose entry is among the entries kept -
    recorded before the finding was saved (the check read, the teacher wrote, the check
    saved), and that still stands (a cancelled mark answers nothing). Set-based: a statement
    per 500 findings and per 500 lessons or period marks."""
    query = select(findings.c.finding_id, findings.c.rule, findings.c.target_id,
                   findings.c.student_id, findings.c.school_id, findings.c.status)
    if finding_ids is None:
        found = list(conn.execute(query.where(findings.c.school_id == school_id,
                                              findings.c.status == OPEN)).all())
    else:
        # By the primary key alone (a planner given the school and status too may prefer
        # their index, and walk every open finding of the school); filtered here.
        chosen = list(finding_ids)
        found = [row for i in range(0, len(chosen), 500)
                 for row in conn.execute(query.where(
                     findings.c.finding_id.in_(chosen[i:i + 500]))).all()
                 if row.school_id == school_id and row.status == OPEN]
    targets = list({row.target_id for row in found})
    by_target: dict[UUID, list[Any]] = {}
    for i in range(0, len(targets), 500):
        for row in conn.execute(select(
                entries.c.target_id, entries.c.entry, entries.c.rule, entries.c.student_id,
                entries.c.position, entries.c.recorded_at, entries.c.by).where(
                entries.c.target_id.in_(targets[i:i + 500]),
                entries.c.withdrawn.is_(False))).all():
            by_target.setdefault(row.target_id, []).append(row)
    answers = []
    for finding in found:
        kind, entry_rule = ANSWERS[finding.rule]
        candidates = [e for e in by_target.get(finding.target_id, ())
                      if e.entry == kind and e.rule == entry_rule
                      and (finding.rule not in _BY_STUDENT or e.student_id == finding.student_id)]
        if candidates:
            first = min(candidates, key=lambda e: e.position)
            answers.append(Answered(finding.finding_id, as_utc(first.recorded_at), first.by))
    return answers


def answered_findings(conn: Connection, school_id: UUID) -> list[Answered]:
    # By the (school, status) index: no ORDER BY, which a planner may serve by walking every
    # finding of the school in position order instead.
    rows = sorted(conn.execute(
        select(findings.c.position, findings.c.finding_id, findings.c.entered_at,
               findings.c.entered_by)
        .where(and_(findings.c.school_id == school_id, findings.c.status == ENTERED))).all(),
        key=lambda r: r.position)
    return [Answered(r.finding_id, as_utc(r.entered_at), r.entered_by) for r in rows]
