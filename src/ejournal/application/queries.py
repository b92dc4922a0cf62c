"""What the API and the scheduler ask of the application: small answers read from the event
store through the aggregate loader (so they see every acknowledged write), as frozen values
that cannot change the cached aggregates they come from."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from uuid import UUID

from eventsourcing.domain import Aggregate

from ejournal.application.eventstore import EventStore
from ejournal.application.loading import AggregateLoader
from ejournal.domain import ids
from ejournal.domain.findings import ComplianceAudit, audit_id
from ejournal.domain.journal import ClassJournal, ProgrammeTopic, Substitution
from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User, UsernameClaim
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school import School
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Role, Work


@dataclass(frozen=True)
class Person:
    """A user's account as it stands now."""

    id: UUID
    username: str
    full_name: str
    role: Role
    school_id: UUID | None
    guardians: frozenset[UUID]
    disabled: bool = False
    must_change_password: bool = False
    mfa_enabled: bool = False
    #: A staff member of a school that requires MFA, who has not confirmed one yet.
    mfa_setup_required: bool = False

    @classmethod
    def of(cls, user: User, staff_mfa_required: bool = False) -> Person:
        staff = user.role in STAFF
        return cls(user.id, user.username, user.full_name, user.role, user.school_id,
                   frozenset(user.guardians), user.disabled, user.must_change_password,
                   user.mfa_enabled, staff and staff_mfa_required and not user.mfa_enabled)


@dataclass(frozen=True)
class Journal:
    """A class journal as it stands now: whose it is (its school, class, subject and year), who
    writes it (its teacher, its substitutes on any dates, the class's class teacher) and its
    work programme."""

    id: UUID
    school_id: UUID
    class_id: UUID
    subject_id: UUID
    year_id: UUID
    teacher_id: UUID
    substitutes: frozenset[UUID]
    class_teacher_id: UUID | None
    programme: tuple[ProgrammeTopic, ...]
    substitutions: tuple[Substitution, ...] = ()  # who substitutes on which dates

    def windows(self, teacher_id: UUID) -> tuple[tuple[date, date], ...]:
        """The dates ``teacher_id`` substitutes in this journal (first, last), in order."""
        return tuple(sorted((s.from_date, s.to_date) for s in self.substitutions
                            if s.teacher_id == teacher_id))


#: Whom a school may require a second factor of.
STAFF = frozenset({Role.ADMIN, Role.TEACHER, Role.AUDITOR})
#: People kept in memory by ``Queries.users(within=...)`` per process.
KEPT_PEOPLE = 10_000


def _requires_mfa(school: Aggregate | None) -> bool:
    return isinstance(school, School) and school.staff_mfa_required


class Queries:
    """Read-only questions (a mixin of ``EJournal``)."""

    loader: AggregateLoader
    store: EventStore
    journal_refs: dict[UUID, tuple[UUID, UUID, UUID]]
    #: A user's school never changes: kept once read, so that both load in one query.
    user_schools: dict[UUID, UUID]
    #: The clock of ``users(within=...)`` (tests move it).
    monotonic: Callable[[], float] = staticmethod(time.monotonic)

    def _one(self, aggregate_id: UUID) -> Aggregate | None:
        return self.loader.load([aggregate_id], read_only=True).get(aggregate_id)

    def user(self, user_id: UUID) -> Person | None:
        """The account as it stands now, with whether its school requires MFA of staff."""
        return self.users([user_id]).get(user_id)

    def users(self, user_ids: Iterable[UUID], *, within: float = 0.0) -> dict[UUID, Person]:
        """These users, brought up to date in one round trip to the event store; ids of no
        user are left out. A staff member's school (whether it requires MFA of its staff) is
        read in the same round trip once it is known: the first time, in a second one.

        ``within`` > 0: a user read at most that many seconds ago is answered from memory
        (``kept_users``) unless this process has changed them or their school since; only
        the others are read."""
        wanted = list(dict.fromkeys(user_ids))
        kept = self._kept_people
        found_kept: dict[UUID, Person] = {}
        if within > 0:
            for i in wanted:
                person = self._kept_person(i, within)
                if person is not None:
                    found_kept[i] = person
            if len(found_kept) == len(wanted):
                return found_kept
        read_at = self.monotonic()  # before the read: the bound holds from here
        unread = [i for i in wanted if i not in found_kept]
        schools = {self.user_schools[i] for i in unread if i in self.user_schools}
        loaded = self.loader.load([*unread, *schools], read_only=True)
        found = {i: a for i in unread if isinstance(a := loaded.get(i), User)}
        for i, user in found.items():
            if user.role in STAFF and user.school_id is not None:
                self.user_schools[i] = user.school_id
        unseen = {self.user_schools[i] for i in found
                  if i in self.user_schools and self.user_schools[i] not in loaded}
        if unseen:
            loaded.update(self.loader.load(unseen, read_only=True))
        answer = dict(found_kept)
        for i, user in found.items():
            school = loaded.get(self.user_schools[i]) if i in self.user_schools else None
            person = Person.of(user, _requires_mfa(school))
            answer[i] = person
            if len(kept) >= KEPT_PEOPLE:
                kept.clear()
            kept[i] = (person, user.version, school.id if school is not None else None,
                       school.version if school is not None else 0, read_at)
        return {i: answer[i] for i in wanted if i in answer}

    def kept_users(self, user_ids: Iterable[UUID], within: float) -> dict[UUID, Person] | None:
        """These users from memory, without a statement, if every one of them was read at
        most ``within`` seconds ago and neither they nor their school have changed since in
        this process (else None). This process's saves reach the aggregate loader's cache at
        once, and so does any newer version a load here has seen: a kept user whose cached
        version moved, or left the cache, is read again."""
        found: dict[UUID, Person] = {}
        for i in user_ids:
            person = self._kept_person(i, within)
            if person is None:
                return None
            found[i] = person
        return found

    def _kept_person(self, user_id: UUID, within: float) -> Person | None:
        entry = self._kept_people.get(user_id)
        if entry is None:
            return None
        person, version, school_id, school_version, read_at = entry
        if self.monotonic() - read_at >= within:
            return None
        if self.loader.version(user_id) != version:
            return None
        if school_id is not None and self.loader.version(school_id) != school_version:
            return None
        return person

    @cached_property
    def _kept_people(self) -> dict[UUID, tuple[Person, int, UUID | None, int, float]]:
        """By user: the person, the versions of the user and of their school it was made
        from (0 and None: no school read), and when it was read (``monotonic``)."""
        return {}

    def disabled_among(self, user_ids: Iterable[UUID]) -> set[UUID]:
        """Which of these accounts are disabled now."""
        loaded = self.loader.load(user_ids, read_only=True)
        return {i for i, a in loaded.items() if isinstance(a, User) and a.disabled}

    def user_by_username(self, username: str) -> Person | None:
        claim = self._one(ids.username_claim_id(username))
        return self.user(claim.user_id) if isinstance(claim, UsernameClaim) else None

    def work_weights(self, school_id: UUID) -> dict[Work, int]:
        """The weight of each kind of work in the school's weighted averages, now."""
        school = self._one(school_id)
        return dict(school.work_weights) if isinstance(school, School) else dict.fromkeys(Work, 1)

    def journal(self, journal_id: UUID) -> Journal | None:
        refs = self.journal_refs.get(journal_id)
        loaded = self.loader.load([journal_id, *refs[:1]] if refs else [journal_id],
                                  read_only=True)
        journal = loaded.get(journal_id)
        if not isinstance(journal, ClassJournal):
            return None
        school_class = loaded.get(journal.class_id) or self._one(journal.class_id)
        return Journal(
            journal.id, journal.school_id, journal.class_id, journal.subject_id, journal.year_id,
            journal.teacher_id, frozenset(s.teacher_id for s in journal.substitutions),
            school_class.class_teacher_id if isinstance(school_class, SchoolClass) else None,
            tuple(journal.programme), tuple(journal.substitutions))

    def relation_days(self, teacher_id: UUID, student_id: UUID, class_ids: Iterable[UUID],
                      journal_ids: Iterable[UUID]) -> list[tuple[UUID, date, date | None]]:
        """The days a teacher's relation to a student holds (R-5.3a): of these classes (and
        these journals' classes), each one whose class teacher they are, or one of whose
        journals they teach, with the student's enrolments in it - (class, first day, last
        day or None)."""
        loaded = self.loader.load([*class_ids, *journal_ids], read_only=True)
        related = {a.class_id for a in loaded.values()
                   if isinstance(a, ClassJournal) and a.teacher_id == teacher_id}
        days: list[tuple[UUID, date, date | None]] = []
        for aggregate in loaded.values():
            if isinstance(aggregate, SchoolClass) and (
                    aggregate.class_teacher_id == teacher_id or aggregate.id in related):
                days.extend((aggregate.id, e.from_date, e.last_day)
                            for e in aggregate.enrolments.get(student_id, ()))
        return sorted(days, key=lambda d: (d[1], str(d[0])))

    def mark_student(self, journal_id: UUID, mark_id: UUID) -> UUID | None:
        """Whose mark this is (the lesson it stands in names it), or None."""
        lesson_id = ids.mark_lesson(journal_id, mark_id)
        lesson = self._one(lesson_id) if lesson_id is not None else None
        if not isinstance(lesson, Lesson) or mark_id not in lesson.marks:
            return None
        return lesson.marks[mark_id].student_id

    def period_mark_student(self, period_mark_id: UUID) -> UUID | None:
        """Whose period mark this is, or None."""
        found = self._one(period_mark_id)
        return found.student_id if isinstance(found, PeriodMark) else None

    def compliance_audit(self, school_id: UUID) -> ComplianceAudit | None:
        """The school's record of the days checked, as it stands now (None before the first);
        shared with the cache: never change it."""
        found = self._one(audit_id(school_id))
        return found if isinstance(found, ComplianceAudit) else None

    def load_many(self, aggregate_ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        """Many aggregates as they are now, kept in memory and fast-forwarded in a few
        statements; unknown ids are left out. Shared with the cache: never change them."""
        return self.loader.load(aggregate_ids, read_only=True)

    def read_many(self, aggregate_ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        """Many aggregates replayed from their whole histories in a few statements, bypassing
        the cache (for aggregates read once, such as a day's lessons)."""
        return self.loader.replay(aggregate_ids)

    def existing(self, aggregate_ids: Iterable[UUID]) -> set[UUID]:
        """Which of these aggregates exist, without reading them."""
        return self.store.existing(aggregate_ids)
