"""What the pages write, and the one place they write it: the application's commands, as the
API issues them (``hidden_unless_visible``: a journal the teacher may not even see is 404).

A command the journal's rules refuse writes nothing and comes back as the teacher's words
with the rule's id; one accepted late says so with its rule. The writer's next read sees
the write: each waits for the read models to hold it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ejournal.api.access import hidden_unless_visible
from ejournal.api.deps import Principal
from ejournal.api.services import Services
from ejournal.application import Written
from ejournal.domain.errors import DomainError, NotFound, NotPermitted
from ejournal.web import i18n

#: The longest wait for the read models to hold a write before the answer is shown.
SETTLE = 5.0


@dataclass(frozen=True)
class Outcome:
    """A write's answer for the page: what was written, and what the teacher is told."""

    written: Written | None
    late: str | None = None  # «Внесено с опозданием, на 2 дня»
    refused: str | None = None  # «Отметка — одна из 2, 3, 4, 5 … (R-6.1a)»

    @property
    def id(self) -> UUID | None:
        return self.written.id if self.written else None


def _run(svc: Services, viewer: Principal, journal_id: UUID,
         command: Callable[[], Written]) -> Outcome:
    try:
        with hidden_unless_visible(svc, viewer, journal_id):
            written = command()
    except (NotFound, NotPermitted):
        raise
    except DomainError as exc:
        return Outcome(None, refused=i18n.refusal(exc))
    if written.position is not None:
        svc.projector.wait_for(written.position, timeout=SETTLE)
    late = i18n.late_notice(written.late.rule, written.late.days) if written.late else None
    return Outcome(written, late=late)


def hold_lesson(svc: Services, viewer: Principal, journal_id: UUID, *, day: date, slot: int,
                topic: str, homework: str | None, programme_topic: str | None) -> Outcome:
    return _run(svc, viewer, journal_id, lambda: svc.app.hold_lesson(
        viewer.user_id, journal_id, lesson_date=day, slot=slot, topic=topic,
        homework=homework, programme_topic=programme_topic))


def take_attendance(svc: Services, viewer: Principal, journal_id: UUID, lesson_id: UUID,
                    absent: list[tuple[UUID, str | None]]) -> Outcome:
    return _run(svc, viewer, journal_id, lambda: svc.app.take_attendance(
        viewer.user_id, journal_id, lesson_id, absent=absent))


def cancel_absence(svc: Services, viewer: Principal, journal_id: UUID, lesson_id: UUID,
                   student_id: UUID, reason: str) -> Outcome:
    return _run(svc, viewer, journal_id, lambda: svc.app.cancel_absence(
        viewer.user_id, journal_id, lesson_id, student_id=student_id, reason=reason))


def give_mark(svc: Services, viewer: Principal, journal_id: UUID, lesson_id: UUID,
              student_id: UUID, *, value: str, work: str, comment: str | None) -> Outcome:
    return _run(svc, viewer, journal_id, lambda: svc.app.give_mark(
        viewer.user_id, journal_id, lesson_id, student_id=student_id, value=value.strip(),
        work=work, comment=comment))


def correct_mark(svc: Services, viewer: Principal, journal_id: UUID, mark_id: UUID, *,
                 value: str, reason: str) -> Outcome:
    return _run(svc, viewer, journal_id, lambda: svc.app.correct_mark(
        viewer.user_id, journal_id, mark_id, value=value.strip(), reason=reason))


def cancel_mark(svc: Services, viewer: Principal, journal_id: UUID, mark_id: UUID, *,
                reason: str) -> Outcome:
    return _run(svc, viewer, journal_id, lambda: svc.app.cancel_mark(
        viewer.user_id, journal_id, mark_id, reason=reason))
