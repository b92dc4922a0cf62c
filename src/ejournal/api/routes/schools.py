"""School structure: schools, users, years, the calendar overlay, subjects, classes,
enrolments, guardians, journals (teaching assignments), substitutions, programmes, timetables.

Routes are thin: a request model checks the shape, one application command decides (and
checks who may: the operator anything, a school's admin their school), ``written_response``
answers. Every write takes an ``Idempotency-Key``.
"""

from __future__ import annotations

from enum import Enum
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ejournal.api.deps import Administrator, IdempotencyKey, Operator, Principal, ServicesDep
from ejournal.api.requests import (
    CalendarDayIn,
    ClassIn,
    EnrolmentEndIn,
    EnrolmentIn,
    GuardianIn,
    JournalIn,
    ProgrammeIn,
    SchoolIn,
    SubjectIn,
    SubstitutionIn,
    TimetableIn,
    UserIn,
    WorkWeightsIn,
    YearIn,
)
from ejournal.api.responses import CreatedOut, PeriodOut, WrittenOut, YearOut, written_response
from ejournal.api.services import Services
from ejournal.api.shards import sharded
from ejournal.application.commands import (
    AddSubject,
    AppointSubstitute,
    DeclareCalendarDay,
    EndEnrolment,
    EnrolStudent,
    LinkGuardian,
    OpenClass,
    OpenJournal,
    PlanYear,
    RegisterSchool,
    RegisterUser,
    SetProgramme,
    SetTimetable,
    SetWorkWeights,
)
from ejournal.application.results import UserRegistered
from ejournal.domain.errors import DomainError
from ejournal.domain.passwords import check_password

router = APIRouter(prefix="/api/v1")

SCHOOLS: list[str | Enum] = ["school structure"]
PEOPLE: list[str | Enum] = ["school structure: people"]
CLASSES: list[str | Enum] = ["school structure: classes"]
JOURNALS: list[str | Enum] = ["school structure: journals"]


CREATED: dict[str, Any] = {"status_code": 201, "response_model": CreatedOut}
WRITTEN: dict[str, Any] = {"status_code": 201, "response_model": WrittenOut}
REPLACED: dict[str, Any] = {"status_code": 200, "response_model": WrittenOut}


# --- schools and people ------------------------------------------------------------------


@router.post("/schools", tags=SCHOOLS, **CREATED)
def register_school(request: Request, svc: ServicesDep, user: Operator, body: SchoolIn,
                    key: IdempotencyKey = None) -> JSONResponse:
    """The operator registers a school (with shards: on the one holding the fewest)."""
    written = svc.app.execute(RegisterSchool(user.user_id, name=body.name, timezone=body.timezone),
                              idempotency_key=key)
    shards = sharded(request)
    if shards is not None:
        shards.placed(request, written.id)
    return written_response(written)


@router.post("/schools/{school_id}/users", tags=PEOPLE, **CREATED)
def register_user(request: Request, svc: ServicesDep, user: Administrator, school_id: UUID,
                  body: UserIn, key: IdempotencyKey = None) -> JSONResponse:
    """A personal account with its password (stored first: ``Accounts.open_account``)."""
    shards = sharded(request)
    if shards is not None:
        shards.username_free(body.username, svc)
    return written_response(open_user(svc, user, school_id, body, key))


def open_user(svc: Services, user: Principal, school_id: UUID, body: UserIn,
              key: str | None = None) -> UserRegistered:
    """The account and its password, as :func:`register_user` (and the admin's page) opens
    it."""
    check_password(body.password, body.username)
    return svc.accounts.open_account(
        body.password,
        lambda new_id: svc.app.execute(RegisterUser(user.user_id, school_id, username=body.username,
                                                    full_name=body.full_name, role=body.role.value),
                                       idempotency_key=key, new_id=new_id),
        now=svc.now())


# --- the year, its calendar and subjects -------------------------------------------------


@router.post("/schools/{school_id}/years", tags=SCHOOLS, status_code=201,
             response_model=YearOut)
def plan_year(svc: ServicesDep, user: Administrator, school_id: UUID, body: YearIn,
              key: IdempotencyKey = None) -> JSONResponse:
    """An academic year with its reporting periods and каникулы."""
    written = svc.app.execute(PlanYear(
        user.user_id, school_id, name=body.name, starts_on=body.starts_on, ends_on=body.ends_on,
        days_per_week=body.days_per_week,
        periods=[(p.name, p.starts_on, p.ends_on, p.kind) for p in body.periods],
        holidays=[(h.name, h.starts_on, h.ends_on) for h in body.holidays],
    ), idempotency_key=key)
    answer = YearOut(
        id=written.id, late=None,
        periods=[PeriodOut(id=written.periods[p.name.strip()], name=p.name.strip(),
                           starts_on=p.starts_on, ends_on=p.ends_on, kind=p.kind)
                 for p in body.periods],
    )
    return written_response(written, body=answer.model_dump(mode="json"))


@router.post("/schools/{school_id}/calendar/days", tags=SCHOOLS, **WRITTEN)
def declare_calendar_day(svc: ServicesDep, user: Administrator, school_id: UUID,
                         body: CalendarDayIn, key: IdempotencyKey = None) -> JSONResponse:
    """The school's overlay on the production calendar: a day off or an extra school day."""
    written = svc.app.execute(DeclareCalendarDay(user.user_id, school_id, day=body.date,
                                                 kind=body.kind, reason=body.reason),
                              idempotency_key=key)
    return written_response(written)


@router.put("/schools/{school_id}/work-weights", tags=SCHOOLS, **REPLACED)
def set_work_weights(svc: ServicesDep, user: Administrator, school_id: UUID,
                     body: WorkWeightsIn, key: IdempotencyKey = None) -> JSONResponse:
    """The weights of the kinds of work in weighted averages (a summary's
    ``weighted_average``), from now on."""
    written = svc.app.execute(SetWorkWeights(user.user_id, school_id,
                                             weights=sorted(body.model_dump().items())),
                              idempotency_key=key)
    return written_response(written, status=200)


@router.post("/schools/{school_id}/subjects", tags=SCHOOLS, **CREATED)
def add_subject(svc: ServicesDep, user: Administrator, school_id: UUID, body: SubjectIn,
                key: IdempotencyKey = None) -> JSONResponse:
    written = svc.app.execute(AddSubject(user.user_id, school_id, name=body.name),
                              idempotency_key=key)
    return written_response(written)


# --- classes -----------------------------------------------------------------------------


@router.post("/schools/{school_id}/classes", tags=CLASSES, **CREATED)
def open_class(svc: ServicesDep, user: Administrator, school_id: UUID, body: ClassIn,
               key: IdempotencyKey = None) -> JSONResponse:
    written = svc.app.execute(OpenClass(user.user_id, school_id, name=body.name,
                                        year_id=body.year_id,
                                        class_teacher_id=body.class_teacher_id,
                                        grade=body.grade),
                              idempotency_key=key)
    return written_response(written)


@router.post("/classes/{class_id}/enrolments", tags=CLASSES, **WRITTEN)
def enrol_student(svc: ServicesDep, user: Administrator, class_id: UUID, body: EnrolmentIn,
                  key: IdempotencyKey = None) -> JSONResponse:
    written = svc.app.execute(EnrolStudent(user.user_id, class_id, student_id=body.student_id,
                                           from_date=body.from_date), idempotency_key=key)
    return written_response(written)


@router.post("/classes/{class_id}/enrolments/{student_id}/end", tags=CLASSES, **WRITTEN)
def end_enrolment(svc: ServicesDep, user: Administrator, class_id: UUID, student_id: UUID,
                  body: EnrolmentEndIn, key: IdempotencyKey = None) -> JSONResponse:
    """``on_date`` is the student's last day in the class."""
    try:
        written = svc.app.execute(EndEnrolment(user.user_id, class_id, student_id=student_id,
                                               last_day=body.on_date), idempotency_key=key)
    except DomainError as exc:
        if exc.field == "last_day":  # the domain's name for the contract's ``on_date``
            exc.field = "on_date"
        raise
    return written_response(written)


@router.put("/classes/{class_id}/timetable", tags=CLASSES, **REPLACED)
def set_timetable(svc: ServicesDep, user: Administrator, class_id: UUID, body: TimetableIn,
                  key: IdempotencyKey = None) -> JSONResponse:
    """Replaces the class's timetable from ``valid_from``."""
    written = svc.app.execute(SetTimetable(
        user.user_id, class_id, valid_from=body.valid_from,
        lessons=[(lesson.weekday, lesson.slot, lesson.journal_id) for lesson in body.lessons],
    ), idempotency_key=key)
    return written_response(written, status=200)


@router.post("/students/{student_id}/guardians", tags=PEOPLE, **WRITTEN)
def link_guardian(svc: ServicesDep, user: Administrator, student_id: UUID, body: GuardianIn,
                  key: IdempotencyKey = None) -> JSONResponse:
    written = svc.app.execute(LinkGuardian(user.user_id, student_id, guardian_id=body.guardian_id),
                              idempotency_key=key)
    return written_response(written)


# --- journals (teaching assignments) -----------------------------------------------------


@router.post("/journals", tags=JOURNALS, **CREATED)
def open_journal(svc: ServicesDep, user: Administrator, body: JournalIn,
                 key: IdempotencyKey = None) -> JSONResponse:
    """The teaching assignment (R-4.4): one journal per class and subject."""
    written = svc.app.execute(OpenJournal(user.user_id, class_id=body.class_id,
                                          subject_id=body.subject_id, teacher_id=body.teacher_id),
                              idempotency_key=key)
    return written_response(written)


@router.post("/journals/{journal_id}/substitutions", tags=JOURNALS, **WRITTEN)
def appoint_substitute(svc: ServicesDep, user: Administrator, journal_id: UUID,
                       body: SubstitutionIn, key: IdempotencyKey = None) -> JSONResponse:
    """A substitute may write the journal's lessons on those dates."""
    written = svc.app.execute(AppointSubstitute(user.user_id, journal_id,
                                                teacher_id=body.teacher_id,
                                                from_date=body.from_date, to_date=body.to_date),
                              idempotency_key=key)
    return written_response(written)


@router.put("/journals/{journal_id}/programme", tags=JOURNALS, **REPLACED)
def set_programme(svc: ServicesDep, user: Administrator, journal_id: UUID, body: ProgrammeIn,
                  key: IdempotencyKey = None) -> JSONResponse:
    """The journal's work programme (R-4.7)."""
    written = svc.app.execute(SetProgramme(user.user_id, journal_id,
                                           topics=[(t.title, t.hours) for t in body.topics]),
                              idempotency_key=key)
    return written_response(written, status=200)

