"""Events of the first schema (v1) as the second (v2) records them.

The first schema's lesson events named only their journal and date; corrections and
cancellations of marks only the mark; ``late``, absences, periods, holidays, programme topics
and timetable lessons were plain dicts and enums bare strings. The facts a v1 event lacks are
taken from the earlier events of the same log (the journal's ``Opened``, the lesson's
``Held``, the mark's ``MarkGiven`` and corrections), so a :class:`Transformer` reads the log
once, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from ejournal.domain.calendar import DayKind, Holiday, Period
from ejournal.domain.journal import ClassJournal, ProgrammeTopic
from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass, TimetableLesson
from ejournal.domain.values import Absence, AbsenceReason, Late, Role, Work


def _late(raw: dict[str, Any] | None) -> Late | None:
    if raw is None:
        return None
    return Late(raw["rule"], date.fromisoformat(raw["due"]), int(raw["days"]),
                int(raw["working_days"]))


@dataclass
class _Mark:
    student_id: UUID
    work: Work
    value: str


@dataclass
class Transformer:
    """Turns each v1 event's state into the v2 state of the same class, in log order."""

    journals: dict[UUID, tuple[UUID, UUID, UUID]] = field(default_factory=dict)
    slots: dict[UUID, int] = field(default_factory=dict)  # lesson -> slot
    marks: dict[UUID, _Mark] = field(default_factory=dict)

    def state(self, topic: str, originator_id: UUID, state: dict[str, Any]) -> dict[str, Any]:
        """The v2 state of the event (a new dict; ``state`` is left as it was)."""
        handler = _HANDLERS.get(topic)
        new = dict(state)
        if handler is not None:
            handler(self, originator_id, new)
        return new

    def _names(self, lesson_id: UUID, state: dict[str, Any]) -> None:
        school_id, class_id, subject_id = self.journals[state["journal_id"]]
        state.update(school_id=school_id, class_id=class_id, subject_id=subject_id,
                     slot=self.slots[lesson_id])

    def journal_opened(self, journal_id: UUID, state: dict[str, Any]) -> None:
        self.journals[journal_id] = (state["school_id"], state["class_id"], state["subject_id"])

    def lesson_held(self, lesson_id: UUID, state: dict[str, Any]) -> None:
        self.slots[lesson_id] = state["slot"]
        self._names(lesson_id, state)
        state["late"] = _late(state["late"])

    def attendance_taken(self, lesson_id: UUID, state: dict[str, Any]) -> None:
        self._names(lesson_id, state)
        state["absent"] = [Absence(row["student_id"],
                                   AbsenceReason(row["reason"]) if row["reason"] else None)
                           for row in state["absent"]]
        state["late"] = _late(state["late"])

    def absence_cancelled(self, lesson_id: UUID, state: dict[str, Any]) -> None:
        self._names(lesson_id, state)
        state["late"] = _late(state["late"])

    def mark_given(self, lesson_id: UUID, state: dict[str, Any]) -> None:
        self._names(lesson_id, state)
        state["work"] = Work(state["work"])
        state["late"] = _late(state["late"])
        self.marks[state["mark_id"]] = _Mark(state["student_id"], state["work"], state["value"])

    def mark_corrected(self, lesson_id: UUID, state: dict[str, Any]) -> None:
        self._names(lesson_id, state)
        mark = self.marks[state["mark_id"]]
        state.update(student_id=mark.student_id, work=mark.work)
        mark.value = state["value"]

    def mark_cancelled(self, lesson_id: UUID, state: dict[str, Any]) -> None:
        self._names(lesson_id, state)
        mark = self.marks.pop(state["mark_id"])
        state.update(student_id=mark.student_id, work=mark.work, value=mark.value)

    def period_mark(self, _: UUID, state: dict[str, Any]) -> None:
        state["school_id"] = self.journals[state["journal_id"]][0]
        if "late" in state:
            state["late"] = _late(state["late"])

    def calendar_day(self, _: UUID, state: dict[str, Any]) -> None:
        state["kind"] = DayKind(state["kind"])

    def year_planned(self, _: UUID, state: dict[str, Any]) -> None:
        state["periods"] = [Period(p["id"], p["name"], p["starts_on"], p["ends_on"])
                            for p in state["periods"]]
        state["holidays"] = [Holiday(h["name"], h["starts_on"], h["ends_on"])
                             for h in state["holidays"]]

    def user_registered(self, _: UUID, state: dict[str, Any]) -> None:
        state["role"] = Role(state["role"])

    def timetable_set(self, _: UUID, state: dict[str, Any]) -> None:
        state["lessons"] = [TimetableLesson(int(x["weekday"]), int(x["slot"]), x["journal_id"])
                            for x in state["lessons"]]

    def programme_set(self, _: UUID, state: dict[str, Any]) -> None:
        state["topics"] = [ProgrammeTopic(t["title"], int(t["hours"])) for t in state["topics"]]


_HANDLERS = {get_topic(cls): handler for cls, handler in (
    (ClassJournal.Opened, Transformer.journal_opened),
    (Lesson.Held, Transformer.lesson_held),
    (Lesson.AttendanceTaken, Transformer.attendance_taken),
    (Lesson.AbsenceCancelled, Transformer.absence_cancelled),
    (Lesson.MarkGiven, Transformer.mark_given),
    (Lesson.MarkCorrected, Transformer.mark_corrected),
    (Lesson.MarkCancelled, Transformer.mark_cancelled),
    (PeriodMark.Given, Transformer.period_mark),
    (PeriodMark.Corrected, Transformer.period_mark),
    (School.CalendarDayDeclared, Transformer.calendar_day),
    (AcademicYear.Planned, Transformer.year_planned),
    (User.Registered, Transformer.user_registered),
    (SchoolClass.TimetableSet, Transformer.timetable_set),
    (ClassJournal.ProgrammeSet, Transformer.programme_set),
)}
