"""Every endpoint of ``/openapi.json`` x every kind of user x a resource they own and one
they do not, on a real server over SQLite and PostgreSQL (``PRINCIPALS`` and ``statuses``
below say who is who). Each cell checks the status and what was written or read: a write's
events, a read's values and staff-read access-log rows, a refusal's problem+json and its one
audit record (never holding the token). A route without a row fails the matrix."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from ejournal.accounts import Accounts, audit, credentials, tokens
from ejournal.api.access_log import access_log
from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    EnrolStudent,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    LinkGuardian,
    OpenClass,
    OpenJournal,
    PlanYear,
    RegisterSchool,
    RegisterUser,
    TakeAttendance,
)
from ejournal.domain.calendar import is_public_day_off
from ejournal.domain.values import Work
from ejournal.projections.base import create_read_engine
from ejournal.scheduler.runner import ComplianceRunner
from tests.api.helpers import PROBLEM
from tests.ledger import reference as ledger_reference
from tests.servers import OPERATOR, Server

PASSWORD = "matrix-pa55word"
TZ = "Europe/Moscow"

#: ``teacher`` teaches journal J1 of class 7А, ``unassigned`` nothing in 7А, ``class_teacher``
#: is 7А's and teaches its J2 (not J1); the ``student`` is S0 (S1 a classmate), the ``guardian``
#: S0's; ``x_*`` are another school's. 401: no or bad token; 403: a role that may never use the
#: endpoint, whatever the ids; 404: unknown or not visible to this user (R-5.3a).
PRINCIPALS = ("anonymous", "operator", "admin", "auditor", "teacher", "unassigned",
              "class_teacher", "student", "guardian", "x_admin", "x_auditor", "x_teacher")
STAFF = {"admin", "auditor", "teacher", "unassigned", "class_teacher", "x_admin", "x_auditor",
         "x_teacher"}
#: Modules whose events only requests write (the scheduler's findings are not among them).
REQUEST_MODULES = ("ejournal.domain.school", "ejournal.domain.school_class",
                   "ejournal.domain.journal", "ejournal.domain.people", "ejournal.domain.lesson",
                   "ejournal.domain.period_mark", "ejournal.application.idempotency",
                   "ejournal.domain.conversation", "ejournal.domain.homework_file")


# --- the world: two schools, their people, journals, lessons and marks -----------------------


@dataclass
class World:
    server: Server
    app: EJournal
    accounts: Accounts
    today: date
    ids: dict[str, UUID]  # principal -> user id
    usernames: dict[str, str]
    tokens: dict[str, str]
    school: UUID
    other_school: UUID
    year: UUID
    period: UUID
    class_a: UUID
    j1: UUID
    j2: UUID
    s0: UUID
    s1: UUID
    victim: UUID  # a student of the school whose sessions get ended
    substitute: UUID  # a teacher only ever appointed as a substitute of J1
    base_lesson: dict[UUID, UUID]  # journal -> a lesson with S0's "4" and S1 absent
    base_mark: dict[UUID, UUID]  # journal -> S0's "4" at the base lesson
    marks_lesson: dict[UUID, UUID]  # journal -> a lesson where cells give and correct marks
    openapi: dict[str, Any]
    served: set[tuple[str, str]]
    starts_on: date = date.min
    ends_on: date = date.max
    base_day: date = date.min  # the day of the base lessons: the last school day before today
    counter: Iterator[int] = field(default_factory=itertools.count)
    free_slots: dict[UUID, Iterator[tuple[date, int]]] = field(default_factory=dict)

    @property
    def admin(self) -> UUID:
        return self.ids["admin"]

    def n(self) -> int:
        return next(self.counter)

    def slot(self, journal: UUID) -> tuple[date, int]:
        """A (date, slot) of a past school day where the journal has no lesson yet."""
        return next(self.free_slots[journal])

    def lesson(self, journal: UUID) -> UUID:
        day, slot = self.slot(journal)
        held = self.app.execute(HoldLesson(self.admin, journal, lesson_date=day, slot=slot,
                                           topic="Подготовлено"))
        assert held.id is not None
        return held.id

    def student(self, enrolled: bool = True) -> UUID:
        n = self.n()
        made = self.app.execute(RegisterUser(self.admin, self.school, username=f"m-kid-{n}",
                                             full_name=f"Ученик {n}", role="student"))
        assert made.id is not None
        if enrolled:
            self.app.execute(EnrolStudent(self.admin, self.class_a, student_id=made.id,
                                          from_date=self.starts_on))
        return made.id

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def events_since(self, position: int) -> list[Any]:
        """The events requests wrote after ``position`` (findings of a scheduler excluded)."""
        found = []
        for notification in self.app.recorder.select_notifications(position + 1, 1000):
            event = self.app.mapper.to_domain_event(notification)
            if type(event).__module__.startswith(REQUEST_MODULES):
                found.append(event)
        return found

    def audit_since(self, row_id: int) -> list[Any]:
        with self.accounts.engine.connect() as conn:
            return list(conn.execute(select(audit).where(audit.c.id > row_id)
                                     .order_by(audit.c.id)))

    def last_audit(self) -> int:
        with self.accounts.engine.connect() as conn:
            return int(conn.scalar(select(func.max(audit.c.id))) or 0)

    def last_access(self) -> int:
        with self.accounts.engine.connect() as conn:
            return int(conn.scalar(select(func.max(access_log.c.id))) or 0)

    def access_since(self, row_id: int) -> list[Any]:
        with self.accounts.engine.connect() as conn:
            return list(conn.execute(select(access_log).where(access_log.c.id > row_id)))

    def credential_count(self) -> int:
        with self.accounts.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(credentials)) or 0)

    def live_tokens(self, user_id: UUID) -> int:
        with self.accounts.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(tokens).where(
                tokens.c.user_id == user_id, tokens.c.revoked_at.is_(None))) or 0)

    def call(self, principal: str, method: str, path: str, *, token: str | None = None,
             **kwargs: Any) -> httpx.Response:
        chosen = token if token is not None else self.tokens.get(principal)
        with self.server.client(chosen) as c:
            return c.request(method, path, **kwargs)


def _school_days(first: date, last: date) -> list[date]:
    """Mon-Sat (a 6-day school without каникулы), less public days off."""
    days = []
    day = first
    while day <= last:
        if day.isoweekday() <= 6 and not is_public_day_off(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def _free(days: list[date], taken: set[tuple[date, int]]) -> Iterator[tuple[date, int]]:
    for day in reversed(days):
        for slot in range(1, 11):
            if (day, slot) not in taken:
                yield day, slot


def _build(server: Server) -> World:
    """Given two schools built through the application layer, and everyone logged in."""
    settings = server.database.settings
    app = server.app()
    accounts = Accounts(create_read_engine(settings))
    today = server.clock().astimezone(ZoneInfo(TZ)).date()
    starts_on, ends_on = today - timedelta(days=150), today + timedelta(days=150)
    operator = app.user_by_username(OPERATOR[0])
    assert operator is not None
    ids: dict[str, UUID] = {"operator": operator.id}
    usernames = {"operator": OPERATOR[0]}

    def school(tag: str) -> tuple[UUID, UUID, UUID]:
        made = app.execute(RegisterSchool(operator.id, name=f"Школа {tag}", timezone=TZ)).id
        assert made is not None
        admin = app.execute(RegisterUser(operator.id, made, username=f"m-{tag}-admin",
                                         full_name="Завуч", role="admin")).id
        assert admin is not None
        year = app.execute(PlanYear(admin, made, name="Учебный год", starts_on=starts_on,
                                    ends_on=ends_on, days_per_week=6,
                                    periods=[("Год", starts_on, ends_on)], holidays=[]))
        assert year.id is not None
        return made, admin, year.id

    def person(school_id: UUID, admin: UUID, who: str, role: str, name: str) -> UUID:
        made = app.execute(RegisterUser(admin, school_id, username=f"m-{who}", full_name=name,
                                        role=role)).id
        assert made is not None
        ids[who], usernames[who] = made, f"m-{who}"
        return made

    school_id, admin, year = school("a")
    ids["admin"], usernames["admin"] = admin, "m-a-admin"
    period: UUID = next(iter(app.repository.get(year).periods))
    person(school_id, admin, "auditor", "auditor", "Аудитор")
    teacher = person(school_id, admin, "teacher", "teacher", "Мария Ивановна")
    person(school_id, admin, "unassigned", "teacher", "Пётр Петрович")
    class_teacher = person(school_id, admin, "class_teacher", "teacher", "Анна Сергеевна")
    s0 = person(school_id, admin, "student", "student", "Ученик Ноль")
    guardian = person(school_id, admin, "guardian", "guardian", "Родитель")
    s1 = app.execute(RegisterUser(admin, school_id, username="m-s1", full_name="Ученик Один",
                                  role="student")).id
    victim = app.execute(RegisterUser(admin, school_id, username="m-victim", full_name="Жертва",
                                      role="student")).id
    substitute = app.execute(RegisterUser(admin, school_id, username="m-substitute",
                                          full_name="Замена", role="teacher")).id
    assert s1 is not None
    assert victim is not None
    assert substitute is not None
    maths = app.execute(AddSubject(admin, school_id, name="Математика")).id
    history = app.execute(AddSubject(admin, school_id, name="История")).id
    assert maths is not None
    assert history is not None
    class_a = app.execute(OpenClass(admin, school_id, name="7А", year_id=year,
                                    class_teacher_id=class_teacher)).id
    assert class_a is not None
    for kid in (s0, s1):
        app.execute(EnrolStudent(admin, class_a, student_id=kid, from_date=starts_on))
    app.execute(LinkGuardian(admin, s0, guardian_id=guardian))
    j1 = app.execute(OpenJournal(admin, class_id=class_a, subject_id=maths, teacher_id=teacher)).id
    j2 = app.execute(OpenJournal(admin, class_id=class_a, subject_id=history,
                                 teacher_id=class_teacher)).id
    assert j1 is not None
    assert j2 is not None

    other, x_admin, x_year = school("b")
    ids["x_admin"], usernames["x_admin"] = x_admin, "m-b-admin"
    person(other, x_admin, "x_auditor", "auditor", "Чужой аудитор")
    x_teacher = person(other, x_admin, "x_teacher", "teacher", "Чужой учитель")
    x_subject = app.execute(AddSubject(x_admin, other, name="Математика")).id
    x_class = app.execute(OpenClass(x_admin, other, name="7А", year_id=x_year)).id
    assert x_subject is not None
    assert x_class is not None
    app.execute(OpenJournal(x_admin, class_id=x_class, subject_id=x_subject, teacher_id=x_teacher))

    # A base lesson in each journal: S0 has a "4", S1 is absent; and a lesson for marks.
    days = _school_days(starts_on, today - timedelta(days=1))
    base_lesson, base_mark, marks_lesson = {}, {}, {}
    taken: set[tuple[date, int]] = set()
    for journal, by in ((j1, teacher), (j2, class_teacher)):
        lesson = app.execute(HoldLesson(by, journal, lesson_date=days[-1], slot=1, topic="Дроби",
                                        homework="№ 7")).id
        assert lesson is not None
        mark = app.execute(GiveMark(by, journal, lesson, student_id=s0, value="4", work="oral")).id
        assert mark is not None
        app.execute(TakeAttendance(by, journal, lesson, absent=[(s1, "illness")]))
        marks = app.execute(HoldLesson(by, journal, lesson_date=days[-1], slot=2, topic="Опрос")).id
        assert marks is not None
        base_lesson[journal], base_mark[journal], marks_lesson[journal] = lesson, mark, marks
    taken |= {(days[-1], 1), (days[-1], 2)}
    # The scheduler's check as of now: the lessons for marks have no attendance.
    runner = ComplianceRunner.open(settings, clock=server.clock)
    try:
        runner.run_school(school_id)
    finally:
        runner.close()

    now = server.clock()
    for who in ids:
        if who != "operator":
            accounts.set_password(ids[who], PASSWORD, now=now)
    accounts.set_password(victim, PASSWORD, now=now)
    logins = {who: server.login(usernames[who], OPERATOR[1] if who == "operator" else PASSWORD)
              for who in ids}
    with server.client() as c:
        openapi = c.get("/openapi.json").json()
    served = {(method.upper(), path) for path, item in openapi["paths"].items()
              for method in item}
    return World(server=server, app=app, accounts=accounts, today=today, ids=ids,
                 usernames=usernames, tokens=logins, school=school_id, other_school=other,
                 year=year, period=period, class_a=class_a, j1=j1, j2=j2, s0=s0, s1=s1,
                 victim=victim, substitute=substitute, base_lesson=base_lesson,
                 base_mark=base_mark, marks_lesson=marks_lesson, openapi=openapi,
                 served=served, starts_on=starts_on, ends_on=ends_on, base_day=days[-1],
                 free_slots={j: _free(days, taken) for j in (j1, j2)})


# --- the matrix ----------------------------------------------------------------------------


@dataclass
class Req:
    """One cell's request, as its row arranged it (``note``: facts for the checks)."""

    path: str
    json: Any = None
    params: dict[str, str] | None = None
    data: dict[str, str] | None = None
    token: str | None = None  # None: the principal's own token; "": none at all
    files: dict[str, Any] | None = None  # a multipart upload
    note: dict[str, Any] = field(default_factory=dict)


@dataclass
class Cell:
    world: World
    principal: str
    target: str
    req: Req
    answer: httpx.Response
    written: list[Any]
    access_before: int
    audit_before: int

    @property
    def body(self) -> Any:
        return self.answer.json()

    @property
    def viewer(self) -> UUID | None:
        return self.world.ids.get(self.principal)

    def access_rows(self) -> list[tuple[UUID, UUID, str]]:
        return [(r.student_id, r.viewer_id, r.what)
                for r in self.world.access_since(self.access_before)]


Arrange = Callable[[World, str, str], Req]
Verify = Callable[[Cell], None]


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as /openapi.json names it
    targets: dict[str, tuple[int, ...]]  # target -> statuses in PRINCIPALS order
    arrange: Arrange
    events: tuple[str, ...] = ()  # what a successful write adds to the log
    verify: Verify | None = None  # further checks of a success
    rules: dict[str, str] = field(default_factory=dict)  # principal -> rule of their 403
    unchanged: Verify | None = None  # further checks of a refusal (the resource as it was)


def statuses(line: str, ok: int = 200) -> tuple[int, ...]:
    """``"401 ok 403 ..."``: one status per principal, in PRINCIPALS order."""
    parsed = tuple(ok if word == "ok" else int(word) for word in line.split())
    assert len(parsed) == len(PRINCIPALS), line
    return parsed


#                    anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
ANYONE = statuses(" 401  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok")
STRUCTURE = " 401  ok   ok   403  403  403  403  403  403  404  403  403"
OPERATOR_ONLY = " 401  ok   403  403  403  403  403  403  403  403  403  403"
ON_J1 = "        401  403  ok   403  ok   404  403  403  403  404  403  404"
ON_J2 = "        401  403  ok   403  404  404  ok   403  403  404  403  404"
DIARY_S0 = statuses(" 401  403  ok   ok   ok   404  ok   ok   ok   404  404  404")
DIARY_S1 = statuses(" 401  403  ok   ok   ok   404  ok   404  404  404  404  404")
READ_J1 = statuses("  401  403  ok   ok   ok   404  ok   403  403  404  404  404")
READ_J2 = statuses("  401  403  ok   ok   404  404  ok   403  403  404  404  404")
FEED = statuses("     401  403  403  403  403  403  403  ok   ok   403  403  403")
ACCESS_S0 = statuses(" 401  403  ok   ok   403  403  403  403  ok   404  404  403")
ACCESS_S1 = statuses(" 401  403  ok   ok   403  403  403  403  404  404  404  403")
AUDIT = statuses("    401  403  ok   ok   403  403  403  403  403  404  404  403")
REVOKE = statuses("   401  ok   ok   403  403  403  403  403  403  404  403  403", 204)
WRITER_RULES = {"student": "R-4.9", "guardian": "R-4.9", "operator": "R-4.4",
                "auditor": "R-4.4", "x_auditor": "R-4.4"}
CT_RULES = {**WRITER_RULES, "class_teacher": "R-4.4"}


def _journal(world: World, target: str) -> UUID:
    return world.j1 if target == "J1" else world.j2


def _student(world: World, target: str) -> UUID:
    return world.s0 if target == "S0" else world.s1


def _span(world: World) -> dict[str, str]:
    return {"from": world.starts_on.isoformat(), "to": world.ends_on.isoformat()}


def _lesson_of(world: World, lesson_id: UUID) -> Any:
    return world.app.repository.get(lesson_id)


# --- accounts ---


def _token_arrange(world: World, principal: str, _: str) -> Req:
    if principal == "anonymous":
        return Req("/api/v1/auth/token", data={"username": "m-nobody", "password": "wrong-pw"},
                   token="")
    password = OPERATOR[1] if principal == "operator" else PASSWORD
    return Req("/api/v1/auth/token", data={"username": world.usernames[principal],
                                           "password": password}, token="")


def _token_verify(cell: Cell) -> None:
    assert cell.body["token_type"] == "bearer"
    assert cell.body["expires_in"] >= 3600
    me = cell.world.call(cell.principal, "GET", "/api/v1/me", token=cell.body["access_token"])
    assert me.json()["id"] == str(cell.viewer)


def _logout_arrange(world: World, principal: str, _: str) -> Req:
    if principal == "anonymous":
        return Req("/api/v1/auth/logout")
    password = OPERATOR[1] if principal == "operator" else PASSWORD
    return Req("/api/v1/auth/logout", token=world.server.login(world.usernames[principal],
                                                               password))


def _logout_verify(cell: Cell) -> None:
    # The token logged out is dead; the principal's other session lives on.
    dead = cell.world.call(cell.principal, "GET", "/api/v1/me", token=cell.req.token)
    assert dead.status_code == 401
    assert cell.world.call(cell.principal, "GET", "/api/v1/me").status_code == 200


def _me_verify(cell: Cell) -> None:
    w, body = cell.world, cell.body
    assert (body["id"], body["username"]) == (str(cell.viewer), w.usernames[cell.principal])
    role = {"unassigned": "teacher", "class_teacher": "teacher", "x_admin": "admin",
            "x_auditor": "auditor", "x_teacher": "teacher"}.get(cell.principal, cell.principal)
    assert body["role"] == role
    assert body["class_teacher_of"] == ([str(w.class_a)] if cell.principal == "class_teacher"
                                        else [])
    assert body["children"] == ([str(w.s0)] if cell.principal == "guardian" else [])
    school = {"operator": None, "x_admin": w.other_school, "x_auditor": w.other_school,
              "x_teacher": w.other_school}.get(cell.principal, w.school)
    assert body["school_id"] == (str(school) if school else None)


def _revoke_arrange(world: World, _: str, __: str) -> Req:
    if world.live_tokens(world.victim) == 0:
        world.server.login("m-victim", PASSWORD)
    return Req(f"/api/v1/users/{world.victim}/revoke-sessions")


def _revoke_verify(cell: Cell) -> None:
    live = cell.world.live_tokens(cell.world.victim)
    assert (live == 0) if cell.answer.is_success else (live >= 1)


# --- school structure ---


def _school_arrange(world: World, _: str, __: str) -> Req:
    return Req("/api/v1/schools", json={"name": f"Школа {world.n()}", "timezone": TZ})


def _school_verify(cell: Cell) -> None:
    school = cell.world.app.repository.get(UUID(cell.body["id"]))
    assert school.name == cell.req.json["name"]


def _user_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/schools/{world.school}/users",
               json={"username": f"m-new-{world.n()}", "password": PASSWORD,
                     "full_name": "Новый Ученик", "role": "student"},
               note={"credentials": world.credential_count()})


def _user_verify(cell: Cell) -> None:
    w = cell.world
    if cell.answer.is_success:
        user = w.app.repository.get(UUID(cell.body["id"]))
        assert (user.username, user.role.value) == (cell.req.json["username"], "student")
        assert w.accounts.check_password(user.id, PASSWORD)
    else:  # the credential stored first was taken back
        assert w.credential_count() == cell.req.note["credentials"]


def _year_arrange(world: World, _: str, __: str) -> Req:
    n = world.n()
    first = date(2040 + n, 9, 1)
    return Req(f"/api/v1/schools/{world.school}/years", json={
        "name": f"Год {n}", "starts_on": first.isoformat(),
        "ends_on": date(2041 + n, 5, 31).isoformat(), "days_per_week": 5,
        "periods": [{"name": "Год", "starts_on": first.isoformat(),
                     "ends_on": date(2041 + n, 5, 31).isoformat()}], "holidays": []})


def _year_verify(cell: Cell) -> None:
    assert [p["name"] for p in cell.body["periods"]] == ["Год"]
    assert cell.written[0].originator_id == UUID(cell.body["id"])


def _day_arrange(world: World, _: str, __: str) -> Req:
    day = world.today + timedelta(days=10 + world.n())
    return Req(f"/api/v1/schools/{world.school}/calendar/days",
               json={"date": day.isoformat(), "kind": "day_off", "reason": "Санобработка"})


def _weights_arrange(world: World, _: str, __: str) -> Req:
    # every kind weighs 1, as before: the reads' cells expect weighted averages = averages
    return Req(f"/api/v1/schools/{world.school}/work-weights",
               json={"oral": 1, "written": 1, "practical": 1, "test": 1, "homework": 1})


def _weights_verify(cell: Cell) -> None:
    assert cell.world.app.work_weights(cell.world.school) == dict.fromkeys(Work, 1)
    [event] = cell.written
    assert (event.oral, event.written, event.test, event.by) == (1, 1, 1, cell.world.ids[
        cell.principal])


def _subject_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/schools/{world.school}/subjects", json={"name": f"Предмет {world.n()}"})


def _class_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/schools/{world.school}/classes",
               json={"name": f"{world.n()}Б", "year_id": str(world.year)})


def _enrol_arrange(world: World, _: str, __: str) -> Req:
    kid = world.student(enrolled=False)
    return Req(f"/api/v1/classes/{world.class_a}/enrolments",
               json={"student_id": str(kid), "from_date": world.starts_on.isoformat()})


def _end_arrange(world: World, _: str, __: str) -> Req:
    kid = world.student()
    return Req(f"/api/v1/classes/{world.class_a}/enrolments/{kid}/end",
               json={"on_date": world.today.isoformat()})


def _guardian_arrange(world: World, _: str, __: str) -> Req:
    kid = world.student(enrolled=False)
    made = world.app.execute(RegisterUser(world.admin, world.school,
                                          username=f"m-parent-{world.n()}", full_name="Родитель",
                                          role="guardian")).id
    return Req(f"/api/v1/students/{kid}/guardians", json={"guardian_id": str(made)},
               note={"kid": kid, "guardian": made})


def _guardian_verify(cell: Cell) -> None:
    kid = cell.world.app.repository.get(cell.req.note["kid"])
    assert (cell.req.note["guardian"] in kid.guardians) == cell.answer.is_success


def _journal_arrange(world: World, _: str, __: str) -> Req:
    subject = world.app.execute(AddSubject(world.admin, world.school, name=f"Курс {world.n()}")).id
    return Req("/api/v1/journals", json={"class_id": str(world.class_a),
                                         "subject_id": str(subject),
                                         "teacher_id": str(world.ids["teacher"])})


def _substitution_arrange(world: World, _: str, __: str) -> Req:
    first = world.today + timedelta(days=10 + 3 * world.n())
    return Req(f"/api/v1/journals/{world.j1}/substitutions", json={
        "teacher_id": str(world.substitute), "from_date": first.isoformat(),
        "to_date": (first + timedelta(days=1)).isoformat()})


def _programme_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/journals/{world.j1}/programme",
               json={"topics": [{"title": "Дроби", "hours": 4},
                                {"title": f"Тема {world.n()}", "hours": 2}]})


def _programme_verify(cell: Cell) -> None:
    journal = cell.world.app.repository.get(cell.world.j1)
    assert [t.title for t in journal.programme][-1] == cell.req.json["topics"][-1]["title"]


def _timetable_arrange(world: World, _: str, __: str) -> Req:
    valid_from = world.today + timedelta(days=20 + world.n())
    return Req(f"/api/v1/classes/{world.class_a}/timetable", json={
        "valid_from": valid_from.isoformat(),
        "lessons": [{"weekday": 1, "slot": 1, "journal_id": str(world.j1)}]})


# --- journal entries ---


def _lesson_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    day, slot = world.slot(journal)
    return Req(f"/api/v1/journals/{journal}/lessons",
               json={"date": day.isoformat(), "slot": slot, "topic": "Урок матрицы",
                     "homework": "№ 3", "homework_minutes": 25},
               note={"journal": journal, "day": day, "slot": slot})


def _lesson_verify(cell: Cell) -> None:
    lesson = _lesson_of(cell.world, UUID(cell.body["id"]))
    assert (lesson.journal_id, lesson.lesson_date, lesson.slot, lesson.topic,
            lesson.homework_minutes) == (cell.req.note["journal"], cell.req.note["day"],
                                         cell.req.note["slot"], "Урок матрицы", 25)


def _attendance_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    lesson = world.lesson(journal)
    return Req(f"/api/v1/journals/{journal}/lessons/{lesson}/attendance",
               json={"absent": [{"student_id": str(world.s1), "reason": "illness"}]},
               note={"lesson": lesson})


def _attendance_verify(cell: Cell) -> None:
    lesson = _lesson_of(cell.world, cell.req.note["lesson"])
    assert (cell.world.s1 in lesson.absent) == cell.answer.is_success


def _absence_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    lesson = world.lesson(journal)
    world.app.execute(TakeAttendance(world.admin, journal, lesson, absent=[(world.s1, "illness")]))
    return Req(f"/api/v1/journals/{journal}/lessons/{lesson}/absences/{world.s1}/cancellation",
               json={"reason": "пришёл ко второй минуте"}, note={"lesson": lesson})


def _absence_verify(cell: Cell) -> None:
    lesson = _lesson_of(cell.world, cell.req.note["lesson"])
    assert (cell.world.s1 not in lesson.absent) == cell.answer.is_success


def _mark_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    lesson = world.marks_lesson[journal]
    return Req(f"/api/v1/journals/{journal}/lessons/{lesson}/marks",
               json={"student_id": str(world.s0), "value": "5", "work": "oral"},
               note={"lesson": lesson})


def _mark_verify(cell: Cell) -> None:
    lesson = _lesson_of(cell.world, cell.req.note["lesson"])
    mark = lesson.marks[UUID(cell.body["id"])]
    assert (mark.student_id, mark.value, mark.work) == (cell.world.s0, "5", Work.ORAL)


def _given_mark(world: World, target: str) -> tuple[UUID, UUID, UUID]:
    journal = _journal(world, target)
    lesson = world.marks_lesson[journal]
    mark = world.app.execute(GiveMark(world.admin, journal, lesson, student_id=world.s0, value="4",
                                      work="oral")).id
    assert mark is not None
    return journal, lesson, mark


def _correction_arrange(world: World, _: str, target: str) -> Req:
    journal, lesson, mark = _given_mark(world, target)
    return Req(f"/api/v1/journals/{journal}/marks/{mark}/corrections",
               json={"value": "3", "reason": "ошибка ввода"},
               note={"lesson": lesson, "mark": mark})


def _correction_verify(cell: Cell) -> None:
    lesson = _lesson_of(cell.world, cell.req.note["lesson"])
    value = lesson.marks[cell.req.note["mark"]].value
    assert value == ("3" if cell.answer.is_success else "4")


def _cancel_arrange(world: World, _: str, target: str) -> Req:
    journal, lesson, mark = _given_mark(world, target)
    return Req(f"/api/v1/journals/{journal}/marks/{mark}/cancellation",
               json={"reason": "не та работа"}, note={"lesson": lesson, "mark": mark})


def _cancel_verify(cell: Cell) -> None:
    lesson = _lesson_of(cell.world, cell.req.note["lesson"])
    assert lesson.marks[cell.req.note["mark"]].cancelled == cell.answer.is_success


def _period_mark_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    kid = world.student()
    return Req(f"/api/v1/journals/{journal}/period-marks",
               json={"student_id": str(kid), "period_id": str(world.period), "value": "5"})


def _period_mark_verify(cell: Cell) -> None:
    given = cell.world.app.repository.get(UUID(cell.body["id"]))
    assert given.value == "5"


def _period_correction_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    kid = world.student()
    given = world.app.execute(GivePeriodMark(world.admin, journal, student_id=kid,
                                             period_id=world.period, value="4")).id
    return Req(f"/api/v1/journals/{journal}/period-marks/{given}/corrections",
               json={"value": "5", "reason": "пересдача"}, note={"given": given})


def _period_correction_verify(cell: Cell) -> None:
    given = cell.world.app.repository.get(cell.req.note["given"])
    assert given.value == ("5" if cell.answer.is_success else "4")


# --- reads ---


def _staff_read(cell: Cell, what: str, whose: set[UUID]) -> None:
    """A staff read of students' data is in the access log, one row per student; any other
    read is not."""
    rows = cell.access_rows()
    if cell.principal in STAFF:
        assert {r[0] for r in rows} == whose
        assert {r[1:] for r in rows} == {(cell.viewer, what)}
    else:
        assert rows == []


def _diary_arrange(world: World, _: str, target: str) -> Req:
    return Req(f"/api/v1/students/{_student(world, target)}/diary", params=_span(world))


def _diary_verify(cell: Cell) -> None:
    w, kid = cell.world, _student(cell.world, cell.target)
    assert cell.body["student_id"] == str(kid)
    base = {(lesson["journal_id"], lesson["slot"], lesson["topic"]): lesson
            for day in cell.body["days"] for lesson in day["lessons"]}
    for journal in (w.j1, w.j2):
        lesson = base[(str(journal), 1, "Дроби")]
        if kid == w.s0:
            assert (lesson["absent"], [m["value"] for m in lesson["marks"]][:1]) == (
                False, ["4"])
        else:
            assert (lesson["absent"], lesson["marks"]) == (True, [])
    _staff_read(cell, "diary", {kid})


def _grid_arrange(world: World, _: str, target: str) -> Req:
    return Req(f"/api/v1/journals/{_journal(world, target)}/grid", params=_span(world))


def _grid_verify(cell: Cell) -> None:
    w, journal = cell.world, _journal(cell.world, cell.target)
    base = str(w.base_lesson[journal])
    assert base in {lesson["id"] for lesson in cell.body["lessons"]}
    cells = {s["id"]: s["cells"] for s in cell.body["students"]}
    assert (cells[str(w.s0)][base], cells[str(w.s1)][base]) == (["4"], ["Н"])
    _staff_read(cell, "grid", {UUID(s) for s in cells})


def _summary_arrange(world: World, _: str, target: str) -> Req:
    return Req(f"/api/v1/journals/{_journal(world, target)}/summary",
               params={"period_id": str(world.period)})


def _summary_verify(cell: Cell) -> None:
    rows = {s["student_id"]: s for s in cell.body["students"]}
    assert "4" in rows[str(cell.world.s0)]["marks"]
    assert rows[str(cell.world.s1)]["absences"] >= 1
    _staff_read(cell, "summary", {UUID(s) for s in rows})


def _history_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    return Req(f"/api/v1/journals/{journal}/marks/{world.base_mark[journal]}/history")


def _history_verify(cell: Cell) -> None:
    first = cell.body["items"][0]
    author = cell.world.ids["teacher" if cell.target == "J1" else "class_teacher"]
    assert (first["kind"], first["value"], first["by"]) == ("given", "4", str(author))
    _staff_read(cell, "mark_history", {cell.world.s0})


def _feed_verify(cell: Cell) -> None:
    items = cell.body["items"]
    # R-5.3a: the guardian's own child, the student themself - nobody else.
    assert items
    assert {i["student_id"] for i in items} == {str(cell.world.s0)}


def _access_log_arrange(world: World, _: str, target: str) -> Req:
    return Req(f"/api/v1/students/{_student(world, target)}/access-log")


def _access_log_verify(cell: Cell) -> None:
    items = cell.body["items"]
    assert items
    assert {i["viewer_role"] for i in items} <= {"teacher", "admin", "auditor"}
    assert str(cell.world.ids["admin"]) in {i["viewer_id"] for i in items}


def _late_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/schools/{world.school}/late-entries", params=_span(world))


def _late_verify(cell: Cell) -> None:
    lessons = {(i["journal_id"], i["entry"], i["rule"]) for i in cell.body["items"]}
    assert (str(cell.world.j1), "lesson", "R-4.5") in lessons


def _compliance_arrange(kind: str) -> Arrange:
    def arrange(world: World, _: str, __: str) -> Req:
        return Req(f"/api/v1/schools/{world.school}/{kind}", params=_span(world))
    return arrange


def _overdue_verify(cell: Cell) -> None:
    world = cell.world
    found = {(i["rule"], i["journal_id"], i["date"], i["slot"]) for i in cell.body["items"]}
    day = world.base_day.isoformat()
    assert {("R-4.6", str(j), day, 2) for j in (world.j1, world.j2)} <= found
    assert {i["journal_id"] for i in cell.body["items"]} <= {str(world.j1), str(world.j2)}
    assert cell.body["next"] is None


def _timeliness_verify(cell: Cell) -> None:
    world = cell.world
    assert (cell.body["from"], cell.body["to"]) == (world.starts_on.isoformat(),
                                                    world.ends_on.isoformat())
    rows = {(i["teacher_id"], i["rule"]): i for i in cell.body["items"]}
    # The base lessons were held the day after: late; their attendance is missing.
    for teacher in ("teacher", "class_teacher"):
        lessons = rows[(str(world.ids[teacher]), "R-4.5")]
        assert lessons["late"] >= 1
        assert rows[(str(world.ids[teacher]), "R-4.6")]["missing"] >= 1
    school_staff = {str(world.ids[who]) for who in ("admin", "teacher", "class_teacher")}
    assert {teacher for teacher, _ in rows} <= school_staff | {str(world.substitute)}


def _fixed(path: str) -> Arrange:
    return lambda world, principal, target: Req(path)


def _metrics_verify(cell: Cell) -> None:
    assert cell.answer.headers["content-type"].startswith("text/plain")
    assert "# TYPE http_requests_total counter" in cell.answer.text


# --- the ledger (one head for the whole log: the same for every school's admin and auditor) ---

#                    anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
LEDGER = statuses("   401  ok   ok   ok   403  403  403  403  403  ok   ok   403")


def _ledger_head_verify(cell: Cell) -> None:
    head = cell.world.head()
    assert cell.body == {"position": head,
                         "sha256": ledger_reference.head_at(cell.world.server.database.settings,
                                                            head)}


LEDGER_ROWS = [
    Row("GET", "/api/v1/ledger/head", {"-": LEDGER}, _fixed("/api/v1/ledger/head"),
        verify=_ledger_head_verify),
]


JW = "/api/v1/journals/{journal_id}"
MATRIX: list[Row] = [
    # --- accounts ---
    Row("POST", "/api/v1/auth/token", {"own credentials": ANYONE}, _token_arrange,
        verify=_token_verify),
    Row("POST", "/api/v1/auth/logout", {"own token": statuses(
        " 401  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok", 204)}, _logout_arrange,
        verify=_logout_verify),
    Row("GET", "/api/v1/me", {"self": ANYONE}, _fixed("/api/v1/me"), verify=_me_verify),
    Row("POST", "/api/v1/users/{user_id}/revoke-sessions", {"a user of the school": REVOKE},
        _revoke_arrange, verify=_revoke_verify, unchanged=_revoke_verify),
    Row("GET", "/healthz", {"-": statuses(" ok" * len(PRINCIPALS))}, _fixed("/healthz"),
        verify=lambda cell: None if cell.body == {"status": "ok"} else pytest.fail("healthz")),
    # /metrics is served by address (EJOURNAL_METRICS_ALLOW; loopback here), not by role
    Row("GET", "/metrics", {"-": statuses(" ok" * len(PRINCIPALS))}, _fixed("/metrics"),
        verify=_metrics_verify),
    # --- school structure (the operator anywhere, an admin in their school) ---
    Row("POST", "/api/v1/schools", {"-": statuses(OPERATOR_ONLY, 201)}, _school_arrange,
        ("School.Registered",), _school_verify),
    Row("POST", "/api/v1/schools/{school_id}/users", {"school": statuses(STRUCTURE, 201)},
        _user_arrange, ("User.Registered", "UsernameClaim.Claimed"), _user_verify,
        unchanged=_user_verify),
    Row("POST", "/api/v1/schools/{school_id}/years", {"school": statuses(STRUCTURE, 201)},
        _year_arrange, ("AcademicYear.Planned",), _year_verify),
    Row("POST", "/api/v1/schools/{school_id}/calendar/days",
        {"school": statuses(STRUCTURE, 201)}, _day_arrange, ("School.CalendarDayDeclared",)),
    Row("PUT", "/api/v1/schools/{school_id}/work-weights", {"school": statuses(STRUCTURE)},
        _weights_arrange, ("School.WorkWeightsSet",), _weights_verify),
    Row("POST", "/api/v1/schools/{school_id}/subjects", {"school": statuses(STRUCTURE, 201)},
        _subject_arrange, ("School.SubjectAdded",)),
    Row("POST", "/api/v1/schools/{school_id}/classes", {"school": statuses(STRUCTURE, 201)},
        _class_arrange, ("SchoolClass.Opened",)),
    Row("POST", "/api/v1/classes/{class_id}/enrolments", {"7А": statuses(STRUCTURE, 201)},
        _enrol_arrange, ("SchoolClass.StudentEnrolled",)),
    Row("POST", "/api/v1/classes/{class_id}/enrolments/{student_id}/end",
        {"7А": statuses(STRUCTURE, 201)}, _end_arrange, ("SchoolClass.EnrolmentEnded",)),
    Row("POST", "/api/v1/students/{student_id}/guardians",
        {"a student of the school": statuses(STRUCTURE, 201)}, _guardian_arrange,
        ("User.GuardianLinked",), _guardian_verify, unchanged=_guardian_verify),
    Row("POST", "/api/v1/journals", {"7А": statuses(STRUCTURE, 201)}, _journal_arrange,
        ("ClassJournal.Opened",)),
    Row("POST", JW + "/substitutions", {"J1": statuses(STRUCTURE, 201)},
        _substitution_arrange, ("ClassJournal.SubstituteAppointed",)),
    Row("PUT", JW + "/programme", {"J1": statuses(STRUCTURE)}, _programme_arrange,
        ("ClassJournal.ProgrammeSet",), _programme_verify),
    Row("PUT", "/api/v1/classes/{class_id}/timetable", {"7А": statuses(STRUCTURE)},
        _timetable_arrange, ("SchoolClass.TimetableSet",)),
    # --- journal entries (J1: the teacher's; J2: the class teacher's, not the teacher's) ---
    Row("POST", JW + "/lessons", {"J1": statuses(ON_J1, 201), "J2": statuses(ON_J2, 201)},
        _lesson_arrange, ("Lesson.Held",), _lesson_verify, CT_RULES),
    Row("POST", JW + "/lessons/{lesson_id}/attendance",
        {"J1": statuses(ON_J1, 201), "J2": statuses(ON_J2, 201)}, _attendance_arrange,
        ("Lesson.AttendanceTaken",), _attendance_verify, CT_RULES, unchanged=_attendance_verify),
    Row("POST", JW + "/lessons/{lesson_id}/absences/{student_id}/cancellation",
        {"J1": statuses(ON_J1, 201), "J2": statuses(ON_J2, 201)}, _absence_arrange,
        ("Lesson.AbsenceCancelled",), _absence_verify, CT_RULES, unchanged=_absence_verify),
    Row("POST", JW + "/lessons/{lesson_id}/marks",
        {"J1": statuses(ON_J1, 201), "J2": statuses(ON_J2, 201)}, _mark_arrange,
        ("Lesson.MarkGiven",), _mark_verify, CT_RULES),
    Row("POST", JW + "/marks/{mark_id}/corrections",
        {"J1": statuses(ON_J1, 201), "J2": statuses(ON_J2, 201)}, _correction_arrange,
        ("Lesson.MarkCorrected",), _correction_verify, CT_RULES, unchanged=_correction_verify),
    Row("POST", JW + "/marks/{mark_id}/cancellation",
        {"J1": statuses(ON_J1, 201), "J2": statuses(ON_J2, 201)}, _cancel_arrange,
        ("Lesson.MarkCancelled",), _cancel_verify, CT_RULES, unchanged=_cancel_verify),
    Row("POST", JW + "/period-marks", {"J1": statuses(ON_J1, 201), "J2": statuses(ON_J2, 201)},
        _period_mark_arrange, ("PeriodMark.Given",), _period_mark_verify, CT_RULES),
    Row("POST", JW + "/period-marks/{period_mark_id}/corrections",
        {"J1": statuses(ON_J1, 201), "J2": statuses(ON_J2, 201)}, _period_correction_arrange,
        ("PeriodMark.Corrected",), _period_correction_verify, CT_RULES,
        unchanged=_period_correction_verify),
    # --- reads (S0: the student themself, the guardian's child; S1: a classmate) ---
    Row("GET", "/api/v1/students/{student_id}/diary", {"S0": DIARY_S0, "S1": DIARY_S1},
        _diary_arrange, verify=_diary_verify),
    Row("GET", JW + "/grid", {"J1": READ_J1, "J2": READ_J2}, _grid_arrange,
        verify=_grid_verify),
    Row("GET", JW + "/summary", {"J1": READ_J1, "J2": READ_J2}, _summary_arrange,
        verify=_summary_verify),
    Row("GET", JW + "/marks/{mark_id}/history", {"J1": READ_J1, "J2": READ_J2},
        _history_arrange, verify=_history_verify),
    Row("GET", "/api/v1/me/feed", {"own": FEED}, _fixed("/api/v1/me/feed"),
        verify=_feed_verify),
    Row("GET", "/api/v1/students/{student_id}/access-log", {"S0": ACCESS_S0, "S1": ACCESS_S1},
        _access_log_arrange, verify=_access_log_verify),
    Row("GET", "/api/v1/schools/{school_id}/late-entries", {"school": AUDIT}, _late_arrange,
        verify=_late_verify),
    # --- compliance ---
    Row("GET", "/api/v1/schools/{school_id}/overdue", {"school": AUDIT},
        _compliance_arrange("overdue"), verify=_overdue_verify),
    Row("GET", "/api/v1/schools/{school_id}/timeliness", {"school": AUDIT},
        _compliance_arrange("timeliness"), verify=_timeliness_verify),
    *LEDGER_ROWS,
]
# The lookups, a student's guardians and period marks: rows of a module of their own.
from tests.api.matrix_lookups import LOOKUP_ROWS  # noqa: E402

MATRIX += LOOKUP_ROWS
# The reports: rows of a module of their own.
from tests.api.matrix_reports import REPORT_ROWS  # noqa: E402

MATRIX += REPORT_ROWS
# Closing and reopening periods: rows of a module of their own.
from tests.api.matrix_periods import PERIOD_ROWS  # noqa: E402

MATRIX += PERIOD_ROWS
# What a school does with accounts: a holder's password and sessions, resets, disabling.
from tests.api.matrix_accounts import ACCOUNT_ROWS  # noqa: E402

MATRIX += ACCOUNT_ROWS
# Files: a journal's export, the school's imports.
from tests.api.matrix_files import FILE_ROWS  # noqa: E402

MATRIX += FILE_ROWS
# Homework files: attached, listed, downloaded, retracted.
from tests.api.matrix_attachments import ATTACHMENT_ROWS  # noqa: E402

MATRIX += ATTACHMENT_ROWS
# The paper documents and the year-end archive.
from tests.api.matrix_documents import DOCUMENT_ROWS  # noqa: E402

MATRIX += DOCUMENT_ROWS
# Conversations, messages and announcements.
from tests.api.matrix_messages import MESSAGE_ROWS  # noqa: E402

MATRIX += MESSAGE_ROWS
ROWS = {f"{row.method} {row.path}": row for row in MATRIX}
assert len(ROWS) == len(MATRIX), "one row per endpoint"
CELLS = [pytest.param(key, target, principal, id=f"{key} | {target} | {principal}")
         for key, row in ROWS.items() for target in row.targets for principal in PRINCIPALS]


@pytest.fixture(scope="module")
def world(module_server: Server) -> Iterator[World]:
    built = _build(module_server)
    # Every read model holds the world before the first cell reads it.
    head = built.head()
    answer = built.call("admin", "GET", f"/api/v1/journals/{built.j1}/grid",
                        params=_span(built), headers={"X-Log-Position": str(head)})
    assert answer.status_code == 200, answer.text
    yield built
    built.app.close()
    built.accounts.engine.dispose()


def test_every_served_endpoint_has_a_row_in_the_matrix(world: World) -> None:
    rows = {(row.method, row.path) for row in MATRIX}
    missing = world.served - rows
    assert not missing, f"endpoints without a row in the role matrix: {sorted(missing)}"
    gone = {(r.method, r.path) for r in MATRIX} - world.served
    assert not gone, f"rows for endpoints the server does not serve: {sorted(gone)}"


@pytest.mark.parametrize(("key", "target", "principal"), CELLS)
def test_cell(world: World, key: str, target: str, principal: str) -> None:
    row = ROWS[key]
    expected = row.targets[target][PRINCIPALS.index(principal)]
    assert (row.method, row.path) in world.served, f"{key} is not served"
    # Given the cell's own resources
    req = row.arrange(world, principal, target)
    head, audit_before, access_before = world.head(), world.last_audit(), world.last_access()
    # When the principal asks
    answer = world.call(principal, row.method, req.path, token=req.token, json=req.json,
                        params=req.params, data=req.data, files=req.files)
    # Then the answer is the matrix's
    assert answer.status_code == expected, (
        f"{principal} on {target}: {row.method} {req.path} -> {answer.status_code} "
        f"{answer.text}")
    written = world.events_since(head)
    cell = Cell(world, principal, target, req, answer, written, access_before,
                audit_before)
    if answer.is_success:
        # and a write wrote exactly its events (a read none)
        assert sorted(e.__class__.__qualname__ for e in written) == sorted(row.events)
    else:
        # and a refusal wrote nothing, answered problem+json, and was audited
        assert written == []
        assert answer.headers["content-type"] == PROBLEM
        problem = answer.json()
        assert problem["status"] == expected
        if expected == 403 and principal in row.rules:
            assert problem.get("rule") == row.rules[principal], problem
        assert cell.access_rows() == []
        _audited_refusal(cell, row, expected)
    check = row.verify if answer.is_success else row.unchanged
    if check is not None:
        check(cell)


def _audited_refusal(cell: Cell, row: Row, status: int) -> None:
    """One audit record of the refusal, naming who, what and the answer; never a secret."""
    records = cell.world.audit_since(cell.audit_before)
    if row.path == "/api/v1/auth/token":
        assert [r.kind for r in records] == ["login_failed"]
        assert records[0].username == cell.req.data["username"] if cell.req.data else True
    else:
        kind = "unauthenticated" if status == 401 else "access_refused"
        assert [(r.kind, r.user_id, r.detail) for r in records] == [
            (kind, cell.viewer, f"{row.method} {row.path} {status} {cell.req.path}")]
    secrets = {PASSWORD, OPERATOR[1], *cell.world.tokens.values()}
    if cell.req.token:
        secrets.add(cell.req.token)
    for record in records:
        for value in record:
            assert not any(s in str(value) for s in secrets), record
