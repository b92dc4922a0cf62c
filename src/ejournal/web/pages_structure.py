"""The administration's forms of the school's structure, on «Школа» and a class's page:
years and periods, subjects, classes, accounts (a temporary password shown once), and a
class's enrolments (and their ends: a student leaving or moving to another class), guardians,
journals, substitutions and timetable.

Each form posts here, is written by the API's command (``structure``) and goes back to its
page with a notice; a refused one shows its page again (422) with the form as it was sent
and the refusal naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ejournal.api.deps import Principal, ServicesDep
from ejournal.api.requests import (
    ClassIn,
    EnrolmentEndIn,
    EnrolmentIn,
    GuardianIn,
    JournalIn,
    SubjectIn,
    SubstitutionIn,
    TimetableIn,
    YearIn,
)
from ejournal.api.services import Services
from ejournal.application.commands import (
    AddSubject,
    AppointSubstitute,
    EndEnrolment,
    EnrolStudent,
    LinkGuardian,
    OpenClass,
    OpenJournal,
    PlanYear,
    SetTimetable,
)
from ejournal.domain.school import AcademicYear
from ejournal.domain.school_class import MAX_SLOT
from ejournal.web import i18n, lookups, school, session, structure
from ejournal.web.routing import PageRoute, only, render, signed_in
from ejournal.web.structure import Refused

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PERIOD_ROWS, HOLIDAY_ROWS = 4, 3
WEEKDAYS = range(1, 7)
#: What a form's notice says once written.
DONE = {"year": "Учебный год записан.", "subject": "Предмет добавлен.",
        "class": "Класс открыт.", "enrolment": "Ученик зачислен.",
        "enrolment_end": "Ученик выбыл из класса.",
        "guardian": "Родитель привязан к ученику.", "journal": "Журнал открыт.",
        "substitution": "Замена назначена.", "timetable": "Расписание записано.",
        "closed": "Период закрыт: записи на его даты не принимаются.",
        "reopened": "Период открыт снова."}
#: Roles the administration opens accounts for, in the form's order.
ROLES = ("teacher", "student", "guardian", "auditor", "admin")


@dataclass(frozen=True)
class Kept:
    """A refused form's fields as they were sent, and which of them the refusal names."""

    refused: Refused | None = None
    values: Mapping[str, str] | None = None

    def get(self, form: str, name: str, default: Any = "") -> str:
        if self.refused is not None and self.refused.form == form and self.values is not None:
            return self.values.get(name, "")
        return "" if default is None else str(default)

    def bad(self, form: str, name: str) -> bool:
        return self.refused is not None and self.refused.form == form \
            and self.refused.field == name

    def said(self, form: str) -> str | None:
        return self.refused.text if self.refused is not None and self.refused.form == form \
            else None


def _admin(request: Request) -> Principal:
    viewer = signed_in(request)
    only(viewer, "admin")
    return viewer


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v).strip() for k, v in form.items() if k != session.CSRF_FIELD}


def school_page(request: Request, svc: Services, viewer: Principal, kept: Kept = Kept(),
                 done: str | None = None, opened: structure.Opened | None = None,
                 status: int = 200) -> Response:
    view = school.school(svc, viewer)
    options = {"years": [(y.id, y.name) for y in view.years],
               "teachers": [(p.id, p.full_name) for p in view.staff if p.role == "teacher"],
               "roles": [(r, i18n.ROLE[r]) for r in ROLES],
               "kinds": list(i18n.PERIOD_KIND.items())}
    years = svc.app.load_many([y.id for y in view.years]).values()
    closed = {p for y in years if isinstance(y, AcademicYear) for p in y.closed}
    return render(request, "school.html", status=status, title=f"Школа: {view.school.name}",
                  view=view, kept=kept, notice=DONE.get(done or ""), opened=opened,
                  closed=closed,
                  PERIOD_ROWS=range(PERIOD_ROWS), HOLIDAY_ROWS=range(HOLIDAY_ROWS),
                  options=options)


def class_page(request: Request, svc: Services, viewer: Principal, class_id: UUID,
               day: Any, kept: Kept = Kept(), done: str | None = None,
               status: int = 200) -> Response:
    view = school.school_class(svc, viewer, class_id, day)
    enrolled = {s.id for s in view.students}
    taught = {d.journal.subject_id for d in view.journals}
    people = view.people
    options = {
        "newcomers": [(p.id, p.full_name) for p in people.get("student", [])
                      if p.id not in enrolled],
        "students": [(s.id, s.full_name) for s in view.students],
        "leaving": [(s.id, s.full_name) for s in view.students if s.to_date is None],
        "guardians": [(p.id, p.full_name) for p in people.get("guardian", [])],
        "teachers": [(p.id, p.full_name) for p in people.get("teacher", [])],
        "subjects": [(x.id, x.name) for x in view.subjects if x.id not in taught],
        "journals": [(d.journal.id, d.journal.subject_name) for d in view.journals]}
    return render(request, "school_class.html", status=status, title=f"Класс {view.row.name}",
                  view=view, WEEKDAYS=school.WEEKDAYS, kept=kept, notice=DONE.get(done or ""),
                  DAYS=WEEKDAYS, SLOTS=range(1, MAX_SLOT + 1), options=options)


Write = Callable[[Services, Principal, dict[str, str]], str]


async def _school_write(request: Request, svc: Services, write: Write) -> Response:
    viewer = _admin(request)
    values = await _fields(request)
    try:
        target = await run_in_threadpool(write, svc, viewer, values)
    except Refused as exc:
        return await run_in_threadpool(school_page, request, svc, viewer,
                                       Kept(exc, values), None, None, 422)
    return RedirectResponse(target, 303)


def _school_of(viewer: Principal) -> UUID:
    return school.admin_school(viewer)


def _none(raw: str) -> str | None:
    return raw or None


# --- the school's page -----------------------------------------------------------------------


def _rows(values: Mapping[str, str], group: str, count: int, names: tuple[str, ...]
          ) -> list[dict[str, str]]:
    """A table's rows up to its last one filled in (a blank row before it is sent blank)."""
    rows = [{n: values.get(f"{group}.{i}.{n}", "") for n in names} for i in range(count)]
    while rows and not any(v for k, v in rows[-1].items() if k != "kind"):
        rows.pop()
    return rows


def _year(svc: Services, viewer: Principal, values: dict[str, str]) -> str:
    days = values.get("days_per_week", "")
    body = structure.parse("year", YearIn, {
        "name": values.get("name", ""), "starts_on": values.get("starts_on", ""),
        "ends_on": values.get("ends_on", ""),
        "days_per_week": int(days) if days.isdecimal() else days,
        "periods": _rows(values, "periods", PERIOD_ROWS, ("name", "kind", "starts_on",
                                                           "ends_on")),
        "holidays": _rows(values, "holidays", HOLIDAY_ROWS, ("name", "starts_on", "ends_on"))})
    structure.run(svc, "year", lambda: svc.app.execute(PlanYear(
        viewer.user_id, _school_of(viewer), name=body.name, starts_on=body.starts_on,
        ends_on=body.ends_on, days_per_week=body.days_per_week,
        periods=[(p.name, p.starts_on, p.ends_on, p.kind) for p in body.periods],
        holidays=[(h.name, h.starts_on, h.ends_on) for h in body.holidays])))
    return "/school?done=year#years"


def _subject(svc: Services, viewer: Principal, values: dict[str, str]) -> str:
    body = structure.parse("subject", SubjectIn, {"name": values.get("name", "")})
    structure.run(svc, "subject", lambda: svc.app.execute(
        AddSubject(viewer.user_id, _school_of(viewer), name=body.name)))
    return "/school?done=subject#subjects"


def _class(svc: Services, viewer: Principal, values: dict[str, str]) -> str:
    grade = values.get("grade", "")
    body = structure.parse("class", ClassIn, {
        "name": values.get("name", ""), "year_id": values.get("year_id", ""),
        "class_teacher_id": _none(values.get("class_teacher_id", "")),
        "grade": int(grade) if grade.isdecimal() else _none(grade)})
    written = structure.run(svc, "class", lambda: svc.app.execute(OpenClass(
        viewer.user_id, _school_of(viewer), name=body.name, year_id=body.year_id,
        class_teacher_id=body.class_teacher_id, grade=body.grade)))
    return f"/school/classes/{written.id}?done=class"


@router.post("/school/years")
async def plan_year(request: Request, svc: ServicesDep) -> Response:
    return await _school_write(request, svc, _year)


@router.post("/school/subjects")
async def add_subject(request: Request, svc: ServicesDep) -> Response:
    return await _school_write(request, svc, _subject)


@router.post("/school/classes")
async def open_class(request: Request, svc: ServicesDep) -> Response:
    return await _school_write(request, svc, _class)


@router.post("/school/users")
async def open_account(request: Request, svc: ServicesDep) -> Response:
    """A new account: the page answers with its temporary password, shown this once."""
    viewer = _admin(request)
    values = await _fields(request)
    try:
        opened = await run_in_threadpool(
            structure.open_account, svc, viewer, _school_of(viewer),
            values.get("username", ""), values.get("full_name", ""), values.get("role", ""))
    except Refused as exc:
        return await run_in_threadpool(school_page, request, svc, viewer,
                                       Kept(exc, values), None, None, 422)
    return await run_in_threadpool(school_page, request, svc, viewer, Kept(), None, opened,
                                   201)


# --- a class's page --------------------------------------------------------------------------


ClassWrite = Callable[[Services, Principal, UUID, dict[str, str]], str]


async def _class_write(request: Request, svc: Services, class_id: UUID,
                       write: ClassWrite) -> Response:
    viewer = _admin(request)
    values = await _fields(request)
    await run_in_threadpool(school.class_row, svc, viewer, class_id)  # 404: another school's
    try:
        target = await run_in_threadpool(write, svc, viewer, class_id, values)
    except Refused as exc:
        day = lookups.today(svc, viewer)
        return await run_in_threadpool(class_page, request, svc, viewer, class_id, day,
                                       Kept(exc, values), None, 422)
    return RedirectResponse(target, 303)


def _student(form: str, raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise Refused(form, "student_id", "«Ученик»: выберите из списка") from None


def _enrol(svc: Services, viewer: Principal, class_id: UUID, values: dict[str, str]) -> str:
    body = structure.parse("enrolment", EnrolmentIn, {
        "student_id": values.get("student_id", ""), "from_date": values.get("from_date", "")})
    structure.run(svc, "enrolment", lambda: svc.app.execute(EnrolStudent(
        viewer.user_id, class_id, student_id=body.student_id, from_date=body.from_date)))
    return f"/school/classes/{class_id}?on={body.from_date}&done=enrolment#students"


def _end_enrolment(svc: Services, viewer: Principal, class_id: UUID,
                   values: dict[str, str]) -> str:
    """The student's last day in the class; from the next day they are not in its lists."""
    student = _student("enrolment_end", values.get("student_id", ""))
    body = structure.parse("enrolment_end", EnrolmentEndIn, {
        "on_date": values.get("on_date", "")})
    try:
        structure.run(svc, "enrolment_end", lambda: svc.app.execute(EndEnrolment(
            viewer.user_id, class_id, student_id=student, last_day=body.on_date)))
    except Refused as exc:
        if exc.field == "last_day":  # the domain's name for the form's (and API's) field
            raise Refused(exc.form, "on_date", exc.text) from None
        raise
    return f"/school/classes/{class_id}?on={body.on_date}&done=enrolment_end#students"


def _guardian(svc: Services, viewer: Principal, class_id: UUID, values: dict[str, str]) -> str:
    student = _student("guardian", values.get("student_id", ""))
    body = structure.parse("guardian", GuardianIn, {"guardian_id": values.get("guardian_id",
                                                                               "")})
    structure.run(svc, "guardian", lambda: svc.app.execute(LinkGuardian(
        viewer.user_id, student, guardian_id=body.guardian_id)))
    return f"/school/classes/{class_id}?done=guardian#students"


def _journal(svc: Services, viewer: Principal, class_id: UUID, values: dict[str, str]) -> str:
    body = structure.parse("journal", JournalIn, {
        "class_id": str(class_id), "subject_id": values.get("subject_id", ""),
        "teacher_id": values.get("teacher_id", "")})
    structure.run(svc, "journal", lambda: svc.app.execute(OpenJournal(
        viewer.user_id, class_id=body.class_id, subject_id=body.subject_id,
        teacher_id=body.teacher_id)))
    return f"/school/classes/{class_id}?done=journal#class-journals"


def _substitution(svc: Services, viewer: Principal, class_id: UUID,
                  values: dict[str, str]) -> str:
    raw = values.get("journal_id", "")
    journal = svc.app.journal(UUID(raw)) if _is_uuid(raw) else None
    if journal is None or journal.class_id != class_id:
        raise Refused("substitution", "journal_id", "«Журнал»: выберите из списка")
    body = structure.parse("substitution", SubstitutionIn, {
        "teacher_id": values.get("teacher_id", ""), "from_date": values.get("from_date", ""),
        "to_date": values.get("to_date", "")})
    structure.run(svc, "substitution", lambda: svc.app.execute(AppointSubstitute(
        viewer.user_id, journal.id, teacher_id=body.teacher_id, from_date=body.from_date,
        to_date=body.to_date)))
    return f"/school/classes/{class_id}?done=substitution#class-journals"


def _timetable(svc: Services, viewer: Principal, class_id: UUID, values: dict[str, str]) -> str:
    """``lessons.{weekday}.{slot}``: the journal taught then (empty: no lesson)."""
    lessons = [{"weekday": day, "slot": slot, "journal_id": values[key]}
               for day in WEEKDAYS for slot in range(1, MAX_SLOT + 1)
               if (key := f"lessons.{day}.{slot}") in values and values[key]]
    body = structure.parse("timetable", TimetableIn, {"valid_from": values.get("valid_from", ""),
                                                      "lessons": lessons})
    structure.run(svc, "timetable", lambda: svc.app.execute(SetTimetable(
        viewer.user_id, class_id, valid_from=body.valid_from,
        lessons=[(x.weekday, x.slot, x.journal_id) for x in body.lessons])))
    return f"/school/classes/{class_id}?on={body.valid_from}&done=timetable#timetable"


def _is_uuid(raw: str) -> bool:
    try:
        UUID(raw)
    except ValueError:
        return False
    return True


@router.post("/school/classes/{class_id}/enrolments")
async def enrol(request: Request, svc: ServicesDep, class_id: UUID) -> Response:
    return await _class_write(request, svc, class_id, _enrol)


@router.post("/school/classes/{class_id}/enrolments/end")
async def end_enrolment(request: Request, svc: ServicesDep, class_id: UUID) -> Response:
    return await _class_write(request, svc, class_id, _end_enrolment)


@router.post("/school/classes/{class_id}/guardians")
async def link_guardian(request: Request, svc: ServicesDep, class_id: UUID) -> Response:
    return await _class_write(request, svc, class_id, _guardian)


@router.post("/school/classes/{class_id}/journals")
async def open_journal(request: Request, svc: ServicesDep, class_id: UUID) -> Response:
    return await _class_write(request, svc, class_id, _journal)


@router.post("/school/classes/{class_id}/substitutions")
async def appoint_substitute(request: Request, svc: ServicesDep, class_id: UUID) -> Response:
    return await _class_write(request, svc, class_id, _substitution)


@router.post("/school/classes/{class_id}/timetable")
async def set_timetable(request: Request, svc: ServicesDep, class_id: UUID) -> Response:
    return await _class_write(request, svc, class_id, _timetable)
