"""What the pages write, and the one place they write it: the application's commands, as the
API issues them (``hidden_unless_visible``: a journal the teacher may not even see is 404).

A command the journal's rules refuse writes nothing and comes back as the teacher's words
with the rule's id; one accepted late says so with its rule. The writer's next read sees
the write: each waits for the read models to hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ejournal.api.access import hidden_unless_visible
from ejournal.api.deps import Principal
from ejournal.api.services import Services
from ejournal.application import Result
from ejournal.application.commands import (
    CancelAbsence,
    CancelMark,
    Command,
    CorrectMark,
    GiveMark,
    HoldLesson,
    TakeAttendance,
)
from ejournal.domain.errors import DomainError, NotFound, NotPermitted
from ejournal.web import i18n

#: The longest wait for the read models to hold a write before the answer is shown.
SETTLE = 5.0


@dataclass(frozen=True)
class Outcome:
    """A write's answer for the page: what was written, and what the teacher is told."""

    written: Result | None
    late: str | None = None  # «Внесено с опозданием, на 2 дня»
    refused: str | None = None  # «Отметка — одна из 2, 3, 4, 5 … (R-6.1a)»

    @property
    def id(self) -> UUID | None:
        made: UUID | None = getattr(self.written, "id", None)
        return made


def run(svc: Services, viewer: Principal, journal_id: UUID, command: Command[Any]) -> Outcome:
    """``command`` on the journal ``journal_id``, as the API runs it."""
    try:
        with hidden_unless_visible(svc, viewer, journal_id):
            written = svc.app.execute(command)
    except (NotFound, NotPermitted):
        raise
    except DomainError as exc:
        return Outcome(None, refused=i18n.refusal(exc))
    if written.position is not None:
        svc.projector.wait_for(written.position, timeout=SETTLE)
    late = getattr(written, "late", None)
    return Outcome(written, late=i18n.late_notice(late.rule, late.days) if late else None)


def hold_lesson(svc: Services, viewer: Principal, journal_id: UUID, *, day: date, slot: int,
                topic: str, homework: str | None, programme_topic: str | None,
                homework_minutes: int | None = None) -> Outcome:
    return run(svc, viewer, journal_id, HoldLesson(
        viewer.user_id, journal_id, lesson_date=day, slot=slot, topic=topic, homework=homework,
        programme_topic=programme_topic, homework_minutes=homework_minutes))


def take_attendance(svc: Services, viewer: Principal, journal_id: UUID, lesson_id: UUID,
                    absent: list[tuple[UUID, str | None]]) -> Outcome:
    return run(svc, viewer, journal_id,
                TakeAttendance(viewer.user_id, journal_id, lesson_id, absent))


def cancel_absence(svc: Services, viewer: Principal, journal_id: UUID, lesson_id: UUID,
                   student_id: UUID, reason: str) -> Outcome:
    return run(svc, viewer, journal_id,
                CancelAbsence(viewer.user_id, journal_id, lesson_id, student_id, reason))


def give_mark(svc: Services, viewer: Principal, journal_id: UUID, lesson_id: UUID,
              student_id: UUID, *, value: str, work: str, comment: str | None) -> Outcome:
    return run(svc, viewer, journal_id, GiveMark(
        viewer.user_id, journal_id, lesson_id, student_id, value=value.strip(), work=work,
        comment=comment))


def correct_mark(svc: Services, viewer: Principal, journal_id: UUID, mark_id: UUID, *,
                 value: str, reason: str) -> Outcome:
    return run(svc, viewer, journal_id, CorrectMark(viewer.user_id, journal_id, mark_id,
                                                     value=value.strip(), reason=reason))


def cancel_mark(svc: Services, viewer: Principal, journal_id: UUID, mark_id: UUID, *,
                reason: str) -> Outcome:
    return run(svc, viewer, journal_id,
                CancelMark(viewer.user_id, journal_id, mark_id, reason=reason))
