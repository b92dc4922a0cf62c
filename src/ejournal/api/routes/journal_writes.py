"""Journal entries (api-v1.md, "Journal entries"): lessons, attendance, marks, period marks.

Each route is thin: the request model checks the body's shape, one application command checks
the rules and writes (or refuses and writes nothing), and ``written_response`` answers. Who may
write (R-4.4, R-4.9), which journal is visible (404), lateness (R-4.5, R-4.6, R-6.1d, R-6.2)
and conflicts (409) are decided by the application and the domain, never here.

Every successful write answers ``X-Log-Position``: the event log position of the write, which
a reader may wait on so that the writer's next read sees its own write.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ejournal.api.access import hidden_unless_visible
from ejournal.api.deps import (
    IdempotencyKey,
    JournalWriter,
    SchoolDate,
    ServicesDep,
    written_response,
)
from ejournal.application import Written
from ejournal.domain.errors import InvalidMarkValue
from ejournal.domain.school_class import MAX_SLOT
from ejournal.domain.values import MAX_TEXT, AbsenceReason, Work, mark_value

router = APIRouter(prefix="/api/v1", tags=["journal entries"])

LOG_POSITION = "X-Log-Position"

# --- shape checks --------------------------------------------------------------------------


def _mark_value(raw: Any) -> Any:
    """R-6.1a: 2, 3, 4 or 5 as a string; anything else is refused with the domain's words.
    Non-strings are left to the ``Literal`` check (which refuses them too)."""
    if isinstance(raw, str):
        try:
            return mark_value(raw)
        except InvalidMarkValue as exc:
            raise PydanticCustomError("mark_value", "[R-6.1a] {detail}",
                                      {"detail": exc.detail}) from None
    return raw


#: R-6.1a: a mark is one of "2", "3", "4", "5"; "1", "Н", "5+" and the like are 422.
MarkValue = Annotated[Literal["2", "3", "4", "5"], BeforeValidator(_mark_value),
                      Field(description='R-6.1a: one of "2", "3", "4", "5" (never 1; "Н" is '
                                        "an absence, recorded by attendance)")]


def _clean_text(raw: str) -> str:
    if "\x00" in raw:
        raise PydanticCustomError("text_nul", "text must not contain a NUL character")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("text_surrogate",
                                  "text must not contain a lone surrogate") from None
    return raw


#: Free text: at most 2,000 characters of valid Unicode, no NUL (required text is not empty).
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_clean_text)]
OptionalText = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_clean_text)]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(raw: Any) -> Any:
    if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw):
        raise PydanticCustomError("date_format", "a date is a string YYYY-MM-DD")
    return raw


#: A school-local date, ``YYYY-MM-DD``, within the production calendar's years.
LocalDate = Annotated[SchoolDate, BeforeValidator(_iso_date)]
Slot = Annotated[int, Field(ge=1, le=MAX_SLOT, strict=True,
                            description=f"the lesson's slot in the day, 1..{MAX_SLOT}")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LessonIn(_Body):
    date: LocalDate
    slot: Slot
    topic: Text
    homework: OptionalText | None = None
    programme_topic: OptionalText | None = Field(
        default=None, description="R-4.7: a topic title of the journal's work programme")


class AbsentIn(_Body):
    student_id: UUID
    reason: AbsenceReason | None = None


class AttendanceIn(_Body):
    absent: list[AbsentIn] = Field(
        max_length=1000, description="the absent students; an empty list: all present")


class AbsenceCancellationIn(_Body):
    reason: Text


class MarkIn(_Body):
    student_id: UUID
    value: MarkValue
    work: Work
    comment: OptionalText | None = None


class CorrectionIn(_Body):
    value: MarkValue
    reason: Text


class MarkCancellationIn(_Body):
    reason: Text


class PeriodMarkIn(_Body):
    student_id: UUID
    period_id: UUID
    value: MarkValue


# --- answers (documentation; the routes answer through ``written_response``) ------------


class LateOut(BaseModel):
    rule: str = Field(examples=["R-4.6"])
    due: date
    days: int
    working_days: int


class LateAnswer(BaseModel):
    late: LateOut | None


class WrittenAnswer(LateAnswer):
    id: UUID


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    rule: str | None = None
    errors: list[dict[str, str]] | None = None


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    words = {401: "no or bad token", 403: "a role that may never do this (R-4.4, R-4.9)",
             404: "unknown or not visible to this user",
             409: "conflict with the journal's state, or an Idempotency-Key reused with "
                  "another body",
             413: "a body over 64 KiB", 422: "bad input; a mark outside 2-5 has rule R-6.1a"}
    return {s: {"model": Problem, "description": words[s],
                "content": {"application/problem+json": {}}} for s in statuses}


_ERRORS = _problems(401, 403, 404, 409, 413, 422)
_HEADERS = {
    LOG_POSITION: {"description": "the write's event log position (readers may wait on it)",
                   "schema": {"type": "integer"}},
    "Idempotent-Replayed": {"description": "`true` when this answers an earlier request "
                                           "with the same Idempotency-Key",
                            "schema": {"type": "string"}},
}


def _created(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {201: {"model": model, "headers": _HEADERS}, **_ERRORS}


def _answer(written: Written) -> JSONResponse:
    response = written_response(written)
    if written.position is not None:
        response.headers[LOG_POSITION] = str(written.position)
    return response


# --- routes --------------------------------------------------------------------------------


@router.post("/journals/{journal_id}/lessons", status_code=201,
             response_model=WrittenAnswer, responses=_created(WrittenAnswer),
             summary="A lesson held (R-4.5)")
def hold_lesson(svc: ServicesDep, user: JournalWriter, journal_id: UUID, body: LessonIn,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _answer(svc.app.hold_lesson(
            user.user_id, journal_id, lesson_date=body.date, slot=body.slot, topic=body.topic,
            homework=body.homework, programme_topic=body.programme_topic,
            idempotency_key=idempotency_key))


@router.post("/journals/{journal_id}/lessons/{lesson_id}/attendance", status_code=201,
             response_model=LateAnswer, responses=_created(LateAnswer),
             summary="Attendance taken (R-4.6)")
def take_attendance(svc: ServicesDep, user: JournalWriter, journal_id: UUID, lesson_id: UUID,
                    body: AttendanceIn,
                    idempotency_key: IdempotencyKey = None) -> JSONResponse:
    absent = [(row.student_id, row.reason.value if row.reason else None) for row in body.absent]
    with hidden_unless_visible(svc, user, journal_id):
        return _answer(svc.app.take_attendance(user.user_id, journal_id, lesson_id, absent=absent,
                                               idempotency_key=idempotency_key))


@router.post("/journals/{journal_id}/lessons/{lesson_id}/absences/{student_id}/cancellation",
             status_code=201, response_model=LateAnswer, responses=_created(LateAnswer),
             summary="An absence cancelled: the student was there after all (R-4.6)")
def cancel_absence(svc: ServicesDep, user: JournalWriter, journal_id: UUID, lesson_id: UUID,
                   student_id: UUID, body: AbsenceCancellationIn,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _answer(svc.app.cancel_absence(user.user_id, journal_id, lesson_id,
                                              student_id=student_id, reason=body.reason,
                                              idempotency_key=idempotency_key))


@router.post("/journals/{journal_id}/lessons/{lesson_id}/marks", status_code=201,
             response_model=WrittenAnswer, responses=_created(WrittenAnswer),
             summary="A mark given (R-6.1a, R-6.1c; late per R-4.6 or R-6.1d)")
def give_mark(svc: ServicesDep, user: JournalWriter, journal_id: UUID, lesson_id: UUID,
              body: MarkIn, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _answer(svc.app.give_mark(user.user_id, journal_id, lesson_id,
                                         student_id=body.student_id, value=body.value,
                                         work=body.work.value, comment=body.comment,
                                         idempotency_key=idempotency_key))


@router.post("/journals/{journal_id}/marks/{mark_id}/corrections", status_code=201,
             response_model=WrittenAnswer, responses=_created(WrittenAnswer),
             summary="A mark corrected (R-7.2: the original stays in the history)")
def correct_mark(svc: ServicesDep, user: JournalWriter, journal_id: UUID, mark_id: UUID,
                 body: CorrectionIn, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _answer(svc.app.correct_mark(user.user_id, journal_id, mark_id, value=body.value,
                                            reason=body.reason, idempotency_key=idempotency_key))


@router.post("/journals/{journal_id}/marks/{mark_id}/cancellation", status_code=201,
             response_model=WrittenAnswer, responses=_created(WrittenAnswer),
             summary="A mark cancelled (R-7.2: it stays in the history)")
def cancel_mark(svc: ServicesDep, user: JournalWriter, journal_id: UUID, mark_id: UUID,
                body: MarkCancellationIn,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _answer(svc.app.cancel_mark(user.user_id, journal_id, mark_id, reason=body.reason,
                                           idempotency_key=idempotency_key))


@router.post("/journals/{journal_id}/period-marks", status_code=201,
             response_model=WrittenAnswer, responses=_created(WrittenAnswer),
             summary="A period mark given (R-6.2)")
def give_period_mark(svc: ServicesDep, user: JournalWriter, journal_id: UUID,
                     body: PeriodMarkIn,
                     idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _answer(svc.app.give_period_mark(user.user_id, journal_id,
                                                student_id=body.student_id,
                                                period_id=body.period_id, value=body.value,
                                                idempotency_key=idempotency_key))


@router.post("/journals/{journal_id}/period-marks/{period_mark_id}/corrections",
             status_code=201, response_model=WrittenAnswer, responses=_created(WrittenAnswer),
             summary="A period mark corrected (R-7.2)")
def correct_period_mark(svc: ServicesDep, user: JournalWriter, journal_id: UUID,
                        period_mark_id: UUID, body: CorrectionIn,
                        idempotency_key: IdempotencyKey = None) -> JSONResponse:
    with hidden_unless_visible(svc, user, journal_id):
        return _answer(svc.app.correct_period_mark(user.user_id, journal_id, period_mark_id,
                                                   value=body.value, reason=body.reason,
                                                   idempotency_key=idempotency_key))
