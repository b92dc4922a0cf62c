"""Builders for the pure domain tests: a school, its year, a class and a journal, built with the
aggregates' own commands (no database, no clock).

Every builder collects the events it caused, so a test's "then" sees only the events of its
"when". ``refused`` checks a refusal: the named error, its rule id and field, and that the
aggregate recorded nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from ejournal.domain.base import JournalAggregate
from ejournal.domain.calendar import DayKind
from ejournal.domain.errors import DomainError
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson, LessonContext
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Actor, Role

#: When the school's structure was set up (before any lesson of either year).
SETUP_AT = datetime(2025, 8, 20, 9, 0, tzinfo=UTC)

#: Marks this field's value as "not checked" in ``refused``.
UNSET: Any = object()


@dataclass(frozen=True)
class YearPlan:
    name: str
    starts_on: date
    ends_on: date
    periods: tuple[tuple[str, date, date], ...]
    holidays: tuple[tuple[str, date, date], ...]


#: 2026/27. Autumn каникулы end on 03.11, so 04.11 (Unity Day) is refused as a public holiday
#: alone; 28.10 is a plain weekday inside каникулы.
YEAR_2026_27 = YearPlan(
    name="2026/2027",
    starts_on=date(2026, 9, 1),
    ends_on=date(2027, 5, 31),
    periods=(
        ("I четверть", date(2026, 9, 1), date(2026, 10, 25)),
        ("II четверть", date(2026, 11, 5), date(2026, 12, 28)),
        ("III четверть", date(2027, 1, 12), date(2027, 3, 21)),
        ("IV четверть", date(2027, 3, 30), date(2027, 5, 31)),
    ),
    holidays=(
        ("осенние каникулы", date(2026, 10, 26), date(2026, 11, 3)),
        ("зимние каникулы", date(2026, 12, 29), date(2027, 1, 11)),
        ("весенние каникулы", date(2027, 3, 22), date(2027, 3, 29)),
    ),
)

#: 2025/26. Its каникулы leave out the decree's working Saturday 01.11.2025 and the transferred
#: days off 09.01.2026 and 09.03.2026, so those days answer to the production calendar alone.
YEAR_2025_26 = YearPlan(
    name="2025/2026",
    starts_on=date(2025, 9, 1),
    ends_on=date(2026, 5, 31),
    periods=(
        ("I четверть", date(2025, 9, 1), date(2025, 10, 26)),
        ("II четверть", date(2025, 11, 1), date(2025, 12, 28)),
        ("III четверть", date(2026, 1, 9), date(2026, 3, 22)),
        ("IV четверть", date(2026, 3, 30), date(2026, 5, 31)),
    ),
    holidays=(
        ("осенние каникулы", date(2025, 10, 27), date(2025, 10, 31)),
        ("зимние каникулы", date(2025, 12, 29), date(2026, 1, 8)),
        ("весенние каникулы", date(2026, 3, 23), date(2026, 3, 29)),
    ),
)


def at_local(day: date, timezone: str, hour: int = 12, minute: int = 0) -> datetime:
    """A recording moment at ``hour:minute`` of ``day`` in the school's own time zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(timezone))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def payload(event: object) -> dict[str, Any]:
    """An event's fields less its identity (originator id, version, topic)."""
    skip = {"originator_id", "originator_version", "originator_topic"}
    return {k: v for k, v in vars(event).items() if k not in skip}


def described(events: Sequence[object]) -> list[tuple[type, dict[str, Any]]]:
    """Events as (class, fields) pairs, so "then these events" compares exactly."""
    return [(type(e), payload(e)) for e in events]


def state(aggregate: object) -> dict[str, Any]:
    """An aggregate's state as replay must rebuild it."""
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def replay(events: Sequence[Any]) -> Any:
    """Rebuilds an aggregate from its events alone."""
    return reduce(lambda agg, e: e.mutate(agg), events, None)


@contextmanager
def refused(
    aggregate: JournalAggregate | None,
    error: type[DomainError],
    *,
    rule: str | None = UNSET,
    field: str | None = UNSET,
) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """Then the command is refused with ``error`` (citing ``rule``, naming ``field``) and the
    aggregate records no new event and keeps its version."""
    if aggregate is not None:
        assert aggregate.pending_events == [], "the given steps left events uncollected"
    version = aggregate.version if aggregate is not None else None
    with pytest.raises(error) as info:
        yield info
    assert type(info.value) is error
    if rule is not UNSET:
        assert info.value.rule == rule
    if field is not UNSET:
        assert info.value.field == field
    if aggregate is not None:
        assert list(aggregate.collect_events()) == []
        assert aggregate.version == version


@dataclass
class World:
    """One school with one class "7Б" and its maths journal taught by ``teacher``."""

    school: School
    year: AcademicYear
    school_class: SchoolClass
    journal: ClassJournal
    admin: UUID
    teacher: UUID
    other_teacher: UUID
    substitute: UUID
    auditor: UUID
    operator: UUID
    students: list[UUID]
    guardian: UUID
    periods: dict[str, UUID] = field(default_factory=dict)

    @property
    def timezone(self) -> str:
        return self.school.timezone

    # --- who acts ------------------------------------------------------------------------

    def actor(self, who: str) -> Actor:
        """``who`` is one of teacher, other_teacher, substitute, admin, other_admin, auditor,
        student, guardian, operator."""
        school = self.school.id
        return {
            "teacher": Actor(self.teacher, Role.TEACHER, school),
            "other_teacher": Actor(self.other_teacher, Role.TEACHER, school),
            "substitute": Actor(self.substitute, Role.TEACHER, school),
            "admin": Actor(self.admin, Role.ADMIN, school),
            "other_admin": Actor(uuid4(), Role.ADMIN, uuid4()),
            "auditor": Actor(self.auditor, Role.AUDITOR, school),
            "student": Actor(self.students[0], Role.STUDENT, school),
            "guardian": Actor(self.guardian, Role.GUARDIAN, school),
            "operator": Actor(self.operator, Role.OPERATOR, None),
        }[who]

    def ctx(self, who: str | Actor = "teacher") -> LessonContext:
        actor = who if isinstance(who, Actor) else self.actor(who)
        return LessonContext(actor=actor, journal=self.journal, school_class=self.school_class,
                             calendar=self.year.calendar(self.school), timezone=self.timezone)

    def names(self, day: date, slot: int = 1) -> dict[str, Any]:
        """The fields by which every event of the lesson on ``day``, ``slot`` names it."""
        return {"school_id": self.school.id, "class_id": self.school_class.id,
                "subject_id": self.journal.subject_id, "journal_id": self.journal.id,
                "lesson_date": day, "slot": slot}

    def noon(self, day: date) -> datetime:
        return at_local(day, self.timezone)

    # --- given ---------------------------------------------------------------------------

    def hold(self, day: date, *, slot: int = 1, who: str = "teacher",
             at: datetime | None = None) -> Lesson:
        """Given a lesson held on ``day`` (its events already collected)."""
        lesson = Lesson.hold(self.ctx(who), lesson_id=uuid4(), lesson_date=day, slot=slot,
                             topic="Дроби", homework="№ 12", programme_topic=None,
                             at=at or self.noon(day))
        lesson.collect_events()
        return lesson

    def give(self, lesson: Lesson, student: UUID, value: str = "4", *, work: str = "oral",
             who: str = "teacher", at: datetime | None = None) -> UUID:
        """Given a mark (its events already collected); returns the mark's id."""
        mark_id = uuid4()
        lesson.give_mark(self.ctx(who), mark_id=mark_id, student_id=student, value=value,
                         work=work, comment=None, at=at or self.noon(lesson.lesson_date))
        lesson.collect_events()
        return mark_id

    def absent(self, lesson: Lesson, *students: UUID, at: datetime | None = None) -> None:
        """Given an attendance with these students absent (events already collected)."""
        lesson.take_attendance(self.ctx(), absent=[(s, "illness") for s in students],
                               at=at or self.noon(lesson.lesson_date))
        lesson.collect_events()

    def enrol(self, student: UUID, from_date: date, until: date | None = None) -> None:
        """Given ``student`` enrolled [from_date, until): the last day recorded is until - 1."""
        self.school_class.enrol(student_id=student, from_date=from_date,
                                year_starts_on=self.year.starts_on,
                                year_ends_on=self.year.ends_on, by=self.admin, at=SETUP_AT)
        if until is not None:
            self.school_class.end_enrolment(student_id=student,
                                            last_day=until - timedelta(days=1), by=self.admin,
                                            at=SETUP_AT)
        self.school_class.collect_events()

    def appoint_substitute(self, from_date: date, to_date: date) -> None:
        self.journal.appoint_substitute(teacher_id=self.substitute, teacher_role=Role.TEACHER,
                                        from_date=from_date, to_date=to_date, by=self.admin,
                                        at=SETUP_AT)
        self.journal.collect_events()

    def declare(self, day: date, kind: DayKind) -> None:
        """Given the school's overlay declares ``day`` a day off or an extra school day."""
        self.school.declare_calendar_day(day=day, kind=kind.value, reason="приказ директора",
                                         by=self.admin, at=SETUP_AT)
        self.school.collect_events()

    def period_mark(self, student: UUID, period: str, value: Any = "5", *,
                    who: str | Actor = "teacher", at: datetime | None = None) -> PeriodMark:
        """When a period mark is given (its events are NOT collected)."""
        actor = who if isinstance(who, Actor) else self.actor(who)
        period_id = self.periods[period]
        span = self.year.period(period_id)
        return PeriodMark.give(
            period_mark_id=uuid4(), actor=actor, journal=self.journal,
            school_class=self.school_class, period_id=period_id, period=span,
            student_id=student, value=value, timezone=self.timezone,
            working=self.year.calendar(self.school).working,
            at=at or self.noon(span.ends_on),
        )


def build_world(*, timezone: str = "Europe/Moscow", days_per_week: int = 5,
                plan: YearPlan = YEAR_2026_27, students: int = 3,
                enrolled: bool = True) -> World:
    """A school in ``timezone`` with a ``days_per_week`` week, the year ``plan``, one class
    whose ``students`` are enrolled from the first day of the year (unless ``enrolled`` is
    False) and one journal taught by ``teacher``."""
    operator, admin, teacher, other, sub, auditor, guardian = (uuid4() for _ in range(7))
    school = School.register(school_id=uuid4(), name="Школа № 1", timezone=timezone,
                             by=operator, at=SETUP_AT)
    subject = uuid4()
    school.add_subject(subject_id=subject, name="Математика", by=admin, at=SETUP_AT)
    period_ids = {name: uuid4() for name, _, _ in plan.periods}
    year = AcademicYear.plan(
        year_id=uuid4(), school_id=school.id, name=plan.name, starts_on=plan.starts_on,
        ends_on=plan.ends_on, days_per_week=days_per_week,
        periods=[(period_ids[n], n, s, e) for n, s, e in plan.periods],
        holidays=list(plan.holidays), by=admin, at=SETUP_AT,
    )
    school_class = SchoolClass.open(class_id=uuid4(), school_id=school.id, year_id=year.id,
                                    name="7Б", class_teacher_id=teacher, by=admin, at=SETUP_AT)
    kids = [uuid4() for _ in range(students)]
    if enrolled:
        for kid in kids:
            school_class.enrol(student_id=kid, from_date=plan.starts_on,
                               year_starts_on=plan.starts_on,
                               year_ends_on=plan.ends_on, by=admin, at=SETUP_AT)
    journal = ClassJournal.open(journal_id=uuid4(), school_id=school.id,
                                class_id=school_class.id, subject_id=subject, year_id=year.id,
                                teacher_id=teacher, teacher_role=Role.TEACHER, by=admin,
                                at=SETUP_AT)
    for aggregate in (school, year, school_class, journal):
        aggregate.collect_events()
    return World(school=school, year=year, school_class=school_class, journal=journal,
                 admin=admin, teacher=teacher, other_teacher=other, substitute=sub,
                 auditor=auditor, operator=operator, students=kids, guardian=guardian,
                 periods=period_ids)
