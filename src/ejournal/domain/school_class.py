"""A class (e.g. "7Б") of one academic year: its class teacher, enrolments and timetable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ejournal.domain.base import JournalAggregate, SchemaV2
from ejournal.domain.errors import ConflictWithJournal, InvalidStructure
from ejournal.domain.values import Role
from ejournal.domain.values import name as valid_name

MAX_SLOT = 10
#: Grades of a Russian school: 1 to 11 (СанПиН's homework limits depend on it).
GRADES = range(1, 12)


@dataclass(frozen=True)
class Enrolment:
    """The student is in the class from ``from_date`` to ``last_day``, both included."""

    from_date: date
    last_day: date | None = None

    def covers(self, day: date) -> bool:
        return self.from_date <= day and (self.last_day is None or day <= self.last_day)

    def overlaps(self, first: date, last: date) -> bool:
        return self.from_date <= last and (self.last_day is None or first <= self.last_day)


@dataclass(frozen=True)
class TimetableLesson:
    """A lesson of the weekly timetable: ISO ``weekday`` (1 = Monday), ``slot`` and the journal
    (subject) taught then."""

    weekday: int
    slot: int
    journal_id: UUID


class SchoolClass(JournalAggregate):
    class Opened(JournalAggregate.Created):
        school_id: UUID
        year_id: UUID
        name: str
        class_teacher_id: UUID | None
        by: UUID
        grade: int | None

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """A class opened before classes had a grade has none."""
            state["grade"] = None

    class ClassTeacherAppointed(JournalAggregate.Event):
        teacher_id: UUID
        by: UUID

        def apply(self, aggregate: SchoolClass) -> None:
            aggregate.class_teacher_id = self.teacher_id

    class StudentEnrolled(JournalAggregate.Event):
        student_id: UUID
        from_date: date
        by: UUID

        def apply(self, aggregate: SchoolClass) -> None:
            aggregate.enrolments.setdefault(self.student_id, []).append(
                Enrolment(self.from_date)
            )

    class EnrolmentEnded(JournalAggregate.Event):
        """The student left the class; ``last_day`` is their last day in it (included)."""

        student_id: UUID
        last_day: date
        by: UUID

        def apply(self, aggregate: SchoolClass) -> None:
            spans = aggregate.enrolments[self.student_id]
            spans[-1] = Enrolment(spans[-1].from_date, self.last_day)

    class TimetableSet(SchemaV2, JournalAggregate.Event):
        """The weekly timetable from ``valid_from`` on (it replaces the one before)."""

        valid_from: date
        lessons: list[TimetableLesson]
        by: UUID

        def apply(self, aggregate: SchoolClass) -> None:
            entries = tuple(self.lessons)
            kept = [t for t in aggregate.timetables if t[0] < self.valid_from]
            aggregate.timetables = [*kept, (self.valid_from, entries)]

    def __init__(self, school_id: UUID, year_id: UUID, name: str,
                 class_teacher_id: UUID | None, by: UUID, grade: int | None) -> None:
        self.school_id = school_id
        self.year_id = year_id
        self.name = name
        self.grade = grade
        self.class_teacher_id = class_teacher_id
        self.enrolments: dict[UUID, list[Enrolment]] = {}
        self.timetables: list[tuple[date, tuple[TimetableLesson, ...]]] = []

    @classmethod
    def open(cls, *, class_id: UUID, school_id: UUID, year_id: UUID, name: Any,
             class_teacher_id: UUID | None, by: UUID, at: datetime,
             grade: Any = None) -> SchoolClass:
        clean = valid_name(name)
        if grade is not None and (isinstance(grade, bool) or not isinstance(grade, int)
                                  or grade not in GRADES):
            raise InvalidStructure("grade is a whole number 1..11", field="grade")
        return cls._start(cls.Opened, id=class_id, at=at, school_id=school_id, year_id=year_id,
                          name=clean, class_teacher_id=class_teacher_id, by=by,
                          grade=grade)

    # --- queries -----------------------------------------------------------------------

    def is_enrolled(self, student_id: UUID, day: date) -> bool:
        return any(e.covers(day) for e in self.enrolments.get(student_id, ()))

    def is_enrolled_during(self, student_id: UUID, first: date, last: date) -> bool:
        return any(e.overlaps(first, last) for e in self.enrolments.get(student_id, ()))

    def timetable_on(self, day: date) -> tuple[TimetableLesson, ...]:
        current: tuple[TimetableLesson, ...] = ()
        for valid_from, entries in self.timetables:
            if valid_from <= day:
                current = entries
        return current

    # --- commands ----------------------------------------------------------------------

    def appoint_class_teacher(self, teacher_role: Role, *, teacher_id: UUID, by: UUID,
                              at: datetime) -> None:
        if teacher_role is not Role.TEACHER:
            raise InvalidStructure("a class teacher is a teacher", field="class_teacher_id")
        self._record(self.ClassTeacherAppointed, at=at, teacher_id=teacher_id, by=by)

    def enrol(self, *, student_id: UUID, from_date: date, year_starts_on: date,
              year_ends_on: date, by: UUID, at: datetime) -> None:
        if not year_starts_on <= from_date <= year_ends_on:
            raise InvalidStructure(
                f"an enrolment starts within the class's year ({year_starts_on} - "
                f"{year_ends_on})", field="from_date")
        spans = self.enrolments.get(student_id, [])
        last_day = spans[-1].last_day if spans else None
        if spans and last_day is None:
            raise ConflictWithJournal("the student is enrolled in this class already",
                                      field="student_id")
        if last_day is not None and from_date <= last_day:
            raise ConflictWithJournal(
                f"the student was in this class until {last_day}; a new enrolment "
                "starts after it", field="from_date")
        self._record(self.StudentEnrolled, at=at, student_id=student_id, from_date=from_date,
                     by=by)

    def end_enrolment(self, *, student_id: UUID, last_day: date, by: UUID,
                      at: datetime) -> None:
        spans = self.enrolments.get(student_id, [])
        if not spans or spans[-1].last_day is not None:
            raise ConflictWithJournal("the student is not enrolled in this class",
                                      field="student_id")
        if last_day < spans[-1].from_date:
            raise InvalidStructure(
                f"an enrolment from {spans[-1].from_date} cannot end before it starts",
                field="last_day")
        self._record(self.EnrolmentEnded, at=at, student_id=student_id, last_day=last_day,
                     by=by)

    def set_timetable(self, *, valid_from: date, lessons: list[tuple[int, int, UUID]],
                      class_journals: set[UUID], days_per_week: int, by: UUID,
                      at: datetime) -> None:
        seen: set[tuple[int, int]] = set()
        rows = []
        for index, (weekday, slot, journal) in enumerate(lessons):
            where = f"lessons[{index}]"
            if not 1 <= weekday <= days_per_week:
                raise InvalidStructure(
                    f"weekday {weekday} is not a day of the school's {days_per_week}-day week",
                    field=f"{where}.weekday")
            if not 1 <= slot <= MAX_SLOT:
                raise InvalidStructure(f"slot is 1..{MAX_SLOT}", field=f"{where}.slot")
            if (weekday, slot) in seen:
                raise InvalidStructure(f"two lessons at weekday {weekday}, slot {slot}",
                                       field=where)
            if journal not in class_journals:
                raise InvalidStructure("that journal is not one of this class's journals",
                                       field=f"{where}.journal_id")
            seen.add((weekday, slot))
            rows.append(TimetableLesson(weekday, slot, journal))
        self._record(self.TimetableSet, at=at, valid_from=valid_from, lessons=rows, by=by)
