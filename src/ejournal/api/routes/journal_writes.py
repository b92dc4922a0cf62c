"""Journal entries: lessons, attendance, marks, period marks. A request model checks the
shape; one application command decides who may (R-4.4, R-4.9; 404 for a journal not visible),
lateness (R-4.5, R-4.6, R-6.1d, R-6.2) and conflicts (409). Every write answers
``X-Log-Position``, which the writer's next read may wait on to see its own write."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ejournal.api.access import hidden_unless_visible
from ejournal.api.deps import IdempotencyKey, JournalWriter, Principal, ServicesDep
from ejournal.api.requests import (
    AbsenceCancellationIn,
    AttendanceIn,
    CorrectionIn,
    LessonIn,
    MarkCancellationIn,
    MarkIn,
    PeriodMarkIn,
)
from ejournal.api.responses import CreatedOut, WrittenOut, written_response
from ejournal.api.services import Services
from ejournal.application import Result
from ejournal.application.commands import (
    CancelAbsence,
    CancelMark,
    Command,
    CorrectMark,
    CorrectPeriodMark,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    TakeAttendance,
)

router = APIRouter(prefix="/api/v1", tags=["journal entries"])

LOG_POSITION = "X-Log-Position"
_HEADERS = {
    LOG_POSITION: {"description": "the write's event log position (readers may wait on it)",
                   "schema": {"type": "integer"}},
    "Idempotent-Replayed": {"description": "`true` when this answers an earlier request "
                                           "with the same Idempotency-Key",
                            "schema": {"type": "string"}},
}


def _created(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The 201 answer and its headers (the error answers come from ``openapi``)."""
    return {201: {"model": model, "headers": _HEADERS}}


def _answer(svc: Services, user: Principal, written: Result) -> JSONResponse:
    """The write's answer with its log position, which this session's next read waits for
    (``api/freshness.py``)."""
    response = written_response(written)
    if written.position is not None:
        response.headers[LOG_POSITION] = str(written.position)
        svc.freshness.wrote(user.token, written.position)
    return response


def _run(svc: Services, user: Principal, command: Command[Any],
         idempotency_key: str | None) -> JSONResponse:
    return _answer(svc, user, svc.app.execute(command, idempotency_key=idempotency_key))


# --- routes --------------------------------------------------------------------------------


@router.post("/journals/{journal_id}/lessons", status_code=201,
             response_model=CreatedOut, responses=_created(CreatedOut),
             summary="A lesson held (R-4.5)")
def hold_lesson(svc: ServicesDep, user: JournalWriter, journal_id: UUID, body: LessonIn,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _run(svc, user, HoldLesson(user.user_id, journal_id, lesson_date=body.date,
                                          slot=body.slot, topic=body.topic, homework=body.homework,
                                          programme_topic=body.programme_topic,
                                          homework_minutes=body.homework_minutes,
                                          written_work=body.written_work),
                    idempotency_key)


@router.post("/journals/{journal_id}/lessons/{lesson_id}/attendance", status_code=201,
             response_model=WrittenOut, responses=_created(WrittenOut),
             summary="Attendance taken (R-4.6)")
def take_attendance(svc: ServicesDep, user: JournalWriter, journal_id: UUID, lesson_id: UUID,
                    body: AttendanceIn,
                    idempotency_key: IdempotencyKey = None) -> JSONResponse:
    absent = [(row.student_id, row.reason.value if row.reason else None) for row in body.absent]
    with hidden_unless_visible(svc, user, journal_id):
        return _run(svc, user, TakeAttendance(user.user_id, journal_id, lesson_id, absent=absent),
                    idempotency_key)


@router.post("/journals/{journal_id}/lessons/{lesson_id}/absences/{student_id}/cancellation",
             status_code=201, response_model=WrittenOut, responses=_created(WrittenOut),
             summary="An absence cancelled: the student was there after all (R-4.6)")
def cancel_absence(svc: ServicesDep, user: JournalWriter, journal_id: UUID, lesson_id: UUID,
                   student_id: UUID, body: AbsenceCancellationIn,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _run(svc, user, CancelAbsence(user.user_id, journal_id, lesson_id,
                                             student_id=student_id, reason=body.reason),
                    idempotency_key)


@router.post("/journals/{journal_id}/lessons/{lesson_id}/marks", status_code=201,
             response_model=CreatedOut, responses=_created(CreatedOut),
             summary="A mark given (R-6.1a, R-6.1c; late per R-4.6 or R-6.1d)")
def give_mark(svc: ServicesDep, user: JournalWriter, journal_id: UUID, lesson_id: UUID,
              body: MarkIn, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _run(svc, user, GiveMark(user.user_id, journal_id, lesson_id,
                                        student_id=body.student_id, value=body.value,
                                        work=body.work.value, comment=body.comment),
                    idempotency_key)


@router.post("/journals/{journal_id}/marks/{mark_id}/corrections", status_code=201,
             response_model=CreatedOut, responses=_created(CreatedOut),
             summary="A mark corrected (R-7.2: the original stays in the history)")
def correct_mark(svc: ServicesDep, user: JournalWriter, journal_id: UUID, mark_id: UUID,
                 body: CorrectionIn, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _run(svc, user, CorrectMark(user.user_id, journal_id, mark_id, value=body.value,
                                           reason=body.reason), idempotency_key)


@router.post("/journals/{journal_id}/marks/{mark_id}/cancellation", status_code=201,
             response_model=CreatedOut, responses=_created(CreatedOut),
             summary="A mark cancelled (R-7.2: it stays in the history)")
def cancel_mark(svc: ServicesDep, user: JournalWriter, journal_id: UUID, mark_id: UUID,
                body: MarkCancellationIn,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _run(svc, user, CancelMark(user.user_id, journal_id, mark_id, reason=body.reason),
                    idempotency_key)


@router.post("/journals/{journal_id}/period-marks", status_code=201,
             response_model=CreatedOut, responses=_created(CreatedOut),
             summary="A period mark given (R-6.2)")
def give_period_mark(svc: ServicesDep, user: JournalWriter, journal_id: UUID,
                     body: PeriodMarkIn,
                     idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _run(svc, user, GivePeriodMark(user.user_id, journal_id, student_id=body.student_id,
                                              period_id=body.period_id, value=body.value),
                    idempotency_key)


@router.post("/journals/{journal_id}/period-marks/{period_mark_id}/corrections",
             status_code=201, response_model=CreatedOut, responses=_created(CreatedOut),
             summary="A period mark corrected (R-7.2)")
def correct_period_mark(svc: ServicesDep, user: JournalWriter, journal_id: UUID,
                        period_mark_id: UUID, body: CorrectionIn,
                        idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _run(svc, user, CorrectPeriodMark(user.user_id, journal_id, period_mark_id,
                                                 value=body.value, reason=body.reason),
                    idempotency_key)
