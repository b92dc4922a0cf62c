"""The role x page x ownership matrix of the browser UI: the same principals, school and
rules as the API's (``tests/api/test_role_matrix.py``, whose world this builds), over a real
server on SQLite and PostgreSQL.

Every page route the server serves has a row here (``test_every_page_has_a_row``). A
session is the principal's own API token as the session cookie (one token serves both).
Each cell asserts the status; for a success, what the page shows and the access-log rows of
staff reads; for every refusal, that nothing was written or logged as read, and one audit
record of it. 303: no session, sent to the login page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.routing import APIRoute

from ejournal.application.commands import GiveMark, GivePeriodMark, TakeAttendance
from ejournal.site import create_app
from ejournal.web.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE, session_csrf
from tests.api.test_role_matrix import PASSWORD, PRINCIPALS, STAFF, World, _build, statuses
from tests.servers import OPERATOR, Server

LOGIN_CSRF = "matrix-login-csrf-value"


@dataclass
class Req:
    path: str
    data: dict[str, str] | None = None
    token: str | None = None  # None: the principal's own session; "": none
    files: dict[str, Any] | None = None  # a multipart upload beside ``data``
    note: dict[str, Any] = field(default_factory=dict)


@dataclass
class Cell:
    world: World
    principal: str
    target: str
    req: Req
    answer: httpx.Response


Arrange = Callable[[World, str, str], Req]


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    targets: dict[str, tuple[int, ...]]
    arrange: Arrange
    shows: Callable[[Cell], None] | None = None
    events: tuple[str, ...] = ()  # what a successful write adds to the log
    reads: tuple[str, ...] = ()  # the access log's ``what`` of a staff success


def _call(world: World, principal: str, method: str, req: Req) -> httpx.Response:
    token = req.token if req.token is not None else world.tokens.get(principal)
    cookies = {LOGIN_CSRF_COOKIE: LOGIN_CSRF}
    if token:
        cookies[SESSION_COOKIE] = token
    data = None
    if method == "POST":
        data = {"csrf": session_csrf(token) if token else LOGIN_CSRF, **(req.data or {})}
    with httpx.Client(base_url=world.server.url, cookies=cookies, timeout=30) as client:
        return client.request(method, req.path, data=data, files=req.files)


def _fixed(path: str) -> Arrange:
    return lambda world, principal, target: Req(path)


def _student(world: World, target: str) -> str:
    return str(world.s0 if target == "S0" else world.s1)


def _diary_arrange(world: World, _: str, target: str) -> Req:
    return Req(f"/diary?student={_student(world, target)}")


def _diary_shows(cell: Cell) -> None:
    assert "Дневник: Ученик Ноль" in cell.answer.text
    assert "Дроби" in cell.answer.text
    assert "№ 7" in cell.answer.text


def _login_arrange(world: World, principal: str, _: str) -> Req:
    if principal == "anonymous":
        return Req("/", data={"username": "m-nobody", "password": "wrong-pw"}, token="")
    password = OPERATOR[1] if principal == "operator" else PASSWORD
    return Req("/", data={"username": world.usernames[principal], "password": password},
               token="")


def _login_shows(cell: Cell) -> None:
    token = cell.answer.cookies[SESSION_COOKIE]
    me = cell.world.call(cell.principal, "GET", "/api/v1/me", token=token)
    assert me.json()["username"] == cell.world.usernames[cell.principal]


def _logout_arrange(world: World, principal: str, _: str) -> Req:
    if principal == "anonymous":
        return Req("/logout", token="")
    password = OPERATOR[1] if principal == "operator" else PASSWORD
    return Req("/logout", token=world.server.login(world.usernames[principal], password))


def _logout_shows(cell: Cell) -> None:
    if cell.req.token:
        dead = cell.world.call(cell.principal, "GET", "/api/v1/me", token=cell.req.token)
        assert dead.status_code == 401
        assert cell.world.call(cell.principal, "GET", "/api/v1/me").status_code == 200


def _journal(world: World, target: str) -> UUID:
    return world.j1 if target == "J1" else world.j2


def _journal_arrange(world: World, _: str, target: str) -> Req:
    return Req(f"/journals/{_journal(world, target)}")


def _cell_path(world: World, target: str, student: UUID | None = None) -> str:
    journal = _journal(world, target)
    return f"/journals/{journal}/cells/{world.marks_lesson[journal]}/{student or world.s0}"


def _cell_arrange(world: World, _: str, target: str) -> Req:
    return Req(_cell_path(world, target))


def _give_arrange(world: World, _: str, target: str) -> Req:
    return Req(_cell_path(world, target) + "/marks", data={"value": "5", "work": "oral"})


def _absence_arrange(world: World, _: str, target: str) -> Req:
    return Req(_cell_path(world, target, world.student()) + "/absence",
               data={"reason": "illness"})


def _absence_cancel_arrange(world: World, _: str, target: str) -> Req:
    kid, journal = world.student(), _journal(world, target)
    world.app.execute(TakeAttendance(world.admin, journal, world.marks_lesson[journal],
                                     absent=[(kid, None)]))
    return Req(_cell_path(world, target, kid) + "/absence/cancellation",
               data={"reason": "пришёл ко второму уроку"})


def _given(world: World, target: str) -> tuple[UUID, UUID]:
    kid, journal = world.student(), _journal(world, target)
    mark = world.app.execute(GiveMark(world.admin, journal, world.marks_lesson[journal],
                                      student_id=kid, value="4", work="oral")).id
    assert mark is not None
    return kid, mark


def _correct_arrange(world: World, _: str, target: str) -> Req:
    kid, mark = _given(world, target)
    return Req(_cell_path(world, target, kid) + f"/marks/{mark}/correction",
               data={"value": "3", "reason": "ошибка ввода"})


def _cancel_arrange(world: World, _: str, target: str) -> Req:
    kid, mark = _given(world, target)
    return Req(_cell_path(world, target, kid) + f"/marks/{mark}/cancellation",
               data={"reason": "поставлена не тому"})


def _history_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    return Req(f"/journals/{journal}/marks/{world.base_mark[journal]}/history")


def _hold_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    day, slot = world.slot(journal)
    return Req(f"/journals/{journal}/lessons",
               data={"date": day.isoformat(), "slot": str(slot), "topic": "Опрос"})


def _lesson_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    return Req(f"/journals/{journal}/lessons/{world.base_lesson[journal]}")


def _attendance_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    return Req(f"/journals/{journal}/lessons/{world.lesson(journal)}/attendance", data={})


def _lesson_history_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    return Req(f"/journals/{journal}/lessons/{world.base_lesson[journal]}/history")


def _period_history_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    given = world.app.execute(GivePeriodMark(world.admin, journal, student_id=world.student(),
                                             period_id=world.period, value="4")).id
    return Req(f"/journals/{journal}/period-marks/{given}/history")


def _audit_arrange(world: World, _: str, target: str) -> Req:
    if target == "-":
        return Req("/audit")
    if target in ("late", "overdue", "timeliness"):
        return Req(f"/audit?report={target}")
    return Req(f"/audit?teacher={world.ids['x_teacher']}")


def _audit_shows(cell: Cell) -> None:
    heading = {"-": "поздние записи", "late": "поздние записи",
               "overdue": "пропущенные записи", "x_teacher": "поздние записи",
               "timeliness": "своевременность по учителям"}[cell.target]
    assert f"Проверка: {heading}" in cell.answer.text
    if cell.target in ("-", "late") and cell.principal in ("admin", "auditor"):
        assert "R-4.6" in cell.answer.text or "R-4.5" in cell.answer.text
        assert "/history" in cell.answer.text
    if cell.target == "overdue" and cell.principal in ("admin", "auditor"):
        assert "не внесено" in cell.answer.text
        assert "R-4.6" in cell.answer.text


def _school_shows(cell: Cell) -> None:
    """Each admin sees their own school's structure, never the other's."""
    own, other = ("Школа b", "Школа a") if cell.principal == "x_admin" else ("Школа a",
                                                                              "Школа b")
    assert f"Школа: {own}" in cell.answer.text
    assert other not in cell.answer.text
    assert "7А" in cell.answer.text
    assert "Математика" in cell.answer.text


def _final_path(world: World, target: str, student: UUID | None = None) -> str:
    return f"/journals/{_journal(world, target)}/students/{student or world.s0}/period-mark"


def _final_arrange(world: World, _: str, target: str) -> Req:
    """S0's period mark in J1 or J2; or in J1, of a student never in its class."""
    if target == "J1 outsider":
        return Req(_final_path(world, "J1", world.student(enrolled=False)))
    return Req(_final_path(world, target))


def _final_give_arrange(world: World, _: str, target: str) -> Req:
    return Req(_final_path(world, target, world.student()), data={"value": "5"})


def _final_correct_arrange(world: World, _: str, target: str) -> Req:
    kid, journal = world.student(), _journal(world, target)
    world.app.execute(GivePeriodMark(world.admin, journal, student_id=kid,
                                     period_id=world.period, value="4"))
    return Req(_final_path(world, target, kid) + "/correction",
               data={"value": "3", "reason": "пересдача"})


def _written(cell: Cell) -> None:
    """A cell's answer says the entry was taken (on time, or late with its rule)."""
    assert "Записано." in cell.answer.text or "Внесено с опозданием: R-" in cell.answer.text


def _says(*words: str) -> Callable[[Cell], None]:
    def check(cell: Cell) -> None:
        for word in words:
            assert word in cell.answer.text, word
    return check


#                    anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
EVERYONE = statuses(" ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok")
SIGNED_IN = statuses("303  303  303  303  303  303  303  303  303  303  303  303", 303)
LOGIN = statuses("   401  303  303  303  303  303  303  303  303  303  303  303")
LOGOUT = statuses("  303  303  303  303  303  303  303  303  303  303  303  303")
DIARY_S0 = statuses("303  403  403  403  403  403  403  ok   ok   403  403  403")
DIARY_S1 = statuses("303  403  403  403  403  403  403  404  404  403  403  403")
ADMIN = statuses("   303  403  ok   403  403  403  403  403  403  ok   403  403")
AUDIT = statuses("   303  403  ok   ok   403  403  403  403  403  ok   ok   403")
CLASS_A = statuses(" 303  403  ok   403  403  403  403  403  403  404  403  403")
AUDIT_X = statuses(" 303  403  404  404  403  403  403  403  403  ok   ok   403")
OPERATORS = statuses("303  ok   403  403  403  403  403  403  403  403  403  403")
TEACHERS = statuses(" 303  403  403  403  ok   ok   ok   403  403  403  403  ok")
MESSAGES = statuses(" 303  403  ok   ok   ok   ok   ok   ok   ok   ok   ok   ok")
IN_CLASS = statuses(" 303  403  404  404  ok   404  ok   ok   404  404  404  404")
IN_CLASS_WRITE = statuses("303 403 404 404 303 404 303 303 404 404 404 404", 303)


def _conversation_arrange(world: World, _: str, target: str) -> Req:
    # (imported here: the API matrix's module imports that matrix back as it loads)
    from tests.api.matrix_messages import _conversation, _post

    _post(world, target)
    return Req(f"/messages/{_conversation(world, target)}")


def _write_arrange(world: World, _: str, target: str) -> Req:
    from tests.api.matrix_messages import _conversation, _post

    _post(world, target)
    return Req(f"/messages/{_conversation(world, target)}", data={"text": "Спасибо!"})
FAMILY = statuses("   303  403  403  403  403  403  403  ok   ok   403  403  403")
ACCESS_S0 = statuses("303  403  403  403  403  403  403  403  ok   403  403  403")
ACCESS_S1 = statuses("303  403  403  403  403  403  403  403  404  403  403  403")
READ_J1 = "          303  403  ok   ok   ok   404  ok   403  403  404  404  404"
READ_J2 = "          303  403  ok   ok   404  404  ok   403  403  404  404  404"
WRITE_J1 = "         303  403  ok   403  ok   404  403  403  403  404  403  404"
WRITE_J2 = "         303  403  ok   403  404  404  ok   403  403  404  403  404"
READS = {"J1": statuses(READ_J1), "J2": statuses(READ_J2)}
REPORTS = statuses(" 303  403  ok   ok   ok   ok   ok   403  403  ok   ok   ok")
CLASS_7A = statuses("303  403  ok   ok   ok   404  ok   403  403  404  404  404")


def _reports_shows(cell: Cell) -> None:
    """The classes whose reports the viewer reads: none for a teacher of none of them."""
    text = cell.answer.text
    if cell.principal == "unassigned":
        assert "Классов, отчёты которых вам доступны, нет." in text
    else:
        assert "/reports/attendance?class=" in text
        assert "7А" in text


def _class_report(kind: str) -> Arrange:
    return lambda world, _, __: Req(f"/reports/{kind}?class={world.class_a}")


def _writes(ok: int) -> dict[str, tuple[int, ...]]:
    return {"J1": statuses(WRITE_J1, ok), "J2": statuses(WRITE_J2, ok)}


CELL = "/journals/{journal_id}/cells/{lesson_id}/{student_id}"

MATRIX: list[Row] = [
    Row("GET", "/", {"-": statuses(" ok   303  303  303  303  303  303  303  303  303  303 "
                                   " 303")}, _fixed("/"), _says("Логин", "Пароль", "Войти")),
    Row("POST", "/", {"own credentials": LOGIN}, _login_arrange, _login_shows),
    Row("POST", "/logout", {"own session": LOGOUT}, _logout_arrange, _logout_shows),
    Row("GET", "/help", {"-": EVERYONE}, _fixed("/help"), _says("Справка")),
    Row("GET", "/docs", {"-": EVERYONE}, _fixed("/docs"), _says("swagger-ui-bundle.js")),
    Row("GET", "/diary", {"S0": DIARY_S0, "S1": DIARY_S1}, _diary_arrange, _diary_shows),
    Row("GET", "/school", {"-": ADMIN}, _fixed("/school"), _school_shows),
    Row("GET", "/school/classes/{class_id}", {"7А": CLASS_A},
        lambda w, p, t: Req(f"/school/classes/{w.class_a}"),
        _says("Класс 7А", "Ученик Ноль", "Родитель", "Математика", "Мария Ивановна")),
    Row("GET", "/audit", {"-": AUDIT, "late": AUDIT, "overdue": AUDIT, "timeliness": AUDIT,
                          "x_teacher": AUDIT_X}, _audit_arrange, _audit_shows),
    Row("GET", "/journals/{journal_id}/lessons/{lesson_id}/history", READS,
        _lesson_history_arrange, _says("История урока", "Дроби", "отметка (Ученик Ноль)"),
        reads=("grid",)),
    Row("GET", "/journals/{journal_id}/period-marks/{period_mark_id}/history", READS,
        _period_history_arrange, _says("История итоговой отметки", "поставлена"),
        reads=("period_mark_history",)),
    Row("GET", "/schools", {"-": OPERATORS}, _fixed("/schools"),
        _says("Школы платформы", "Школа a", "Школа b", "Завуч")),
    Row("GET", "/marks", {"S0": DIARY_S0, "S1": DIARY_S1},
        lambda w, p, t: Req(f"/marks?student={_student(w, t)}"),
        _says("Отметки: Ученик Ноль", "Математика", "4,00")),
    Row("GET", "/feed", {"own": FAMILY}, _fixed("/feed"), _says("Ученик Ноль", "отметка")),
    Row("GET", "/access-log", {"S0": ACCESS_S0, "S1": ACCESS_S1},
        lambda w, p, t: Req(f"/access-log?student={_student(w, t)}"),
        _says("Кто просматривал данные ребёнка: Ученик Ноль")),
    Row("GET", "/journals", {"-": TEACHERS}, _fixed("/journals"), _says("Мои журналы")),
    Row("GET", "/journals/{journal_id}", READS, _journal_arrange,
        _says("7А", "Ученик Ноль", "Провести урок"), reads=("grid", "summary")),
    Row("GET", CELL, READS, _cell_arrange, _says("Ученик Ноль", "Поставить"),
        reads=("grid",)),
    Row("POST", CELL + "/marks", _writes(201), _give_arrange, _written,
        ("Lesson.MarkGiven",), ("grid",)),
    Row("POST", CELL + "/absence", _writes(201), _absence_arrange, _says("по болезни"),
        ("Lesson.AttendanceTaken",), ("grid",)),
    Row("POST", CELL + "/absence/cancellation", _writes(201), _absence_cancel_arrange,
        _written, ("Lesson.AbsenceCancelled",), ("grid",)),
    Row("POST", CELL + "/marks/{mark_id}/correction", _writes(201), _correct_arrange,
        _written, ("Lesson.MarkCorrected",), ("grid",)),
    Row("POST", CELL + "/marks/{mark_id}/cancellation", _writes(201), _cancel_arrange,
        _written, ("Lesson.MarkCancelled",), ("grid",)),
    Row("GET", "/journals/{journal_id}/marks/{mark_id}/history", READS, _history_arrange,
        _says("поставлена"), reads=("mark_history",)),
    Row("POST", "/journals/{journal_id}/lessons", _writes(303), _hold_arrange,
        events=("Lesson.Held",)),
    Row("GET", "/journals/{journal_id}/lessons/{lesson_id}", READS, _lesson_arrange,
        _says("Посещаемость", "Дроби"), reads=("grid", "summary")),
    Row("POST", "/journals/{journal_id}/lessons/{lesson_id}/attendance", _writes(303),
        _attendance_arrange, events=("Lesson.AttendanceTaken",)),
    Row("GET", "/journals/{journal_id}/students/{student_id}/period-mark",
        {**READS, "J1 outsider": statuses(READ_J1.replace("ok", "404"))}, _final_arrange,
        _says("Итоговая отметка: Ученик Ноль", "Год"), reads=("summary",)),
    Row("POST", "/journals/{journal_id}/students/{student_id}/period-mark", _writes(201),
        _final_give_arrange, _written, ("PeriodMark.Given",), ("summary",)),
    Row("POST", "/journals/{journal_id}/students/{student_id}/period-mark/correction",
        _writes(201), _final_correct_arrange, _written, ("PeriodMark.Corrected",),
        ("summary",)),
    Row("GET", "/messages", {"-": MESSAGES}, _fixed("/messages"), _says("Сообщения", "Объявления")),
    Row("GET", "/messages/{conversation_id}", {"class": IN_CLASS}, _conversation_arrange,
        _says("Напоминаю про субботник")),
    Row("POST", "/messages/{conversation_id}", {"class": IN_CLASS_WRITE}, _write_arrange,
        events=("Conversation.MessagePosted",)),
    # --- the reports (the API's: a journal as its grid, a class as its students) ---
    Row("GET", "/reports", {"-": REPORTS}, _fixed("/reports"), _reports_shows),
    Row("GET", "/reports/programme", READS,
        lambda w, p, t: Req(f"/reports/programme?journal={_journal(w, t)}"),
        _says("Выполнение программы: 7А")),
    Row("GET", "/reports/homework", {"7А": CLASS_7A}, _class_report("homework"),
        _says("Домашняя нагрузка: 7А", "№ 7")),
    Row("GET", "/reports/attendance", {"7А": CLASS_7A}, _class_report("attendance"),
        _says("Посещаемость: 7А", "Ученик Один", "<svg"), reads=("attendance",)),
    Row("GET", "/reports/performance", {"7А": CLASS_7A}, _class_report("performance"),
        _says("Успеваемость: 7А", "Сводная ведомость", "Математика", "<svg"),
        reads=("performance",)),
]
# The administration's structure forms: rows of a module of their own.
from tests.web.matrix_school import SCHOOL_ROWS  # noqa: E402

MATRIX += SCHOOL_ROWS
# Homework files: attached on the lesson's page, downloaded from the diary.
from tests.web.matrix_attachments import ATTACHMENT_PAGES  # noqa: E402

MATRIX += ATTACHMENT_PAGES
# The holder's own account: rows of a module of their own.
from tests.web.matrix_account import ACCOUNT_ROWS  # noqa: E402

MATRIX += ACCOUNT_ROWS
# Closing and reopening a period on «Школа».
from tests.web.matrix_periods import PERIOD_PAGES  # noqa: E402

MATRIX += PERIOD_PAGES
ROWS = {f"{row.method} {row.path}": row for row in MATRIX}
assert len(ROWS) == len(MATRIX), "one row per page"
CELLS = [pytest.param(key, target, principal, id=f"{key} | {target} | {principal}")
         for key, row in ROWS.items() for target in row.targets for principal in PRINCIPALS]


def served_pages() -> set[tuple[str, str]]:
    """Every route the server serves outside its OpenAPI document (the pages), its included
    routers' too."""
    found: set[tuple[str, str]] = set()
    pending: list[Any] = list(create_app().routes)
    while pending:
        route = pending.pop()
        included = getattr(route, "original_router", None)
        if included is not None:
            pending.extend(included.routes)
        elif isinstance(route, APIRoute) and not route.include_in_schema:
            found |= {(method, route.path) for method in route.methods or ()}
    return found


@pytest.fixture(scope="module")
def world(module_server: Server) -> Iterator[World]:
    built = _build(module_server)
    module_server.caught_up()
    yield built
    built.app.close()
    built.accounts.engine.dispose()


def test_every_page_has_a_row() -> None:
    rows = {(row.method, row.path) for row in MATRIX}
    assert served_pages() - rows == set(), "pages without a row in the role matrix"
    assert rows - served_pages() == set(), "rows for pages the server does not serve"


@pytest.mark.parametrize(("key", "target", "principal"), CELLS)
def test_cell(world: World, key: str, target: str, principal: str) -> None:
    row = ROWS[key]
    expected = row.targets[target][PRINCIPALS.index(principal)]
    req = row.arrange(world, principal, target)
    head, audit_before, access_before = world.head(), world.last_audit(), world.last_access()
    answer = _call(world, principal, row.method, req)
    assert answer.status_code == expected, (
        f"{principal} on {target}: {row.method} {req.path} -> {answer.status_code}")
    cell = Cell(world, principal, target, req, answer)
    written = sorted(e.__class__.__qualname__ for e in world.events_since(head))
    reads = {r.what for r in world.access_since(access_before)}
    success = expected in (200, 201) or (expected == 303 and row.method == "POST"
                                         and (principal != "anonymous" or not row.events))
    if success:
        # A write wrote exactly its events; a staff read is in the access log, one a
        # family's is not
        assert written == sorted(row.events)
        assert reads == (set(row.reads) if principal in STAFF else set())
        if row.shows is not None:
            row.shows(cell)
        return
    # A refusal wrote nothing and logged nothing as read
    assert written == []
    assert reads == set()
    if expected == 303 and row.method == "GET" and principal != "anonymous":
        return  # a signed-in visitor of the login page goes to their landing page
    if expected == 303:
        assert answer.headers["location"].startswith("/?next=")
    else:
        assert answer.headers["content-type"].startswith("text/html")
        if expected == 403 and row.method == "POST" and principal == "class_teacher" \
                and row.path.startswith("/journals/"):
            assert "(R-4.4)" in answer.text  # the journal's rule, said
    records = world.audit_since(audit_before)
    viewer = world.ids.get(principal)
    path = req.path.split("?")[0]
    if row.method == "POST" and path == "/":
        assert [r.kind for r in records] == ["login_failed"]
        return
    status = 401 if expected == 303 else expected
    kind = "unauthenticated" if status == 401 else "access_refused"
    assert [(r.kind, r.user_id, r.detail) for r in records] == [
        (kind, viewer, f"{row.method} {row.path} {status} {path}")]
    for record in records:
        assert not any(s and s in str(value) for value in record
                       for s in (PASSWORD, OPERATOR[1], *world.tokens.values()))
