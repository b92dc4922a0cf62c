"""The ejournal application: one method per command, each thin over the domain.

A command resolves its actor from the account (never trusting a role it is told), loads the
aggregates it needs, lets the domain check the rules and record events, and saves every changed
aggregate in one transaction. On a concurrent write conflict it reruns the whole command, a
bounded number of times, then raises :class:`ConcurrentWriteConflict`. With an idempotency key,
a receipt is saved in the same transaction: a repeat of the same request returns the first
answer and writes nothing; the same key with another request is refused.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    JSONTranscoder,
    RecordConflictError,
    Recording,
    StoredEvent,
)

from ejournal.application.grouping import GroupCommit
from ejournal.application.loading import AggregateLoader, copy_aggregate
from ejournal.application.schema import refuse_first_schema
from ejournal.application.storage import describe, persistence_env
from ejournal.domain import ids
from ejournal.domain.base import JournalAggregate
from ejournal.domain.errors import (
    AlreadyExists,
    ConcurrentWriteConflict,
    IdempotencyKeyReused,
    InvalidEntry,
    InvalidStructure,
    LessonAlreadyRecorded,
    NotFound,
    NotPermitted,
    PeriodMarkAlreadyGiven,
    UnknownLesson,
    UnknownMark,
)
from ejournal.domain.findings import ComplianceAudit, Finding, MissingEntry, audit_id
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson, LessonContext
from ejournal.domain.people import User, UsernameClaim, username_taken
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.transcodings import transcodings
from ejournal.domain.values import Actor, Late, Role
from ejournal.settings import Settings

MAX_ATTEMPTS = 10
#: A retry after a conflict waits a random moment, up to RETRY_JITTER * 2**attempt seconds
#: (at most RETRY_CAP), so that writers racing for the same lesson do not collide again in
#: lockstep, even on a loaded machine where a command's read-decide-write takes long.
RETRY_JITTER = 0.002
RETRY_CAP = 0.25
A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Written:
    """What a command answers: the new thing's id (if any), whether it was late, the event
    log position of its last event (readers wait on it to see their own write), and whether
    this is a replay of an earlier answer under the same idempotency key."""

    id: UUID | None = None
    late: Late | None = None
    position: int | None = None
    replayed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The answer as a receipt stores it (its log position is not known before saving)."""
        return {
            "id": str(self.id) if self.id else None,
            "late": self.late.as_dict() if self.late else None,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Written:
        return cls(
            id=UUID(data["id"]) if data["id"] else None,
            late=Late.from_dict(data["late"]),
            replayed=True,
            extra=data.get("extra") or {},
        )


class CommandReceipt(JournalAggregate):
    """An idempotency key's record: saved in the same transaction as the write it answers."""

    class Issued(JournalAggregate.Created):
        user_id: UUID
        command: str
        fingerprint: str
        answer: dict[str, Any]

    def __init__(self, user_id: UUID, command: str, fingerprint: str,
                 answer: dict[str, Any]) -> None:
        self.user_id = user_id
        self.command = command
        self.fingerprint = fingerprint
        self.answer = answer


def _receipt_id(user_id: UUID, key: str) -> UUID:
    return uuid5(ids.NAMESPACE, f"receipt/{user_id}/{key}")


def _fingerprint(command: str, args: dict[str, Any]) -> str:
    blob = json.dumps([command, args], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class EJournal(Application[UUID]):
    """Commands on schools, classes and class journals."""

    name = "ejournal"

    def __init__(self, settings: Settings | None = None,
                 clock: Callable[[], datetime] | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = clock or (lambda: datetime.now(tz=UTC))
        merged = persistence_env(self.settings)
        on_postgres = merged["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
        if on_postgres:
            # Several processes may start at once; PostgreSQL refuses concurrent DDL on the
            # same objects ("tuple concurrently updated"), so tables are made under a lock.
            merged["CREATE_TABLE"] = "n"
        merged.update(env or {})
        if on_postgres:
            super().__init__(env=merged)
        else:
            # Switching a fresh file to WAL and creating the tables take an exclusive lock that
            # SQLite may refuse at once to a second process starting at the same moment.
            with _file_lock(merged["SQLITE_DBNAME"] + ".ddl-lock"):
                super().__init__(env=merged)
        if on_postgres:
            from eventsourcing.postgres import PostgresApplicationRecorder

            assert isinstance(self.recorder, PostgresApplicationRecorder)  # noqa: S101
            with _pg_schema_lock(merged):
                self.recorder.create_table()
        refuse_first_schema(self.recorder, describe(self.settings))
        self.loader = AggregateLoader(self.recorder, self.mapper,
                                      self.settings.aggregate_cache_size)
        #: A journal's class, year and school never change: kept once read.
        self._journal_refs: dict[UUID, tuple[UUID, UUID, UUID]] = {}
        #: What ``load_many`` keeps on PostgreSQL (the oldest kept first out).
        self._kept: dict[UUID, Aggregate] = {}
        self._kept_lock = threading.Lock()
        #: Commands saving at the same moment share a transaction (grouping.py).
        self.group_commit = GroupCommit(
            lambda pe: self.events.put(pe.events, tracking=pe.tracking, **pe.saved_kwargs),
            self.events.put)

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Every save goes through group commit (grouping.py): in a transaction shared with
        the commands saving at the same moment."""
        recordings = self.group_commit.record(processing_event)
        if self.repository.cache and not self.repository.fastforward:  # as the base's does
            for aggregate_id, aggregate in processing_event.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)
        return recordings

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in transcodings():
            transcoder.register(transcoding)

    # --- plumbing ------------------------------------------------------------------------

    def _now(self, at: datetime | None) -> datetime:
        moment = at or self.clock()
        if moment.tzinfo is None:
            raise ValueError("command times must be timezone-aware")
        return moment.astimezone(UTC)

    def _load(self, cls: type[A], aggregate_id: UUID, what: str, field: str | None = None) -> A:
        return _expect(self.loader.load([aggregate_id]), cls, aggregate_id, what, field)

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, desc=True, limit=1))

    def actor(self, user_id: UUID) -> Actor:
        user = self._load(User, user_id, "user")
        return Actor(user_id=user.id, role=user.role, school_id=user.school_id)

    def _command(
        self,
        actor_id: UUID | None,
        name: str,
        args: dict[str, Any],
        idempotency_key: str | None,
        body: Callable[[], tuple[Sequence[Aggregate], Written]],
    ) -> Written:
        """Run ``body`` (which loads, decides and returns what to save) with bounded retries
        on write conflicts and an optional idempotency receipt in the same transaction."""
        receipt_id = None
        fingerprint = ""
        if idempotency_key is not None:
            if actor_id is None:
                raise NotPermitted("idempotency keys belong to a user")
            if not idempotency_key or len(idempotency_key) > 255:
                raise InvalidEntry("an idempotency key is 1-255 characters",
                                   field="Idempotency-Key")
            receipt_id = _receipt_id(actor_id, idempotency_key)
            fingerprint = _fingerprint(name, args)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if receipt_id is not None:
                replay = self._replay(receipt_id, fingerprint)
                if replay is not None:
                    return replay
            aggregates, written = body()
            to_save: list[Aggregate] = list(aggregates)
            if receipt_id is not None and actor_id is not None:
                to_save.append(CommandReceipt._start(
                    CommandReceipt.Issued, id=receipt_id, at=self._now(None), user_id=actor_id,
                    command=name, fingerprint=fingerprint, answer=written.as_dict(),
                ))
            try:
                recordings = self.save(*to_save)
            except RecordConflictError:
                if attempt == MAX_ATTEMPTS:
                    raise ConcurrentWriteConflict(
                        f"{name}: others kept writing the same records; "
                        f"gave up after {MAX_ATTEMPTS} attempts"
                    ) from None
                pause = min(RETRY_CAP, RETRY_JITTER * 2**attempt)
                time.sleep(random.uniform(0, pause))  # noqa: S311 - jitter, not a secret
                continue
            for aggregate in aggregates:
                self.loader.remember(aggregate)
            positions = [r.notification.id for r in recordings if r.notification.id]
            position = max(positions) if positions else None
            return Written(written.id, written.late, position, False, written.extra)
        raise AssertionError("unreachable")  # pragma: no cover

    def _replay(self, receipt_id: UUID, fingerprint: str) -> Written | None:
        try:
            receipt: Aggregate = self.repository.get(receipt_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(receipt, CommandReceipt)  # noqa: S101 - ids are namespaced
        if receipt.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "this idempotency key was used with a different request"
            )
        # The original write is at or before the log's end: a reader waiting on this
        # position sees it.
        answer = Written.from_dict(receipt.answer)
        return Written(answer.id, answer.late, self.recorder.max_notification_id(), True,
                       answer.extra)

    # --- who may administer ----------------------------------------------------------------

    def _administrator(self, actor_id: UUID, school_id: UUID) -> Actor:
        """The operator, or an admin of this school (R-2.1: the school registers people)."""
        actor = self.actor(actor_id)
        if actor.is_operator or actor.is_admin_of(school_id):
            return actor
        if actor.role is Role.ADMIN:
            raise NotFound(f"no school {school_id}", field="school_id")
        raise NotPermitted("only the school's administration does this")

    def _school_of(self, school_id: UUID) -> School:
        return self._load(School, school_id, "school", "school_id")

    def _member(self, school_id: UUID, user_id: UUID, role: Role, field: str) -> User:
        user = self._in_school(school_id, user_id, field)
        if user.role is not role:
            raise InvalidStructure(f"user {user_id} is not a {role.value}", field=field)
        return user

    # --- accounts and school structure ---------------------------------------------------

    def register_operator(self, *, username: str, full_name: str,
                          at: datetime | None = None, user_id: UUID | None = None) -> Written:
        """The first account of the platform (``ejournal bootstrap``)."""
        return self._register(None, None, username, full_name, Role.OPERATOR.value, at, None,
                              user_id)

    def register_school(self, actor_id: UUID, *, name: str, timezone: str,
                        at: datetime | None = None,
                        idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            actor = self.actor(actor_id)
            if not actor.is_operator:
                raise NotPermitted("only an operator registers schools")
            school = School.register(school_id=uuid4(), name=name, timezone=timezone,
                                     by=actor_id, at=self._now(at))
            return [school], Written(school.id)

        return self._command(actor_id, "register_school", {"name": name, "tz": timezone},
                             idempotency_key, body)

    def register_user(self, actor_id: UUID, school_id: UUID, *, username: str,
                      full_name: str, role: str, at: datetime | None = None,
                      idempotency_key: str | None = None,
                      user_id: UUID | None = None) -> Written:
        """``user_id`` lets the caller store the account's credential under it first."""
        return self._register(actor_id, school_id, username, full_name, role, at,
                              idempotency_key, user_id)

    def _register(self, actor_id: UUID | None, school_id: UUID | None, username: str,
                  full_name: str, role: str, at: datetime | None,
                  idempotency_key: str | None, new_id: UUID | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            if actor_id is not None:
                if school_id is None:
                    if not self.actor(actor_id).is_operator:
                        raise NotPermitted("only an operator registers operators")
                else:
                    self._administrator(actor_id, school_id)
                    self._school_of(school_id)
            moment = self._now(at)
            user = User.register(user_id=new_id or uuid4(), school_id=school_id,
                                 username=username,
                                 full_name=full_name, role=role, by=actor_id, at=moment)
            claim_id = ids.username_claim_id(user.username)
            if self._exists(claim_id):
                raise username_taken(user.username)
            claim = UsernameClaim.claim(claim_id=claim_id, user_id=user.id, at=moment)
            return [user, claim], Written(user.id)

        args = {"school": school_id, "username": username, "name": full_name, "role": role}
        return self._command(actor_id, "register_user", args, idempotency_key, body)

    def user_by_username(self, username: str) -> User | None:
        try:
            claim: Aggregate = self.repository.get(ids.username_claim_id(username))
        except AggregateNotFoundError:
            return None
        assert isinstance(claim, UsernameClaim)  # noqa: S101 - ids are namespaced
        user: Aggregate = self.repository.get(claim.user_id)
        assert isinstance(user, User)  # noqa: S101
        return user

    def plan_year(self, actor_id: UUID, school_id: UUID, *, name: str, starts_on: date,
                  ends_on: date, days_per_week: int,
                  periods: Iterable[tuple[str, date, date]],
                  holidays: Iterable[tuple[str, date, date]] = (),
                  at: datetime | None = None, idempotency_key: str | None = None) -> Written:
        period_list = list(periods)
        holiday_list = list(holidays)

        def body() -> tuple[Sequence[Aggregate], Written]:
            self._administrator(actor_id, school_id)
            self._school_of(school_id)
            year = AcademicYear.plan(
                year_id=uuid4(), school_id=school_id, name=name, starts_on=starts_on,
                ends_on=ends_on, days_per_week=days_per_week,
                periods=[(uuid4(), n, s, e) for n, s, e in period_list],
                holidays=holiday_list, by=actor_id, at=self._now(at),
            )
            period_ids = {p.name: str(pid) for pid, p in year.periods.items()}
            return [year], Written(year.id, extra={"periods": period_ids})

        args = {"school": school_id, "name": name, "from": starts_on, "to": ends_on,
                "days": days_per_week, "periods": period_list, "holidays": holiday_list}
        return self._command(actor_id, "plan_year", args, idempotency_key, body)

    def declare_calendar_day(self, actor_id: UUID, school_id: UUID, *, day: date, kind: str,
                             reason: str, at: datetime | None = None,
                             idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            self._administrator(actor_id, school_id)
            school = self._school_of(school_id)
            school.declare_calendar_day(day=day, kind=kind, reason=reason, by=actor_id,
                                        at=self._now(at))
            return [school], Written()

        args = {"school": school_id, "day": day, "kind": kind, "reason": reason}
        return self._command(actor_id, "declare_calendar_day", args, idempotency_key, body)

    def add_subject(self, actor_id: UUID, school_id: UUID, *, name: str,
                    at: datetime | None = None, idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            self._administrator(actor_id, school_id)
            school = self._school_of(school_id)
            subject_id = uuid4()
            school.add_subject(subject_id=subject_id, name=name, by=actor_id, at=self._now(at))
            return [school], Written(subject_id)

        return self._command(actor_id, "add_subject", {"school": school_id, "name": name},
                             idempotency_key, body)

    def open_class(self, actor_id: UUID, school_id: UUID, *, name: str, year_id: UUID,
                   class_teacher_id: UUID | None = None, at: datetime | None = None,
                   idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            self._administrator(actor_id, school_id)
            year = self._load(AcademicYear, year_id, "academic year", "year_id")
            if year.school_id != school_id:
                raise NotFound(f"no academic year {year_id} in this school", field="year_id")
            if class_teacher_id is not None:
                self._member(school_id, class_teacher_id, Role.TEACHER, "class_teacher_id")
            school_class = SchoolClass.open(class_id=uuid4(), school_id=school_id,
                                            year_id=year_id, name=name,
                                            class_teacher_id=class_teacher_id, by=actor_id,
                                            at=self._now(at))
            return [school_class], Written(school_class.id)

        args = {"school": school_id, "name": name, "year": year_id, "ct": class_teacher_id}
        return self._command(actor_id, "open_class", args, idempotency_key, body)

    def _in_school(self, school_id: UUID, user_id: UUID, field: str) -> User:
        """A user of this school (any role: the domain checks the role it needs)."""
        user = self._load(User, user_id, "user", field)
        if user.school_id != school_id:
            raise NotFound(f"no user {user_id} in this school", field=field)
        return user

    def _administered(self, actor_id: UUID, cls: type[A], aggregate_id: UUID, what: str,
                      field: str) -> A:
        """A class or journal of a school the actor administers; else it does not exist."""
        aggregate = self._load(cls, aggregate_id, what, field)
        try:
            self._administrator(actor_id, getattr(aggregate, "school_id"))  # noqa: B009
        except NotFound:
            raise NotFound(f"no {what} {aggregate_id}", field=field) from None
        return aggregate

    def _class_for_admin(self, actor_id: UUID, class_id: UUID) -> SchoolClass:
        return self._administered(actor_id, SchoolClass, class_id, "class", "class_id")

    def enrol_student(self, actor_id: UUID, class_id: UUID, *, student_id: UUID,
                      from_date: date, at: datetime | None = None,
                      idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            school_class = self._class_for_admin(actor_id, class_id)
            self._member(school_class.school_id, student_id, Role.STUDENT, "student_id")
            year = self._load(AcademicYear, school_class.year_id, "academic year")
            school_class.enrol(student_id=student_id, from_date=from_date,
                               year_starts_on=year.starts_on, year_ends_on=year.ends_on,
                               by=actor_id, at=self._now(at))
            return [school_class], Written()

        args = {"class": class_id, "student": student_id, "from": from_date}
        return self._command(actor_id, "enrol_student", args, idempotency_key, body)

    def end_enrolment(self, actor_id: UUID, class_id: UUID, *, student_id: UUID,
                      last_day: date, at: datetime | None = None,
                      idempotency_key: str | None = None) -> Written:
        """The student leaves the class after ``last_day`` (their last day in it)."""

        def body() -> tuple[Sequence[Aggregate], Written]:
            school_class = self._class_for_admin(actor_id, class_id)
            school_class.end_enrolment(student_id=student_id, last_day=last_day, by=actor_id,
                                       at=self._now(at))
            return [school_class], Written()

        args = {"class": class_id, "student": student_id, "last_day": last_day}
        return self._command(actor_id, "end_enrolment", args, idempotency_key, body)

    def appoint_class_teacher(self, actor_id: UUID, class_id: UUID, *, teacher_id: UUID,
                              at: datetime | None = None,
                              idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            school_class = self._class_for_admin(actor_id, class_id)
            teacher = self._in_school(school_class.school_id, teacher_id, "teacher_id")
            school_class.appoint_class_teacher(teacher.role, teacher_id=teacher_id,
                                               by=actor_id, at=self._now(at))
            return [school_class], Written()

        args = {"class": class_id, "teacher": teacher_id}
        return self._command(actor_id, "appoint_class_teacher", args, idempotency_key, body)

    def link_guardian(self, actor_id: UUID, student_id: UUID, *, guardian_id: UUID,
                      at: datetime | None = None,
                      idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            student = self._load(User, student_id, "user", "student_id")
            if student.school_id is None:
                raise NotFound(f"no student {student_id}", field="student_id")
            try:
                self._administrator(actor_id, student.school_id)
            except NotFound:
                raise NotFound(f"no student {student_id}", field="student_id") from None
            guardian = self._load(User, guardian_id, "user", "guardian_id")
            student.link_guardian(guardian, by=actor_id, at=self._now(at))
            return [student], Written()

        args = {"student": student_id, "guardian": guardian_id}
        return self._command(actor_id, "link_guardian", args, idempotency_key, body)

    def open_journal(self, actor_id: UUID, *, class_id: UUID, subject_id: UUID,
                     teacher_id: UUID, at: datetime | None = None,
                     idempotency_key: str | None = None) -> Written:
        """A teaching assignment (R-4.4). One journal per class and subject."""

        def body() -> tuple[Sequence[Aggregate], Written]:
            school_class = self._class_for_admin(actor_id, class_id)
            school = self._school_of(school_class.school_id)
            school.ensure_subject(subject_id)
            teacher = self._in_school(school.id, teacher_id, "teacher_id")
            journal_id = ids.journal_id(class_id, subject_id)
            if self._exists(journal_id):
                raise _journal_exists()
            journal = ClassJournal.open(
                journal_id=journal_id, school_id=school.id, class_id=class_id,
                subject_id=subject_id, year_id=school_class.year_id, teacher_id=teacher_id,
                teacher_role=teacher.role, by=actor_id, at=self._now(at),
            )
            return [journal], Written(journal.id)

        args = {"class": class_id, "subject": subject_id, "teacher": teacher_id}
        return self._command(actor_id, "open_journal", args, idempotency_key, body)

    def _journal_for_admin(self, actor_id: UUID, journal_id: UUID) -> ClassJournal:
        return self._administered(actor_id, ClassJournal, journal_id, "journal", "journal_id")

    def assign_teacher(self, actor_id: UUID, journal_id: UUID, *, teacher_id: UUID,
                       at: datetime | None = None,
                       idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            journal = self._journal_for_admin(actor_id, journal_id)
            teacher = self._in_school(journal.school_id, teacher_id, "teacher_id")
            journal.assign_teacher(teacher_id=teacher_id, teacher_role=teacher.role,
                                   by=actor_id, at=self._now(at))
            return [journal], Written()

        args = {"journal": journal_id, "teacher": teacher_id}
        return self._command(actor_id, "assign_teacher", args, idempotency_key, body)

    def appoint_substitute(self, actor_id: UUID, journal_id: UUID, *, teacher_id: UUID,
                           from_date: date, to_date: date, at: datetime | None = None,
                           idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            journal = self._journal_for_admin(actor_id, journal_id)
            teacher = self._in_school(journal.school_id, teacher_id, "teacher_id")
            journal.appoint_substitute(teacher_id=teacher_id, teacher_role=teacher.role,
                                       from_date=from_date, to_date=to_date, by=actor_id,
                                       at=self._now(at))
            return [journal], Written()

        args = {"journal": journal_id, "teacher": teacher_id, "from": from_date, "to": to_date}
        return self._command(actor_id, "appoint_substitute", args, idempotency_key, body)

    def set_programme(self, actor_id: UUID, journal_id: UUID, *,
                      topics: Iterable[tuple[str, int]], at: datetime | None = None,
                      idempotency_key: str | None = None) -> Written:
        topic_list = list(topics)

        def body() -> tuple[Sequence[Aggregate], Written]:
            journal = self._journal_for_admin(actor_id, journal_id)
            journal.set_programme(topics=topic_list, by=actor_id, at=self._now(at))
            return [journal], Written()

        args = {"journal": journal_id, "topics": topic_list}
        return self._command(actor_id, "set_programme", args, idempotency_key, body)

    def set_timetable(self, actor_id: UUID, class_id: UUID, *, valid_from: date,
                      lessons: Iterable[tuple[int, int, UUID]], at: datetime | None = None,
                      idempotency_key: str | None = None) -> Written:
        lesson_list = list(lessons)

        def body() -> tuple[Sequence[Aggregate], Written]:
            school_class = self._class_for_admin(actor_id, class_id)
            year = self._load(AcademicYear, school_class.year_id, "academic year")
            journals = {j for _, _, j in lesson_list}
            own = {j for j in journals if self._journal_of_class(j, class_id)}
            school_class.set_timetable(valid_from=valid_from, lessons=lesson_list,
                                       class_journals=own, days_per_week=year.days_per_week,
                                       by=actor_id, at=self._now(at))
            return [school_class], Written()

        args = {"class": class_id, "from": valid_from, "lessons": lesson_list}
        return self._command(actor_id, "set_timetable", args, idempotency_key, body)

    def _journal_of_class(self, journal_id: UUID, class_id: UUID) -> bool:
        try:
            journal = self._load(ClassJournal, journal_id, "journal")
        except NotFound:
            return False
        return journal.class_id == class_id

    # --- the class journal ---------------------------------------------------------------

    def _context(self, actor_id: UUID, journal_id: UUID,
                 also: Sequence[UUID] = ()) -> tuple[LessonContext, dict[UUID, Aggregate]]:
        """The actor, the journal, its class, year and school, and ``also`` (e.g. the lesson),
        loaded together in one round trip once the journal's references are known."""
        refs = self._journal_refs.get(journal_id, ())
        # Only ``also`` is changed by a journal command: the rest is read, never copied.
        shared = {actor_id, journal_id, *refs}
        loaded = self.loader.load([actor_id, journal_id, *refs, *also], read_only=shared)
        user = _expect(loaded, User, actor_id, "user")
        actor = Actor(user_id=user.id, role=user.role, school_id=user.school_id)
        journal = _expect(loaded, ClassJournal, journal_id, "journal", "journal_id")
        if actor.school_id != journal.school_id:
            # Another school's journal does not exist for this user (ids cannot be probed).
            raise NotFound(f"no journal {journal_id}", field="journal_id")
        if not refs:
            refs = (journal.class_id, journal.year_id, journal.school_id)
            self._journal_refs[journal_id] = refs
            loaded.update(self.loader.load(refs, read_only=set(refs)))
        school_class = _expect(loaded, SchoolClass, journal.class_id, "class")
        year = _expect(loaded, AcademicYear, journal.year_id, "academic year")
        school = _expect(loaded, School, journal.school_id, "school", "school_id")
        ctx = LessonContext(actor=actor, journal=journal, school_class=school_class,
                            calendar=year.calendar(school), timezone=school.timezone)
        return ctx, loaded

    def _lesson(self, ctx: LessonContext, lesson_id: UUID,
                loaded: dict[UUID, Aggregate]) -> Lesson:
        lesson = loaded.get(lesson_id)
        if not isinstance(lesson, Lesson) or lesson.journal_id != ctx.journal.id:
            raise UnknownLesson(f"no lesson {lesson_id} held in this journal")
        return lesson

    def hold_lesson(self, actor_id: UUID, journal_id: UUID, *, lesson_date: date, slot: int,
                    topic: str, homework: str | None = None,
                    programme_topic: str | None = None, at: datetime | None = None,
                    idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            lesson_id = ids.lesson_id(journal_id, lesson_date, slot)
            ctx, loaded = self._context(actor_id, journal_id, also=[lesson_id])
            lesson = Lesson.hold(ctx, lesson_id=lesson_id, lesson_date=lesson_date, slot=slot,
                                 topic=topic, homework=homework,
                                 programme_topic=programme_topic, at=self._now(at))
            if lesson_id in loaded:
                raise LessonAlreadyRecorded(
                    f"the journal has a lesson on {lesson_date}, slot {slot} already"
                )
            return [lesson], Written(lesson.id, lesson.late)

        args = {"journal": journal_id, "date": lesson_date, "slot": slot, "topic": topic,
                "homework": homework, "programme_topic": programme_topic}
        return self._command(actor_id, "hold_lesson", args, idempotency_key, body)

    def take_attendance(self, actor_id: UUID, journal_id: UUID, lesson_id: UUID, *,
                        absent: Iterable[tuple[UUID, str | None]], at: datetime | None = None,
                        idempotency_key: str | None = None) -> Written:
        absent_list = list(absent)

        def body() -> tuple[Sequence[Aggregate], Written]:
            ctx, loaded = self._context(actor_id, journal_id, also=[lesson_id])
            lesson = self._lesson(ctx, lesson_id, loaded)
            late = lesson.take_attendance(ctx, absent=absent_list, at=self._now(at))
            return [lesson], Written(None, late)

        args = {"journal": journal_id, "lesson": lesson_id, "absent": absent_list}
        return self._command(actor_id, "take_attendance", args, idempotency_key, body)

    def cancel_absence(self, actor_id: UUID, journal_id: UUID, lesson_id: UUID, *,
                       student_id: UUID, reason: str, at: datetime | None = None,
                       idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            ctx, loaded = self._context(actor_id, journal_id, also=[lesson_id])
            lesson = self._lesson(ctx, lesson_id, loaded)
            late = lesson.cancel_absence(ctx, student_id=student_id, reason=reason,
                                         at=self._now(at))
            return [lesson], Written(None, late)

        args = {"journal": journal_id, "lesson": lesson_id, "student": student_id,
                "reason": reason}
        return self._command(actor_id, "cancel_absence", args, idempotency_key, body)

    def give_mark(self, actor_id: UUID, journal_id: UUID, lesson_id: UUID, *,
                  student_id: UUID, value: str, work: str, comment: str | None = None,
                  at: datetime | None = None, idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            ctx, loaded = self._context(actor_id, journal_id, also=[lesson_id])
            lesson = self._lesson(ctx, lesson_id, loaded)
            mark_id = ids.mark_id(lesson.lesson_date, lesson.slot, secrets.randbits(98))
            late = lesson.give_mark(ctx, mark_id=mark_id, student_id=student_id, value=value,
                                    work=work, comment=comment, at=self._now(at))
            return [lesson], Written(mark_id, late)

        args = {"journal": journal_id, "lesson": lesson_id, "student": student_id,
                "value": value, "work": work, "comment": comment}
        return self._command(actor_id, "give_mark", args, idempotency_key, body)

    def _mark_context(self, actor_id: UUID, journal_id: UUID,
                      mark_id: UUID) -> tuple[LessonContext, Lesson]:
        """The mark's id names its lesson's date and slot (ids.mark_id)."""
        lesson_id = ids.mark_lesson(journal_id, mark_id)
        ctx, loaded = self._context(actor_id, journal_id, also=[lesson_id] if lesson_id else [])
        lesson = loaded.get(lesson_id) if lesson_id else None
        if not isinstance(lesson, Lesson) or lesson.journal_id != journal_id:
            raise UnknownMark(f"no mark {mark_id} in this journal")
        lesson.mark(mark_id)  # raises UnknownMark when the lesson has no such mark
        return ctx, lesson

    def correct_mark(self, actor_id: UUID, journal_id: UUID, mark_id: UUID, *, value: str,
                     reason: str, at: datetime | None = None,
                     idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            ctx, lesson = self._mark_context(actor_id, journal_id, mark_id)
            lesson.correct_mark(ctx, mark_id=mark_id, value=value, reason=reason,
                                at=self._now(at))
            return [lesson], Written(mark_id)

        args = {"journal": journal_id, "mark": mark_id, "value": value, "reason": reason}
        return self._command(actor_id, "correct_mark", args, idempotency_key, body)

    def cancel_mark(self, actor_id: UUID, journal_id: UUID, mark_id: UUID, *, reason: str,
                    at: datetime | None = None, idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            ctx, lesson = self._mark_context(actor_id, journal_id, mark_id)
            lesson.cancel_mark(ctx, mark_id=mark_id, reason=reason, at=self._now(at))
            return [lesson], Written(mark_id)

        args = {"journal": journal_id, "mark": mark_id, "reason": reason}
        return self._command(actor_id, "cancel_mark", args, idempotency_key, body)

    def give_period_mark(self, actor_id: UUID, journal_id: UUID, *, student_id: UUID,
                         period_id: UUID, value: str, at: datetime | None = None,
                         idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            pm_id = ids.period_mark_id(journal_id, student_id, period_id)
            ctx, loaded = self._context(actor_id, journal_id, also=[pm_id])
            year = _expect(loaded, AcademicYear, ctx.journal.year_id, "academic year")
            period = year.period(period_id)
            mark = PeriodMark.give(
                period_mark_id=pm_id, actor=ctx.actor, journal=ctx.journal,
                school_class=ctx.school_class, period_id=period_id, period=period,
                student_id=student_id, value=value, timezone=ctx.timezone,
                working=ctx.calendar.working, at=self._now(at),
            )
            if pm_id in loaded:
                raise PeriodMarkAlreadyGiven(
                    f"student {student_id} has a period mark for {period.name} in this "
                    "journal; change it with a correction"
                )
            return [mark], Written(mark.id, mark.late)

        args = {"journal": journal_id, "student": student_id, "period": period_id,
                "value": value}
        return self._command(actor_id, "give_period_mark", args, idempotency_key, body)

    def correct_period_mark(self, actor_id: UUID, journal_id: UUID, period_mark_id: UUID, *,
                            value: str, reason: str, at: datetime | None = None,
                            idempotency_key: str | None = None) -> Written:
        def body() -> tuple[Sequence[Aggregate], Written]:
            ctx, loaded = self._context(actor_id, journal_id, also=[period_mark_id])
            mark = _expect(loaded, PeriodMark, period_mark_id, "period mark", "period_mark_id")
            if mark.journal_id != journal_id:
                raise NotFound(f"no period mark {period_mark_id} in this journal",
                               field="period_mark_id")
            mark.correct(actor=ctx.actor, journal=ctx.journal, value=value, reason=reason,
                         timezone=ctx.timezone, at=self._now(at))
            return [mark], Written(mark.id)

        args = {"journal": journal_id, "period_mark": period_mark_id, "value": value,
                "reason": reason}
        return self._command(actor_id, "correct_period_mark", args, idempotency_key, body)


    # --- compliance (issue #5): findings of the scheduler --------------------------------

    #: Ids per statement of the loader's fast-forward on SQLite (one ``(id = ? AND version >
    #: ?)`` term each): SQLite refuses an expression deeper than 1,000 terms.
    CHUNK_SQLITE = 400

    @property
    def _on_postgres(self) -> bool:
        return type(self.recorder).__module__.endswith("postgres")

    def load_many(self, aggregate_ids: Iterable[UUID],
                  read_only: bool = True) -> dict[UUID, Aggregate]:
        """Many aggregates as they are now, kept in memory and fast-forwarded in a few
        statements; unknown ids are left out. ``read_only``: the kept objects themselves (never
        change them); else copies.

        On SQLite through the loader (its ``OR`` of one term per id is an index lookup each,
        400 a statement). On PostgreSQL such an ``OR`` of more than a few dozen terms is planned
        as a scan of the whole events table (99 ms for 400 ids over 34,000 events, and growing
        with the log), so the kept aggregates are fast-forwarded here, by
        ``_select_newer_postgres``."""
        wanted = list(dict.fromkeys(aggregate_ids))
        if not self._on_postgres:
            found: dict[UUID, Aggregate] = {}
            for i in range(0, len(wanted), self.CHUNK_SQLITE):
                chunk = wanted[i:i + self.CHUNK_SQLITE]
                found.update(self.loader.load(chunk, read_only=set(chunk) if read_only else ()))
            return found
        kept = self._kept
        with self._kept_lock:
            versions = {i: kept[i].version if i in kept else 0 for i in wanted}
        newer = self._select_newer_postgres(versions)
        with self._kept_lock:
            current: Any = None
            for stored in newer:
                if current is None or current.id != stored.originator_id:
                    if current is not None:
                        kept[current.id] = current
                    base = kept.get(UUID(str(stored.originator_id)))
                    current = copy_aggregate(base) if base is not None else None
                if current is not None and stored.originator_version <= current.version:
                    continue  # another thread went on meanwhile
                event: Any = self.mapper.to_domain_event(stored)
                current = event.mutate(current)
            if current is not None:
                kept[current.id] = current
            while len(kept) > max(self.settings.aggregate_cache_size, len(wanted)):
                kept.pop(next(iter(kept)))  # the oldest kept first
            chosen = {i: kept[i] for i in wanted if i in kept}
        return chosen if read_only else {i: copy_aggregate(a) for i, a in chosen.items()}

    def _select_newer_postgres(self, versions: dict[UUID, int]) -> list[StoredEvent]:
        """The events after these versions: ``originator_id = ANY(...) AND version > the
        lowest``, filtered here per id - a bitmap scan of the primary key (a join of the ids to
        the events, even ``LATERAL``, is planned as a scan of the whole table)."""
        from psycopg.sql import SQL, Identifier

        table = self.recorder.events_table_name  # type: ignore[attr-defined]
        datastore: Any = self.recorder.datastore  # type: ignore[attr-defined]
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {}.{} "
            "WHERE originator_id = ANY(%s) AND originator_version > %s "
            "ORDER BY originator_id, originator_version"
        ).format(Identifier(datastore.schema), Identifier(table))
        items = list(versions.items())
        found: list[StoredEvent] = []
        with datastore.get_connection() as conn, conn.cursor() as curs:
            for i in range(0, len(items), 5000):
                chunk = dict(items[i:i + 5000])
                curs.execute(statement, [list(chunk), min(chunk.values())])
                found += [StoredEvent(originator_id=row["originator_id"],
                                      originator_version=row["originator_version"],
                                      topic=row["topic"], state=bytes(row["state"]))
                          for row in curs.fetchall()
                          if row["originator_version"] > chunk[row["originator_id"]]]
        return found

    def read_many(self, aggregate_ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        """Many aggregates replayed from their whole histories, in few statements, bypassing
        the loader's cache (for aggregates read once, such as a day's lessons); unknown ids are
        left out."""
        rows = self._select_events(list(dict.fromkeys(aggregate_ids)), first_only=False)
        found: dict[UUID, Aggregate] = {}
        current: Any = None
        for stored in rows:
            if current is not None and current.id != stored.originator_id:
                found[current.id] = current
                current = None
            event: Any = self.mapper.to_domain_event(stored)
            current = event.mutate(current)
        if current is not None:
            found[current.id] = current
        return found

    def existing(self, aggregate_ids: Iterable[UUID]) -> set[UUID]:
        """Which of these aggregates exist (have a first event), without reading them."""
        rows = self._select_events(list(dict.fromkeys(aggregate_ids)), first_only=True)
        return {UUID(str(row.originator_id)) for row in rows}

    def _select_events(self, wanted: list[UUID], *, first_only: bool) -> list[StoredEvent]:
        """The stored events of these aggregates (only their first, with ``first_only``),
        ordered by aggregate and version: ``= ANY(array)`` on PostgreSQL (5,000 ids a
        statement), ``IN (...)`` on SQLite (900) - an index lookup per id either way."""
        if not wanted:
            return []
        table = self.recorder.events_table_name  # type: ignore[attr-defined]
        datastore: Any = self.recorder.datastore  # type: ignore[attr-defined]
        columns = "originator_id, originator_version, topic, state"
        first = "originator_version = 1 AND " if first_only else ""
        found: list[StoredEvent] = []
        if self._on_postgres:
            from psycopg.sql import SQL, Identifier

            statement = SQL(f"SELECT {columns} FROM {{}}.{{}} WHERE {first}"  # noqa: S608
                            "originator_id = ANY(%s) ORDER BY originator_id, originator_version"
                            ).format(Identifier(datastore.schema), Identifier(table))
            with datastore.get_connection() as conn, conn.cursor() as curs:
                for i in range(0, len(wanted), 5000):
                    curs.execute(statement, [wanted[i:i + 5000]])
                    found += [StoredEvent(originator_id=row["originator_id"],
                                          originator_version=row["originator_version"],
                                          topic=row["topic"], state=bytes(row["state"]))
                              for row in curs.fetchall()]
            return found
        with datastore.get_connection(commit=False) as conn:
            cursor = conn.cursor()
            for i in range(0, len(wanted), 900):
                chunk = wanted[i:i + 900]
                cursor.execute(
                    f"SELECT {columns} FROM {table} WHERE {first}"  # noqa: S608
                    f"originator_id IN ({','.join('?' * len(chunk))}) "
                    "ORDER BY originator_id, originator_version", [x.hex for x in chunk])
                found += [StoredEvent(originator_id=UUID(row["originator_id"]),
                                      originator_version=row["originator_version"],
                                      topic=row["topic"], state=row["state"])
                          for row in cursor.fetchall()]
        return found

    def record_findings(self, school_id: UUID, findings: Sequence[Finding], *,
                        day_checked: date | None = None,
                        at: datetime | None = None) -> Written:
        """Records the scheduler's findings (R-4.5, R-4.6, R-6.1d, R-6.2) that are not recorded
        yet and, with ``day_checked``, the school's record that this day was checked - in one
        transaction, so a crash keeps both or neither. A finding's id is derived from what is
        missing: recorded already (by an earlier run, a restart, another process, or
        ``ejournal check``) it is left out; two processes racing to record it collide on the
        event store's key and the loser's retry leaves it out. ``extra["new"]``: the ids
        recorded now."""
        by_id = {f.id: f for f in findings}
        if any(f.school_id != school_id for f in by_id.values()):
            raise ValueError("every finding must be of the school checked")

        def body() -> tuple[Sequence[Aggregate], Written]:
            moment = self._now(at)
            known = self.existing(by_id)
            new = [MissingEntry.find(f, at=moment) for fid, f in by_id.items()
                   if fid not in known]
            changed: list[Aggregate] = list(new)
            if day_checked is not None:
                the_id = audit_id(school_id)
                audit = self.loader.load([the_id]).get(the_id)
                if not isinstance(audit, ComplianceAudit):
                    audit = ComplianceAudit.open(school_id=school_id, at=moment)
                if audit.last_checked is None or day_checked > audit.last_checked:
                    audit.check_day(day=day_checked, found=len(new), at=moment)
                    changed.append(audit)
            return changed, Written(extra={"new": [str(m.id) for m in new]})

        return self._command(None, "record_findings", {}, None, body)

    def resolve_findings(self, answers: Sequence[tuple[UUID, datetime, UUID]], *,
                         at: datetime | None = None) -> Written:
        """Marks findings resolved: ``(finding_id, entered_at, entered_by)`` - the missing entry
        arrived (late) at ``entered_at``, by ``entered_by``. Findings resolved already are left
        as they are. ``extra["resolved"]``: how many were resolved now."""
        by_id = {finding: (entered_at, by) for finding, entered_at, by in answers}

        def body() -> tuple[Sequence[Aggregate], Written]:
            moment = self._now(at)
            changed = []
            for finding in self.load_many(by_id, read_only=False).values():
                if isinstance(finding, MissingEntry) and not finding.resolved:
                    entered_at, by = by_id[finding.id]
                    finding.resolve(entered_at=entered_at, entered_by=by, at=moment)
                    changed.append(finding)
            return changed, Written(extra={"resolved": len(changed)})

        return self._command(None, "resolve_findings", {}, None, body)

    def compliance_audit(self, school_id: UUID) -> ComplianceAudit | None:
        """The school's record of the days checked, as it stands now (None before the first)."""
        the_id = audit_id(school_id)
        found = self.loader.load([the_id], read_only={the_id}).get(the_id)
        return found if isinstance(found, ComplianceAudit) else None

def _expect(loaded: dict[UUID, Aggregate], cls: type[A], aggregate_id: UUID, what: str,
            field: str | None = None) -> A:
    aggregate = loaded.get(aggregate_id)
    if not isinstance(aggregate, cls):
        raise NotFound(f"no {what} {aggregate_id}", field=field)
    return aggregate


def _journal_exists() -> Exception:
    return AlreadyExists("this class has a journal for that subject already",
                         field="subject_id")


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    """An exclusive advisory lock on a file, held by this process while the block runs."""
    import fcntl

    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _pg_schema_lock(env: dict[str, str]) -> Iterator[None]:
    """Holds a session advisory lock while the schema and tables are created (idempotent)."""
    import psycopg
    from psycopg import sql

    schema = env.get("POSTGRES_SCHEMA", "public")
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None, autocommit=True,
    ) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('ejournal-ddl'))")
        try:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('ejournal-ddl'))")
