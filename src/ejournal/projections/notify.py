"""The notifications outbox (R-3.4e, R-5.2d): every mark given, corrected or cancelled, every
absence, period mark, message and announcement becomes, as the conversations read model
applies it, one row for each guardian (and student) it concerns who has an e-mail address and
has not turned mail off *at that point of the log*: the mail's Russian subject and body, and
whether it waits for the daily digest.

A row's delivery key (``key``: the cause's log position, the recipient, a number within the
cause) is what the sender records its attempts under (``notif_deliveries``, kept by a
rebuild): a rebuilt outbox has the same keys, so nothing is sent twice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    select,
    update,
)

from ejournal.domain.conversation import NotificationSettings
from ejournal.domain.ids import NAMESPACE
from ejournal.domain.lesson import Lesson
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.values import Work
from ejournal.projections.base import as_utc, handles, metadata
from ejournal.projections.batching import Batch
from ejournal.projections.conversation_tables import guardians, journals, people, schools

#: The hour (school-local) the daily digest is sent.
DIGEST_HOUR = 18
WORK = {Work.ORAL: "устный ответ", Work.WRITTEN: "письменная работа",
        Work.PRACTICAL: "практическая работа", Work.TEST: "контрольная работа",
        Work.HOMEWORK: "домашнее задание"}

contacts = Table("notif_contacts", metadata,
                 Column("user_id", Uuid, primary_key=True),
                 Column("email", Text, nullable=True),
                 Column("choice", String(8), nullable=False))
subjects = Table("notif_subjects", metadata,
                 Column("subject_id", Uuid, primary_key=True),
                 Column("name", Text, nullable=False))
periods = Table("notif_periods", metadata,
                Column("period_id", Uuid, primary_key=True),
                Column("name", Text, nullable=False))
outbox = Table("notif_outbox", metadata,
               Column("key", String(80), primary_key=True),
               Column("id", Uuid, nullable=False),  # uuid5 of the key: the API's id
               Column("recipient_id", Uuid, nullable=False),
               Column("position", BigInteger, nullable=False),
               Column("cause", String(32), nullable=False),
               Column("email", Text, nullable=False),
               Column("digest", Boolean, nullable=False),
               Column("subject", Text, nullable=False),
               Column("body", Text, nullable=False),
               Column("created_at", DateTime(timezone=True), nullable=False),
               Column("due_at", DateTime(timezone=True), nullable=False),
               Index("ix_notif_outbox_recipient", "recipient_id", "position"),
               Index("ix_notif_outbox_due", "due_at"))
#: The sender's record of each delivery key (never dropped by a rebuild): ``sending`` while
#: a sender holds it (until ``lease_until``), then ``sent`` or, after a refusal or too many
#: attempts, ``failed``; a failed attempt before that leaves it ``pending`` until
#: ``next_attempt_at``.
deliveries = Table("notif_deliveries", metadata,
                   Column("key", String(80), primary_key=True),
                   Column("status", String(8), nullable=False),
                   Column("attempts", Integer, nullable=False),
                   Column("next_attempt_at", DateTime(timezone=True), nullable=True),
                   Column("lease_until", DateTime(timezone=True), nullable=True),
                   Column("sent_at", DateTime(timezone=True), nullable=True),
                   Column("error", Text, nullable=True))

NOTIFY_TABLES = (contacts, subjects, periods, outbox)
#: A student's guardians (built once, as the next: each mark's batch asks them).
FAMILY = select(guardians.c.guardian_id).where(guardians.c.student_id == bindparam("s")) \
    .order_by(guardians.c.guardian_id)
#: Who has an address and mail not off.
REACHABLE = select(contacts.c.user_id).where(contacts.c.email.is_not(None),
                                             contacts.c.choice != "off")


def day_ru(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _name(batch: Batch, user_id: UUID) -> str:
    found = batch.execute(select(people.c.full_name).where(people.c.user_id == user_id)
                          ).scalar()
    return str(found or "")


def _subject(batch: Batch, subject_id: UUID | None) -> str:
    found = batch.execute(select(subjects.c.name).where(subjects.c.subject_id == subject_id)
                          ).scalar()
    return str(found or "")


def _due(batch: Batch, school_id: UUID | None, moment: datetime, digest: bool) -> datetime:
    """Now, or for a digest the next digest hour of the school's day."""
    if not digest:
        return moment
    zone = batch.execute(select(schools.c.timezone).where(schools.c.school_id == school_id)
                         ).scalar()
    local = moment.astimezone(ZoneInfo(zone or "UTC"))
    due = datetime.combine(local.date(), time(DIGEST_HOUR), tzinfo=local.tzinfo)
    if due <= local:
        due += timedelta(days=1)
    return due.astimezone(moment.tzinfo)


class Notifies:
    """Handlers (a mixin of the conversations read model) that keep the outbox."""

    @handles(NotificationSettings.ContactSet)
    def contact_set(self, batch: Batch, e: NotificationSettings.ContactSet, _: int) -> None:
        self._settle(batch, e.by, email=e.email)

    @handles(NotificationSettings.EmailChoiceSet)
    def choice_set(self, batch: Batch, e: NotificationSettings.EmailChoiceSet, _: int) -> None:
        self._settle(batch, e.by, choice=e.choice)

    def _reachable(self, batch: Batch) -> set[UUID]:
        """Who has an address and mail not off (kept for the batch: on a log where few or
        none gave an address, a mark costs no query)."""
        found: set[UUID] | None = batch.remembered.get("notif_reachable")
        if found is None:
            found = batch.remembered["notif_reachable"] = {
                UUID(str(u)) for u in batch.execute(REACHABLE).scalars()}
        return found

    def _settle(self, batch: Batch, user_id: UUID, **values: str) -> None:
        batch.remembered.pop("notif_reachable", None)
        known = batch.execute(select(contacts.c.user_id).where(contacts.c.user_id == user_id)
                              ).first()
        if known is None:
            batch.insert(contacts, {"user_id": user_id, "email": values.get("email"),
                                    "choice": values.get("choice", "instant")})
        else:
            batch.execute(update(contacts).where(contacts.c.user_id == user_id)
                          .values(**values))

    @handles(School.SubjectAdded)
    def subject_added(self, batch: Batch, e: School.SubjectAdded, _: int) -> None:
        batch.insert(subjects, {"subject_id": e.subject_id, "name": e.name})

    @handles(AcademicYear.Planned)
    def year_planned(self, batch: Batch, e: AcademicYear.Planned, _: int) -> None:
        batch.insert_many(periods, ({"period_id": p.id, "name": p.name} for p in e.periods))

    # --- causes -----------------------------------------------------------------------------

    def notify(self, batch: Batch, position: int, cause: str, recipients: list[UUID],
               school_id: UUID | None, moment: datetime, subject: str, body: str) -> None:
        """One outbox row for each recipient with an address and mail not turned off."""
        reachable = self._reachable(batch)
        if not any(r in reachable for r in recipients):
            return
        rows = batch.execute(select(contacts).where(contacts.c.user_id.in_(recipients),
                                                    contacts.c.email.is_not(None),
                                                    contacts.c.choice != "off")).all()
        at = as_utc(moment)
        chosen = {row.user_id: row for row in rows}
        for n, recipient in enumerate(recipients):
            row = chosen.get(recipient)
            if row is None:
                continue
            digest = row.choice == "daily"
            batch.insert(outbox, {
                "key": (key := f"{position}-{recipient.hex}-{n}"),
                "id": uuid5(NAMESPACE, f"notification/{key}"), "recipient_id": recipient,
                "position": position, "cause": cause, "email": row.email, "digest": digest,
                "subject": subject, "body": body, "created_at": at,
                "due_at": _due(batch, school_id, at, digest)})

    def _family(self, batch: Batch, student_id: UUID) -> list[UUID]:
        """The student and their guardians linked so far (kept for the batch; a link or
        its end forgets it: ``Conversations.linked``)."""
        key = ("family", student_id)
        found: list[UUID] | None = batch.remembered.get(key)
        if found is None:
            linked = [UUID(str(g)) for g in batch.execute(FAMILY, {"s": student_id}).scalars()]
            found = batch.remembered[key] = [student_id, *linked]
        return found

    def _about_mark(self, batch: Batch, position: int, e: Any, cause: str, heading: str,
                    line: str) -> None:
        if not self._reachable(batch):
            return
        student, subject = _name(batch, e.student_id), _subject(batch, e.subject_id)
        title = f"{heading}: {student}, {subject}, «{e.value}»"
        body = (f"{line}\n\nУченик: {student}\nПредмет: {subject}\nОтметка: {e.value} "
                f"({WORK[e.work]})\nДата урока: {day_ru(e.lesson_date)}\n")
        if getattr(e, "reason", None):
            body += f"Причина: {e.reason}\n"
        self.notify(batch, position, cause, self._family(batch, e.student_id), e.school_id,
                    e.timestamp, title, body)

    @handles(Lesson.MarkGiven)
    def notify_mark(self, batch: Batch, e: Lesson.MarkGiven, position: int) -> None:
        self._about_mark(batch, position, e, "mark_given", "Новая отметка",
                         "В электронном журнале выставлена отметка.")

    @handles(Lesson.MarkCorrected)
    def notify_correction(self, batch: Batch, e: Lesson.MarkCorrected, position: int) -> None:
        self._about_mark(batch, position, e, "mark_corrected", "Отметка исправлена",
                         "В электронном журнале исправлена отметка.")

    @handles(Lesson.MarkCancelled)
    def notify_cancel(self, batch: Batch, e: Lesson.MarkCancelled, position: int) -> None:
        self._about_mark(batch, position, e, "mark_cancelled", "Отметка отменена",
                         "В электронном журнале отменена отметка.")

    @handles(Lesson.AttendanceTaken)
    def notify_absence(self, batch: Batch, e: Lesson.AttendanceTaken, position: int) -> None:
        if not e.absent or not self._reachable(batch):
            return
        subject = _subject(batch, e.subject_id)
        for absence in e.absent:
            student = _name(batch, absence.student_id)
            self.notify(batch, position, "absent", self._family(batch, absence.student_id),
                        e.school_id, e.timestamp,
                        f"Отсутствие на уроке: {student}, {subject}, {day_ru(e.lesson_date)}",
                        f"{student} отсутствовал(а) на уроке.\n\nПредмет: {subject}\n"
                        f"Дата урока: {day_ru(e.lesson_date)}\n")

    @handles(PeriodMark.Given, PeriodMark.Corrected)
    def notify_period_mark(self, batch: Batch, e: PeriodMark.Given | PeriodMark.Corrected,
                           position: int) -> None:
        if not self._reachable(batch):
            return
        subject_id = batch.execute(select(journals.c.subject_id).where(
            journals.c.journal_id == e.journal_id)).scalar()
        subject, student = _subject(batch, subject_id), _name(batch, e.student_id)
        period = batch.execute(select(periods.c.name).where(
            periods.c.period_id == e.period_id)).scalar() or ""
        given = isinstance(e, PeriodMark.Given)
        heading = "Итоговая отметка" if given else "Итоговая отметка исправлена"
        body = (f"Ученик: {student}\nПредмет: {subject}\nПериод: {period}\n"
                f"Отметка: {e.value}\n")
        if isinstance(e, PeriodMark.Corrected):
            body += f"Причина: {e.reason}\n"
        self.notify(batch, position, "period_mark_given" if given else "period_mark_corrected",
                    self._family(batch, e.student_id), e.school_id, e.timestamp,
                    f"{heading}: {student}, {subject}, {period}, «{e.value}»", body)
