"""The class journal of one class and subject: its teaching assignment (R-4.4), substitutes and
work programme (R-4.7). Lessons and period marks are aggregates of their own (see
docs/storage.md: a command's cost must not grow with the journal's history)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ejournal.domain.base import JournalAggregate, SchemaV2
from ejournal.domain.errors import (
    InvalidStructure,
    NotAllowedToWrite,
    NotOwnEntry,
    StudentsNeverWrite,
    TopicNotInProgramme,
)
from ejournal.domain.values import Actor, Role, text


@dataclass(frozen=True)
class Substitution:
    teacher_id: UUID
    from_date: date
    to_date: date

    def covers(self, teacher_id: UUID, day: date) -> bool:
        return self.teacher_id == teacher_id and self.from_date <= day <= self.to_date


@dataclass(frozen=True)
class ProgrammeTopic:
    """A topic of the work programme (рабочая программа) and its planned hours."""

    title: str
    hours: int


class ClassJournal(JournalAggregate):
    class Opened(JournalAggregate.Created):
        """A teaching assignment (R-4.4): this teacher teaches this subject in this class."""

        school_id: UUID
        class_id: UUID
        subject_id: UUID
        year_id: UUID
        teacher_id: UUID
        by: UUID

    class TeacherAssigned(JournalAggregate.Event):
        teacher_id: UUID
        by: UUID

        def apply(self, aggregate: ClassJournal) -> None:
            aggregate.teacher_id = self.teacher_id

    class SubstituteAppointed(JournalAggregate.Event):
        teacher_id: UUID
        from_date: date
        to_date: date
        by: UUID

        def apply(self, aggregate: ClassJournal) -> None:
            aggregate.substitutions.append(
                Substitution(self.teacher_id, self.from_date, self.to_date)
            )

    class ProgrammeSet(SchemaV2, JournalAggregate.Event):
        """The work programme's topics (рабочая программа, R-4.7); it replaces the former."""

        topics: list[ProgrammeTopic]
        by: UUID

        def apply(self, aggregate: ClassJournal) -> None:
            aggregate.programme = list(self.topics)

    def __init__(self, school_id: UUID, class_id: UUID, subject_id: UUID, year_id: UUID,
                 teacher_id: UUID, by: UUID) -> None:
        self.school_id = school_id
        self.class_id = class_id
        self.subject_id = subject_id
        self.year_id = year_id
        self.teacher_id = teacher_id
        self.substitutions: list[Substitution] = []
        self.programme: list[ProgrammeTopic] = []

    @classmethod
    def open(cls, *, journal_id: UUID, school_id: UUID, class_id: UUID, subject_id: UUID,
             year_id: UUID, teacher_id: UUID, teacher_role: Role, by: UUID,
             at: datetime) -> ClassJournal:
        if teacher_role is not Role.TEACHER:
            raise InvalidStructure("a journal is assigned to a teacher", field="teacher_id")
        return cls._start(cls.Opened, id=journal_id, at=at, school_id=school_id,
                          class_id=class_id, subject_id=subject_id, year_id=year_id,
                          teacher_id=teacher_id, by=by)

    # --- who writes this journal -------------------------------------------

    def ensure_may_write(self, actor: Actor, day: date) -> None:
        """The assigned teacher, a substitute on their dates, or the school's admin."""
        if actor.role in (Role.STUDENT, Role.GUARDIAN):
            raise StudentsNeverWrite("students and guardians never write the journal")
        if actor.is_admin_of(self.school_id):
            return
        if actor.role is Role.TEACHER and actor.school_id == self.school_id:
            if actor.user_id == self.teacher_id:
                return
            if any(s.covers(actor.user_id, day) for s in self.substitutions):
                return
        raise NotAllowedToWrite(
            "only the journal's assigned teacher, a substitute on their dates, "
            "or the school's administration writes this journal"
        )

    def answerable(self, day: date) -> UUID:
        """Who answers for the journal's entries of ``day`` (R-4.4): a substitute appointed for
        that date (the latest appointment wins), else the journal's teacher."""
        chosen = self.teacher_id
        for substitution in self.substitutions:
            if substitution.from_date <= day <= substitution.to_date:
                chosen = substitution.teacher_id
        return chosen

    def ensure_may_change(self, actor: Actor, day: date, author: UUID) -> None:
        """A correction or cancellation of an entry made by ``author`` (R-4.4): the journal's
        teacher and the admin change any; a substitute, on their dates, only their own."""
        self.ensure_may_write(actor, day)
        if actor.is_admin_of(self.school_id) or actor.user_id in (self.teacher_id, author):
            return
        raise NotOwnEntry("a substitute corrects or cancels only the entries they made; the "
                          "journal's teacher or the administration changes this one")

    def ensure_programme_topic(self, title: str | None) -> None:
        if title is None:
            return
        if not any(t.title == title for t in self.programme):
            raise TopicNotInProgramme(f"{title!r} is not a topic of the work programme")

    # --- commands ------------------------------------------------------------------------

    def assign_teacher(self, *, teacher_id: UUID, teacher_role: Role, by: UUID,
                       at: datetime) -> None:
        if teacher_role is not Role.TEACHER:
            raise InvalidStructure("a journal is assigned to a teacher", field="teacher_id")
        self._record(self.TeacherAssigned, at=at, teacher_id=teacher_id, by=by)

    def appoint_substitute(self, *, teacher_id: UUID, teacher_role: Role, from_date: date,
                           to_date: date, by: UUID, at: datetime) -> None:
        if teacher_role is not Role.TEACHER:
            raise InvalidStructure("a substitute is a teacher", field="teacher_id")
        if to_date < from_date:
            raise InvalidStructure("a substitution ends on or after it starts", field="to_date")
        self._record(self.SubstituteAppointed, at=at, teacher_id=teacher_id,
                     from_date=from_date, to_date=to_date, by=by)

    def set_programme(self, *, topics: list[tuple[Any, Any]], by: UUID, at: datetime) -> None:
        rows = []
        seen: set[str] = set()
        for index, (title, hours) in enumerate(topics):
            where = f"topics[{index}]"
            clean = text(title, f"{where}.title", required=True)
            assert clean is not None  # noqa: S101 - required=True never returns None
            if clean in seen:
                raise InvalidStructure(f"the topic {clean!r} stands twice", field=where)
            if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 1000:
                raise InvalidStructure("hours is a whole number 1..1000", field=f"{where}.hours")
            seen.add(clean)
            rows.append(ProgrammeTopic(clean, hours))
        self._record(self.ProgrammeSet, at=at, topics=rows, by=by)
