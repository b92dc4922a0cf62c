"""School structure: schools, users, years, the calendar overlay, subjects, classes,
enrolments, guardians, journals (teaching assignments), substitutions, programmes, timetables.

Routes are thin: a request model checks the shape, one application command decides (and
checks who may: the operator anything, a school's admin their school), ``written_response``
answers. Every write takes an ``Idempotency-Key``.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ejournal.api.deps import (
    Administrator,
    IdempotencyKey,
    Operator,
    SchoolDate,
    ServicesDep,
    written_response,
)
from ejournal.domain.errors import DomainError
from ejournal.domain.people import USERNAME
from ejournal.domain.values import MAX_TEXT, Role

router = APIRouter(prefix="/api/v1")

SCHOOLS: list[str | Enum] = ["school structure"]
PEOPLE: list[str | Enum] = ["school structure: people"]
CLASSES: list[str | Enum] = ["school structure: classes"]
JOURNALS: list[str | Enum] = ["school structure: journals"]


# --- shapes ------------------------------------------------------------------------------


def _clean_text(value: str) -> str:
    """Text is valid Unicode without NUL (the message never echoes the value)."""
    if "\x00" in value:
        raise ValueError("text must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must not contain a lone surrogate") from None
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT),
                 AfterValidator(_clean_text)]
Reason = Name
Username = Annotated[str, StringConstraints(pattern=USERNAME.pattern),
                     AfterValidator(_clean_text)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=1024),
                     AfterValidator(_clean_text)]
Timezone = Annotated[str, StringConstraints(min_length=1, max_length=64),
                     AfterValidator(_clean_text)]
Weekday = Annotated[int, Field(ge=1, le=7, description="ISO: 1 = Monday ... 7 = Sunday")]
Slot = Annotated[int, Field(ge=1, le=10)]


class StrictIn(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class SchoolIn(StrictIn):
    name: Name
    timezone: Timezone = Field(description="IANA, e.g. Asia/Novosibirsk")


class UserIn(StrictIn):
    username: Username = Field(description="2-64 latin letters, digits and . _ @ -; "
                                           "unique across the platform")
    password: Password = Field(description="at least 8 characters; never echoed",
                               repr=False)
    full_name: Name
    role: Role = Field(description="an admin registers any role but operator")


class DateSpanIn(StrictIn):
    name: Name
    starts_on: SchoolDate
    ends_on: SchoolDate


class YearIn(StrictIn):
    name: Name
    starts_on: SchoolDate
    ends_on: SchoolDate
    days_per_week: Literal[5, 6]
    periods: list[DateSpanIn] = Field(min_length=1, max_length=50)
    holidays: list[DateSpanIn] = Field(default_factory=list, max_length=100,
                                       description="каникулы")


class CalendarDayIn(StrictIn):
    date: SchoolDate
    kind: Literal["day_off", "school_day"]
    reason: Reason


class SubjectIn(StrictIn):
    name: Name


class ClassIn(StrictIn):
    name: Name
    year_id: UUID
    class_teacher_id: UUID | None = None


class EnrolmentIn(StrictIn):
    student_id: UUID
    from_date: SchoolDate


class EnrolmentEndIn(StrictIn):
    on_date: SchoolDate = Field(description="the student's last day in the class")


class GuardianIn(StrictIn):
    guardian_id: UUID


class JournalIn(StrictIn):
    class_id: UUID
    subject_id: UUID
    teacher_id: UUID


class SubstitutionIn(StrictIn):
    teacher_id: UUID
    from_date: SchoolDate
    to_date: SchoolDate


class TopicIn(StrictIn):
    title: Name
    hours: Annotated[int, Field(ge=1, le=1000)]


class ProgrammeIn(StrictIn):
    topics: list[TopicIn] = Field(max_length=1000)


class TimetableLessonIn(StrictIn):
    weekday: Weekday
    slot: Slot
    journal_id: UUID


class TimetableIn(StrictIn):
    valid_from: SchoolDate
    lessons: list[TimetableLessonIn] = Field(max_length=7 * 10)


class LateOut(BaseModel):
    rule: str
    due: date
    days: int
    working_days: int


class WrittenOut(BaseModel):
    late: LateOut | None = None


class CreatedOut(WrittenOut):
    id: UUID


class PeriodOut(BaseModel):
    id: UUID
    name: str
    starts_on: date
    ends_on: date


class YearOut(CreatedOut):
    periods: list[PeriodOut]


def _named(new_id: UUID | None) -> UUID:
    if new_id is None:  # pragma: no cover - the command always names what it creates
        raise RuntimeError("the command named nothing")
    return new_id


CREATED: dict[str, Any] = {"status_code": 201, "response_model": CreatedOut}
WRITTEN: dict[str, Any] = {"status_code": 201, "response_model": WrittenOut}
REPLACED: dict[str, Any] = {"status_code": 200, "response_model": WrittenOut}


# --- schools and people ------------------------------------------------------------------


@router.post("/schools", tags=SCHOOLS, **CREATED)
def register_school(svc: ServicesDep, user: Operator, body: SchoolIn,
                    key: IdempotencyKey = None) -> JSONResponse:
    """The operator registers a school."""
    written = svc.app.register_school(user.user_id, name=body.name, timezone=body.timezone,
                                      idempotency_key=key)
    return written_response(written)


@router.post("/schools/{school_id}/users", tags=PEOPLE, **CREATED)
def register_user(svc: ServicesDep, user: Administrator, school_id: UUID, body: UserIn,
                  key: IdempotencyKey = None) -> JSONResponse:
    """A personal account. The credential is stored first, under the account's id: there is
    never an account without a password, and a refused account leaves no credential."""
    new_id = uuid4()
    svc.accounts.set_password(new_id, body.password, now=svc.now())
    try:
        written = svc.app.register_user(user.user_id, school_id, username=body.username,
                                        full_name=body.full_name, role=body.role.value,
                                        idempotency_key=key, user_id=new_id)
    except BaseException:
        svc.accounts.forget_password(new_id)
        raise
    if written.id != new_id:
        # A replay: the account is the first request's. The password is not in the receipt,
        # so "the same body" is checked against the account's credential.
        svc.accounts.forget_password(new_id)
        if written.id is None or not svc.accounts.check_password(written.id, body.password):
            raise HTTPException(409, "this idempotency key was used with a different request")
    return written_response(written)


# --- the year, its calendar and subjects -------------------------------------------------


@router.post("/schools/{school_id}/years", tags=SCHOOLS, status_code=201,
             response_model=YearOut)
def plan_year(svc: ServicesDep, user: Administrator, school_id: UUID, body: YearIn,
              key: IdempotencyKey = None) -> JSONResponse:
    """An academic year with its reporting periods and каникулы."""
    written = svc.app.plan_year(
        user.user_id, school_id, name=body.name, starts_on=body.starts_on,
        ends_on=body.ends_on, days_per_week=body.days_per_week,
        periods=[(p.name, p.starts_on, p.ends_on) for p in body.periods],
        holidays=[(h.name, h.starts_on, h.ends_on) for h in body.holidays],
        idempotency_key=key,
    )
    period_ids: dict[str, str] = written.extra["periods"]
    answer = YearOut(
        id=_named(written.id),
        periods=[PeriodOut(id=UUID(period_ids[p.name.strip()]), name=p.name.strip(),
                           starts_on=p.starts_on, ends_on=p.ends_on) for p in body.periods],
    )
    return written_response(written, body=answer.model_dump(mode="json"))


@router.post("/schools/{school_id}/calendar/days", tags=SCHOOLS, **WRITTEN)
def declare_calendar_day(svc: ServicesDep, user: Administrator, school_id: UUID,
                         body: CalendarDayIn, key: IdempotencyKey = None) -> JSONResponse:
    """The school's overlay on the production calendar: a day off or an extra school day."""
    written = svc.app.declare_calendar_day(user.user_id, school_id, day=body.date,
                                           kind=body.kind, reason=body.reason,
                                           idempotency_key=key)
    return written_response(written)


@router.post("/schools/{school_id}/subjects", tags=SCHOOLS, **CREATED)
def add_subject(svc: ServicesDep, user: Administrator, school_id: UUID, body: SubjectIn,
                key: IdempotencyKey = None) -> JSONResponse:
    written = svc.app.add_subject(user.user_id, school_id, name=body.name,
                                  idempotency_key=key)
    return written_response(written)


# --- classes -----------------------------------------------------------------------------


@router.post("/schools/{school_id}/classes", tags=CLASSES, **CREATED)
def open_class(svc: ServicesDep, user: Administrator, school_id: UUID, body: ClassIn,
               key: IdempotencyKey = None) -> JSONResponse:
    written = svc.app.open_class(user.user_id, school_id, name=body.name,
                                 year_id=body.year_id, class_teacher_id=body.class_teacher_id,
                                 idempotency_key=key)
    return written_response(written)


@router.post("/classes/{class_id}/enrolments", tags=CLASSES, **WRITTEN)
def enrol_student(svc: ServicesDep, user: Administrator, class_id: UUID, body: EnrolmentIn,
                  key: IdempotencyKey = None) -> JSONResponse:
    written = svc.app.enrol_student(user.user_id, class_id, student_id=body.student_id,
                                    from_date=body.from_date, idempotency_key=key)
    return written_response(written)


@router.post("/classes/{class_id}/enrolments/{student_id}/end", tags=CLASSES, **WRITTEN)
def end_enrolment(svc: ServicesDep, user: Administrator, class_id: UUID, student_id: UUID,
                  body: EnrolmentEndIn, key: IdempotencyKey = None) -> JSONResponse:
    """``on_date`` is the student's last day in the class."""
    try:
        written = svc.app.end_enrolment(user.user_id, class_id, student_id=student_id,
                                        last_day=body.on_date, idempotency_key=key)
    except DomainError as exc:
        if exc.field == "last_day":  # the domain's name for the contract's ``on_date``
            exc.field = "on_date"
        raise
    return written_response(written)


@router.put("/classes/{class_id}/timetable", tags=CLASSES, **REPLACED)
def set_timetable(svc: ServicesDep, user: Administrator, class_id: UUID, body: TimetableIn,
                  key: IdempotencyKey = None) -> JSONResponse:
    """Replaces the class's timetable from ``valid_from``."""
    written = svc.app.set_timetable(
        user.user_id, class_id, valid_from=body.valid_from,
        lessons=[(lesson.weekday, lesson.slot, lesson.journal_id) for lesson in body.lessons],
        idempotency_key=key,
    )
    return written_response(written, status=200)


@router.post("/students/{student_id}/guardians", tags=PEOPLE, **WRITTEN)
def link_guardian(svc: ServicesDep, user: Administrator, student_id: UUID, body: GuardianIn,
                  key: IdempotencyKey = None) -> JSONResponse:
    written = svc.app.link_guardian(user.user_id, student_id, guardian_id=body.guardian_id,
                                    idempotency_key=key)
    return written_response(written)


# --- journals (teaching assignments) -----------------------------------------------------


@router.post("/journals", tags=JOURNALS, **CREATED)
def open_journal(svc: ServicesDep, user: Administrator, body: JournalIn,
                 key: IdempotencyKey = None) -> JSONResponse:
    """The teaching assignment (R-4.4): one journal per class and subject."""
    written = svc.app.open_journal(user.user_id, class_id=body.class_id,
                                   subject_id=body.subject_id, teacher_id=body.teacher_id,
                                   idempotency_key=key)
    return written_response(written)


@router.post("/journals/{journal_id}/substitutions", tags=JOURNALS, **WRITTEN)
def appoint_substitute(svc: ServicesDep, user: Administrator, journal_id: UUID,
                       body: SubstitutionIn, key: IdempotencyKey = None) -> JSONResponse:
    """A substitute may write the journal's lessons on those dates."""
    written = svc.app.appoint_substitute(user.user_id, journal_id, teacher_id=body.teacher_id,
                                         from_date=body.from_date, to_date=body.to_date,
                                         idempotency_key=key)
    return written_response(written)


@router.put("/journals/{journal_id}/programme", tags=JOURNALS, **REPLACED)
def set_programme(svc: ServicesDep, user: Administrator, journal_id: UUID, body: ProgrammeIn,
                  key: IdempotencyKey = None) -> JSONResponse:
    """The journal's work programme (R-4.7)."""
    written = svc.app.set_programme(user.user_id, journal_id,
                                    topics=[(t.title, t.hours) for t in body.topics],
                                    idempotency_key=key)
    return written_response(written, status=200)

