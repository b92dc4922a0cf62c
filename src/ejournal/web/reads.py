"""What the pages read, and the one place they read it: the API's access rules first
(``api.access``: 404 for what the viewer may not see, staff reads logged as the API logs
them), then the read models the API answers from, shaped for the templates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from ejournal.api import histories
from ejournal.api.access import (
    Windows,
    log_access,
    may_read_grid,
    may_read_student,
    not_found,
    within,
)
from ejournal.api.deps import Principal
from ejournal.api.services import Services
from ejournal.domain.journal import ClassJournal
from ejournal.domain.values import AbsenceReason, Role
from ejournal.projections.diary import DiaryLesson, read_diary
from ejournal.projections.directory import children_of
from ejournal.projections.feed import FeedItem, read_feed
from ejournal.projections.grid import (
    GridLesson,
    GridView,
    read_grid,
    window_span,
    within_windows,
)
from ejournal.projections.history import HistoryItem
from ejournal.projections.structure import school_structure
from ejournal.projections.summary import SummaryStudent, read_summary
from ejournal.web import i18n, lookups
from ejournal.web.lookups import Period, Person

#: The longest wait for the projector to reach the head of the log (relations that decide
#: what a viewer sees take effect as soon as they are acknowledged).
FRESH = 5.0
PAGE = 50


def _fresh(svc: Services) -> None:
    svc.projector.wait_for(svc.projector.head(), timeout=FRESH)


def family(svc: Services, viewer: Principal) -> list[Person]:
    """The students whose pages the viewer reads: a guardian's children, a student
    themself."""
    if viewer.role is Role.STUDENT:
        return [Person(viewer.user_id, viewer.full_name)]
    _fresh(svc)
    with svc.reader.connect() as conn:
        ids = children_of(conn, viewer.user_id)
    return lookups.people(svc, ids)


# --- the diary -------------------------------------------------------------------------------


@dataclass
class DiaryDay:
    date: date
    lessons: list[DiaryLesson] = field(default_factory=list)


@dataclass
class DiaryWeek:
    student: Person
    monday: date
    days: list[DiaryDay]

    @property
    def last(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)


def diary_week(svc: Services, viewer: Principal, student_id: UUID, day: date) -> DiaryWeek:
    """The week (Monday to Sunday) holding ``day`` of the student's diary: each day Monday
    to Saturday, and Sunday when it has lessons."""
    student = may_read_student(svc, viewer, student_id)
    monday = day - timedelta(days=day.weekday())
    log_access(svc, viewer, student_id, "diary", svc.now())
    with svc.reader.connect() as conn:
        found = {d.date: d.lessons for d in read_diary(conn, student_id, monday,
                                                        monday + timedelta(days=6))}
    days = [DiaryDay(monday + timedelta(days=n), found.get(monday + timedelta(days=n), []))
            for n in range(7)]
    if not days[-1].lessons:
        days.pop()
    return DiaryWeek(Person(student.id, student.full_name), monday, days)


# --- marks by subject ------------------------------------------------------------------------


def average(values: list[str]) -> Decimal | None:
    """Two decimals, half up, as the period summary rounds."""
    if not values:
        return None
    mean = Decimal(sum(int(v) for v in values)) / len(values)
    return mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class SubjectMarks:
    subject: str
    marks: list[tuple[date, dict[str, str]]] = field(default_factory=list)
    absences: int = 0

    @property
    def average(self) -> Decimal | None:
        return average([m["value"] for _, m in self.marks])


@dataclass
class MarksView:
    student: Person
    periods: list[Period]
    period: Period | None
    subjects: list[SubjectMarks]
    year_id: UUID | None = None  # the year its periods are of (the табель's)


def _school_year(svc: Services, school_id: UUID | None, day: date) -> UUID | None:
    """The school's year holding ``day`` (else its latest year)."""
    if school_id is None:
        return None
    with svc.reader.connect() as conn:
        structure = school_structure(conn, school_id)
    years = sorted((structure.years if structure else {}).items(), key=lambda kv: kv[1])
    holding = [y for y, (first, last) in years if first <= day <= last]
    return holding[0] if holding else (years[-1][0] if years else None)


def marks(svc: Services, viewer: Principal, student_id: UUID, period_id: UUID | None,
          day: date) -> MarksView:
    """The student's current marks in a period, by subject, with averages and absences."""
    student = may_read_student(svc, viewer, student_id)
    year = _school_year(svc, student.school_id, day)
    periods = lookups.periods(svc, year) if year else []
    period = lookups.period_for(periods, period_id, day)
    shown = Person(student.id, student.full_name)
    if period is None:
        return MarksView(shown, periods, None, [], year)
    log_access(svc, viewer, student_id, "diary", svc.now())
    with svc.reader.connect() as conn:
        days = read_diary(conn, student_id, period.starts_on, period.ends_on)
    by_subject: dict[str, SubjectMarks] = {}
    for d in days:
        for lesson in d.lessons:
            row = by_subject.setdefault(lesson.subject, SubjectMarks(lesson.subject))
            row.marks.extend((d.date, m) for m in lesson.marks)
            row.absences += lesson.absent
    return MarksView(shown, periods, period, sorted(by_subject.values(),
                                                    key=lambda s: s.subject), year)


# --- the feed and the access log -------------------------------------------------------------


@dataclass
class FeedEntry:
    item: FeedItem
    student: str
    previous: str | None  # a correction's old value, when the page holds it


def feed(svc: Services, viewer: Principal, before: int | None) -> tuple[list[FeedEntry],
                                                                        int | None]:
    """The viewer's feed, newest first, and the cursor of the next page."""
    with svc.reader.connect() as conn:
        items = read_feed(conn, viewer.user_id, before=before, limit=PAGE)
    who = lookups.names(svc, {i.student_id for i in items})
    entries = []
    for n, item in enumerate(items):
        previous = None
        if item.kind == "mark_corrected":
            older = next((o for o in items[n + 1:] if o.mark_id == item.mark_id
                          and o.kind in ("mark_given", "mark_corrected")), None)
            previous = older.value if older else None
        entries.append(FeedEntry(item, who.get(item.student_id, ""), previous))
    return entries, (items[-1].position if len(items) >= PAGE else None)


@dataclass(frozen=True)
class Access:
    viewer: str
    role: str
    what: str
    at: datetime


def access(svc: Services, viewer: Principal, student_id: UUID, after: int = 0
           ) -> tuple[Person, list[Access], int | None]:
    """Who of the staff read the student's data, oldest first (the API's access log), and
    the next page's cursor."""
    student = may_read_student(svc, viewer, student_id)
    rows = svc.access_log.of_student(student_id, after=after, limit=PAGE + 1)
    page = rows[:PAGE]
    who = lookups.names(svc, {r.viewer_id for r in page})
    return (Person(student.id, student.full_name),
            [Access(who.get(r.viewer_id, ""), r.viewer_role, r.what, r.at) for r in page],
            page[-1].id if len(rows) > PAGE else None)


# --- journals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalCard:
    id: UUID
    class_name: str
    subject: str
    substitutions: tuple[tuple[date, date], ...]  # the viewer's, when a substitute
    own: bool  # the viewer teaches it (not only its class teacher or a substitute)


def my_journals(svc: Services, viewer: Principal) -> list[JournalCard]:
    """The journals a teacher teaches, substitutes in (with the dates) or reads as the
    class teacher."""
    if viewer.school_id is None:
        return []
    _fresh(svc)
    with svc.reader.connect() as conn:
        structure = school_structure(conn, viewer.school_id)
    if structure is None:
        return []
    journals = lookups.load(svc, ClassJournal, structure.journals)
    classes = lookups.classes(svc, {j.class_id for j in journals.values()})
    subjects = lookups.subjects(svc, viewer.school_id)
    cards = []
    for j in journals.values():
        subs = tuple((s.from_date, s.to_date) for s in j.substitutions
                     if s.teacher_id == viewer.user_id)
        school_class = classes.get(j.class_id)
        leads = school_class is not None and school_class.class_teacher_id == viewer.user_id
        if j.teacher_id == viewer.user_id or subs or leads:
            cards.append(JournalCard(j.id, school_class.name if school_class else "",
                                     subjects.get(j.subject_id, ""), subs,
                                     j.teacher_id == viewer.user_id))
    return sorted(cards, key=lambda c: (c.class_name, c.subject))


@dataclass
class JournalView:
    card: JournalCard
    periods: list[Period]
    period: Period
    grid: GridView
    summary: dict[UUID, SummaryStudent]
    quality: Decimal | None
    success: Decimal | None
    programme: list[str]
    windows: Windows = None  # a substitute's days: the grid shows only them, no summary
    closed: bool = False  # R-3.4b: the period takes no entries


def journal(svc: Services, viewer: Principal, journal_id: UUID, period_id: UUID | None,
            day: date) -> JournalView | None:
    """The journal's grid and period summary (None: its year has no such period)."""
    found, windows = may_read_grid(svc, viewer, journal_id)
    periods = lookups.periods(svc, found.year_id)
    period = lookups.period_for(periods, period_id, day)
    if period is None:
        return None
    school_class = lookups.classes(svc, [found.class_id]).get(found.class_id)
    card = JournalCard(found.id, school_class.name if school_class else "",
                       lookups.subjects(svc, found.school_id).get(found.subject_id, ""),
                       windows or (), found.teacher_id == viewer.user_id)
    span: tuple[date, date] | None = (period.starts_on, period.ends_on)
    if windows is not None and span is not None:
        span = window_span(*span, windows)
    now = svc.now()
    with svc.reader.connect() as conn:
        grid = read_grid(conn, journal_id, *span) if span else GridView([], [])
        summary = read_summary(conn, journal_id, period.id) if windows is None else None
    if windows is not None:
        grid = within_windows(grid, windows)
    log_access(svc, viewer, (s.id for s in grid.students), "grid", now)
    year = svc.app.load_many([found.year_id]).get(found.year_id)
    closed = period.id in getattr(year, "closed", ())
    if summary is None:  # a substitute's days: the period's summary is not theirs
        return JournalView(card, periods, period, grid, {}, None, None,
                           [t.title for t in found.programme], windows, closed)
    log_access(svc, viewer, (s.student_id for s in summary.students), "summary", now)
    return JournalView(card, periods, period, grid,
                       {s.student_id: s for s in summary.students}, summary.quality_percent,
                       summary.success_percent, [t.title for t in found.programme],
                       closed=closed)


@dataclass
class CellView:
    journal_id: UUID
    lesson_id: UUID
    lesson_date: date
    slot: int
    student: Person
    marks: list[Any]  # the lesson's current marks of the student (domain ``Mark``)
    absent: bool
    reason: str | None
    period_id: UUID | None  # the period holding the lesson
    substitute: bool = False  # read on a substitute's days (no mark histories)


def _reason(reason: AbsenceReason | None) -> str | None:
    return reason.value if reason else None


def cell(svc: Services, viewer: Principal, journal_id: UUID, lesson_id: UUID,
         student_id: UUID) -> CellView:
    """One cell of the grid, as the journal holds it now (what the entry forms act on)."""
    found, windows = may_read_grid(svc, viewer, journal_id)
    lesson = lookups.lesson(svc, lesson_id)
    student = lookups.user(svc, student_id)
    if lesson is None or lesson.journal_id != journal_id or student is None \
            or not within(lesson.lesson_date, windows):
        raise not_found("lesson", lesson_id)
    log_access(svc, viewer, student_id, "grid", svc.now())
    period = lookups.period_for(lookups.periods(svc, found.year_id), None, lesson.lesson_date)
    return CellView(journal_id, lesson_id, lesson.lesson_date, lesson.slot,
                    Person(student.id, student.full_name), lesson.current_marks(student_id),
                    student_id in lesson.absent, _reason(lesson.absent.get(student_id)),
                    period.id if period else None, windows is not None)


@dataclass(frozen=True)
class HistoryEntry:
    item: HistoryItem
    by: str


def history(svc: Services, viewer: Principal, journal_id: UUID, mark_id: UUID
            ) -> list[HistoryEntry]:
    return _named(svc, histories.mark_history(svc, viewer, journal_id, mark_id))


def _named(svc: Services, items: list[HistoryItem]) -> list[HistoryEntry]:
    who = lookups.names(svc, {i.by for i in items})
    return [HistoryEntry(i, who.get(i.by, "")) for i in items]


def period_mark_history(svc: Services, viewer: Principal, journal_id: UUID,
                        period_mark_id: UUID) -> list[HistoryEntry]:
    return _named(svc, histories.period_mark_history(svc, viewer, journal_id, period_mark_id))


def roster_of(view: JournalView) -> list[Person]:
    return [Person(s.id, s.full_name) for s in view.grid.students]


@dataclass(frozen=True)
class Column:
    lesson: GridLesson
    label: str  # «02.12»
    slot: int | None  # the slot, when two lessons share the date


def columns(view: JournalView) -> list[Column]:
    """The grid's columns: each lesson's date, and its slot when two share a date."""
    counts: dict[date, int] = defaultdict(int)
    for lesson in view.grid.lessons:
        counts[lesson.date] += 1
    return [Column(x, i18n.column_date(x.date), x.slot if counts[x.date] > 1 else None)
            for x in view.grid.lessons]
