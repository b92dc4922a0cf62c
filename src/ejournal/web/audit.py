"""What the auditor's pages read: the API's compliance reads (late entries, the scheduler's
findings, timeliness per teacher: ``may_audit_school`` first, as over the API) with the
filters the page offers, and where each entry's history is kept.

A filter naming a teacher, class or subject the viewer's school does not have is 404, as an
address of another school is: ids cannot be probed through the filters either."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Connection, select

from ejournal.api import queries
from ejournal.api.access import log_access, may_audit_school, may_read_journal, not_found
from ejournal.api.closures import period_closures
from ejournal.api.deps import Principal
from ejournal.api.lookup_access import current
from ejournal.api.services import Services
from ejournal.domain.findings import RULES
from ejournal.projections.base import as_utc
from ejournal.projections.file_history import lesson_file_history
from ejournal.projections.findings import OverdueItem, read_overdue, read_timeliness
from ejournal.projections.findings import Timeliness as TimelinessRow
from ejournal.projections.history import items as history_items
from ejournal.projections.lookup_reads import (
    ClassRow,
    Person,
    SubjectRow,
    read_classes,
    read_people,
    read_subjects,
)
from ejournal.projections.lookups import journals
from ejournal.projections.timeliness import LateEntry, entries, read_late_entries
from ejournal.web import lookups

#: The most rows a page shows; «Показать ещё» pages on.
PAGE = 200
#: How many rows one read scans when a class or subject filter leaves some out.
SCAN = 2000
REPORTS = ("late", "overdue", "timeliness")


@dataclass(frozen=True)
class Filters:
    """The page's filters as asked (ids the viewer's school has; dates of the school year of
    today when left out)."""

    report: str
    first: date
    last: date
    teacher: UUID | None = None
    class_id: UUID | None = None
    subject: UUID | None = None
    rule: str | None = None

    def query(self, **changed: object) -> str:
        """The page's address with these filters (and ``changed`` ones)."""
        values = {"report": self.report, "from": self.first, "to": self.last,
                  "teacher": self.teacher, "class": self.class_id, "subject": self.subject,
                  "rule": self.rule, **changed}
        return "/audit?" + "&".join(f"{k}={v}" for k, v in values.items() if v is not None)


@dataclass
class Choices:
    """What the filters offer: the school's teachers, classes and subjects, the rules."""

    teachers: list[Person]
    classes: list[ClassRow]
    subjects: list[SubjectRow]
    rules: tuple[str, ...] = RULES


def choices(svc: Services, viewer: Principal) -> Choices:
    """The filters' options; 403 for a role that never audits (before anything is read)."""
    school = _school(viewer)
    current(svc)
    with svc.reader.connect() as conn:
        return Choices(read_people(conn, school, "teacher"), read_classes(conn, school),
                       read_subjects(conn, school))


def _school(viewer: Principal) -> UUID:
    """The viewer's school, which they audit (403 for a role that never audits)."""
    school = viewer.school_id or UUID(int=0)
    may_audit_school(viewer, school)
    return school


def filters(viewer: Principal, offered: Choices, today: date, *, report: str,
            first: date | None, last: date | None, teacher: UUID | None,
            class_id: UUID | None, subject: UUID | None, rule: str | None) -> Filters:
    """The filters asked, each checked against the viewer's school (404 for one it has
    not)."""
    _school(viewer)
    if teacher is not None and teacher not in {p.id for p in offered.teachers}:
        raise not_found("teacher", teacher)
    if class_id is not None and class_id not in {c.id for c in offered.classes}:
        raise not_found("class", class_id)
    if subject is not None and subject not in {s.id for s in offered.subjects}:
        raise not_found("subject", subject)
    span = queries.span(first, last, today)
    return Filters(report, span[0], span[1], teacher, class_id, subject, rule)


def _journals(conn: Connection, school_id: UUID, chosen: Filters) -> set[UUID] | None:
    """The school's journals of the class and subject asked (None: no such filter)."""
    if chosen.class_id is None and chosen.subject is None:
        return None
    query = select(journals.c.journal_id).where(journals.c.school_id == school_id)
    if chosen.class_id is not None:
        query = query.where(journals.c.class_id == chosen.class_id)
    if chosen.subject is not None:
        query = query.where(journals.c.subject_id == chosen.subject)
    return set(conn.scalars(query))


@dataclass
class LateRow:
    entry: LateEntry
    history: str | None  # the entry's history page


@dataclass
class LatePage:
    rows: list[LateRow] = field(default_factory=list)
    after: int | None = None  # the next page's cursor


def late(svc: Services, viewer: Principal, chosen: Filters, after: int | None) -> LatePage:
    """The school's late entries (oldest first) as filtered, each with its history's
    address."""
    school = _school(viewer)
    with svc.reader.connect() as conn:
        wanted = _journals(conn, school, chosen)
        found: list[LateEntry] = []
        cursor, more = after, wanted is None or bool(wanted)
        only = next(iter(wanted)) if wanted is not None and len(wanted) == 1 else None
        while more and len(found) <= PAGE:
            batch = read_late_entries(
                conn, school, first=chosen.first, last=chosen.last, teacher_id=chosen.teacher,
                journal_id=only, rule=chosen.rule, after_position=cursor, limit=SCAN)
            more = len(batch) == SCAN
            cursor = batch[-1].position if batch else cursor
            found.extend(e for e in batch if wanted is None or e.journal_id in wanted)
        shown = found[:PAGE]
        targets = _targets(conn, [e.position for e in shown])
    following = shown[-1].position if len(found) > PAGE else None
    return LatePage([LateRow(e, _history(e, targets.get(e.position))) for e in shown],
                    following)


def _targets(conn: Connection, positions: list[int]) -> dict[int, tuple[UUID, bool]]:
    """Each entry's lesson (or period mark), and for a mark the mark itself: what its
    history page names. ``(id, True)``: a mark's or period mark's history."""
    found: dict[int, tuple[UUID, bool]] = {}
    for i in range(0, len(positions), 500):
        chunk = positions[i:i + 500]
        found.update({p: (t, False) for p, t in conn.execute(
            select(entries.c.position, entries.c.target_id)
            .where(entries.c.position.in_(chunk))).tuples()})
        found.update({p: (m, True) for p, m in conn.execute(
            select(history_items.c.position, history_items.c.mark_id)
            .where(history_items.c.position.in_(chunk))).tuples()})
    return found


def _history(e: LateEntry, target: tuple[UUID, bool] | None) -> str | None:
    if target is None:
        return None
    ident, is_mark = target
    base = f"/journals/{e.journal_id}"
    if e.entry in ("period_mark", "period_mark_correction"):
        return f"{base}/period-marks/{ident}/history"
    if e.entry == "mark" and is_mark:
        return f"{base}/marks/{ident}/history"
    return f"{base}/lessons/{ident}/history"


def overdue(svc: Services, viewer: Principal, chosen: Filters) -> list[OverdueItem]:
    """The scheduler's findings over the dates, as filtered (at most ``SCAN``)."""
    school = _school(viewer)
    with svc.reader.connect() as conn:
        wanted = _journals(conn, school, chosen)
        rows = read_overdue(conn, school, first=chosen.first, last=chosen.last,
                            rule=chosen.rule, limit=SCAN)
    return [r for r in rows if (wanted is None or r.journal_id in wanted)
            and (chosen.teacher is None or r.teacher_id == chosen.teacher)]


def timeliness(svc: Services, viewer: Principal, chosen: Filters) -> list[TimelinessRow]:
    """On time, late and missing entries per teacher and rule over the dates."""
    school = _school(viewer)
    with svc.reader.connect() as conn:
        rows = read_timeliness(conn, school, chosen.first, chosen.last)
    return sorted((r for r in rows if (chosen.teacher is None or r.teacher_id == chosen.teacher)
                   and (chosen.rule is None or r.rule == chosen.rule)),
                  key=lambda r: (r.teacher_name, r.rule))


@dataclass(frozen=True)
class LessonEntry:
    entry: str
    rule: str
    by: str
    student: str | None
    recorded_at: datetime
    late_days: int | None
    #: A closing or reopening of the lesson's period (R-3.4b): the period, and why reopened.
    period: str | None = None
    reason: str | None = None
    #: A homework file attached or removed (R-7.2): its name (and ``reason``, why removed).
    file: str | None = None


def lesson_history(svc: Services, viewer: Principal, journal_id: UUID, lesson_id: UUID
                   ) -> list[LessonEntry]:
    """Every entry of the lesson in the order recorded: who, when, and whether late (by its
    rule), with each closing and reopening of a period holding its date (R-3.4b) and each
    homework file attached or removed (R-7.2: a removed one stays here) among them; the
    journal's readers only, the students named in it logged as read."""
    may_read_journal(svc, viewer, journal_id)
    lesson = lookups.lesson(svc, lesson_id)
    if lesson is None or lesson.journal_id != journal_id:
        raise not_found("lesson", lesson_id)
    with svc.reader.connect() as conn:
        rows = conn.execute(select(entries).where(entries.c.target_id == lesson_id)
                            .order_by(entries.c.position)).all()
        files = lesson_file_history(conn, journal_id, lesson_id)
    who = lookups.names(svc, {r.by for r in rows} | {f.by for f in files}
                        | {r.student_id for r in rows if r.student_id is not None})
    students = {r.student_id for r in rows if r.student_id is not None}
    if students:
        log_access(svc, viewer, students, "grid", svc.now())
    found = [LessonEntry(r.entry, r.rule, who.get(r.by, ""),
                         who.get(r.student_id, "") if r.student_id else None,
                         as_utc(r.recorded_at),
                         r.days if r.late else None) for r in rows]
    found += [LessonEntry(c.action, "R-3.4b", c.by_name, None, c.recorded_at, None,
                          period=c.period_name, reason=c.reason)
              for c in period_closures(svc, lesson.school_id, lesson.lesson_date,
                                       lesson.lesson_date)]
    found += [LessonEntry(f"file_{f.kind}", "R-7.2", who.get(f.by, ""), None,
                          f.recorded_at, None, reason=f.reason, file=f.name)
              for f in files]
    return sorted(found, key=lambda e: e.recorded_at)
