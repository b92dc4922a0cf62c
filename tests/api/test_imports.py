"""Imports over HTTP on a real server over SQLite and PostgreSQL: a dry run names every
problem by row and column; a real run with one bad row writes nothing; a good file creates
its classes, students, guardians and links (accounts that must change their temporary
password), and imported again creates nothing; staff, timetable and programme alike."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
import xlsxwriter

from ejournal.sheets.tables import read_xlsx
from tests.api.helpers import School, build_school, created, log_length, problem
from tests.servers import Server

ROSTER_HEADER = ("Класс;ФИО ученика;Логин ученика;Дата зачисления;ФИО родителя 1;"
                 "Логин родителя 1;ФИО родителя 2;Логин родителя 2")


def _roster(*rows: str) -> bytes:
    return ("\ufeff" + "\r\n".join([ROSTER_HEADER, *rows]) + "\r\n").encode("utf-8")


GOOD = _roster(
    "8А;Иванова Анна;ivanova.anna;;Иванова Мария Петровна;ivanova.m;Иванов Пётр;ivanov.p",
    "8А;Иванов Борис;ivanov.boris;2026-11-25;Иванова Мария Петровна;ivanova.m;;",
    "8Б;Сидоров Глеб;sidorov.g;01.12.2026;Сидорова Ольга;sidorova.o;;",
)


def _post(server: Server, token: str, school: str, kind: str, content: bytes,
          dry_run: bool, name: str = "roster.csv") -> httpx.Response:
    with server.client(token) as c:
        return c.post(f"/api/v1/schools/{school}/imports/{kind}",
                      params={"dry_run": str(dry_run).lower()},
                      files={"file": (name, content, "application/octet-stream")})


@pytest.fixture
def server(module_server: Server) -> Server:
    """One server for the module: each test has a school of its own."""
    return module_server


_SCHOOLS = itertools.count()
#: Each school's tag: its admin's login is ``admin-TAG``, its teacher's ``teacher-TAG``.
TAGS: dict[str, str] = {}


@pytest.fixture
def school(server: Server) -> School:
    tag = f"imp{next(_SCHOOLS)}"
    built = build_school(server, tag)
    TAGS[built.id] = tag
    return built


def _errors(body: dict[str, Any]) -> set[tuple[int | None, str | None]]:
    return {(e["row"], e["column"]) for e in body["errors"]}


def test_a_dry_run_names_every_problem_by_row_and_column_and_writes_nothing(
        server: Server, school: School) -> None:
    admin = school.tokens["admin"]
    bad = _roster(
        "8А;Иванова Анна;ivanova.anna;;Иванова Мария;ivanova.m;;",
        "8А;Петров Павел;ivanova.anna;;;;;",           # a login already in row 2
        "8А;Котов Кирилл;kotov.k;2025-05-01;;;;",        # a date outside the year
        f"8А;Ли Лев;admin-{TAGS[school.id]};;;;;",  # another's login (the admin's)
        ";Без Класса;no.class;;;;;",                   # no class
        "8А;Кириллица;кириллица;;;;;",                 # a bad login
    )
    before = log_length(server)
    answer = _post(server, admin, school.id, "roster", bad, dry_run=True)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["rows"] == 6
    assert _errors(body) == {(3, "Логин ученика"), (4, "Дата зачисления"),
                             (5, "Логин ученика"), (6, "Класс"), (7, "Логин ученика")}
    messages = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert "строке 2" in messages[(3, "Логин ученика")]
    assert "вне учебного года" in messages[(4, "Дата зачисления")]
    assert "занят" in messages[(5, "Логин ученика")]
    # For real, the same problems: 422, and nothing written
    refused = problem(_post(server, admin, school.id, "roster", bad, dry_run=False), 422)
    assert _errors(refused) == _errors(body)
    assert log_length(server) == before


def test_one_bad_row_writes_nothing_then_the_good_file_imports_once(
        server: Server, school: School) -> None:
    admin = school.tokens["admin"]
    one_bad = GOOD + "8В;Новиков Ян;novikov.y;2030-01-01;;;;\r\n".encode()
    before = log_length(server)
    refused = problem(_post(server, admin, school.id, "roster", one_bad, dry_run=False), 422)
    assert refused["errors"] == [{"row": 5, "column": "Дата зачисления",
                                  "message": refused["errors"][0]["message"]}]
    assert log_length(server) == before
    with server.client(admin) as c:
        assert "ivanova.anna" not in c.get(f"/api/v1/schools/{school.id}/users").text

    dry = created(_post(server, admin, school.id, "roster", GOOD, dry_run=True), 200)
    assert dry == {"rows": 3, "errors": [], "would_create": {
        "classes": 2, "students": 3, "guardians": 3, "enrolments": 3, "links": 4}}
    assert log_length(server) == before
    done = created(_post(server, admin, school.id, "roster", GOOD, dry_run=False))
    assert done["created"] == dry["would_create"]
    accounts = {a["username"]: a for a in done["accounts"]}
    assert sorted(accounts) == sorted(["ivanova.anna", "ivanov.boris", "sidorov.g",
                                       "ivanova.m", "ivanov.p", "sidorova.o"])
    assert accounts["ivanova.m"]["full_name"] == "Иванова Мария Петровна"
    assert accounts["sidorov.g"]["class_name"] == "8Б"
    # Each new account logs in with its temporary password and must change it first
    token = server.login("ivanova.m", accounts["ivanova.m"]["temporary_password"])
    with server.client(token) as c:
        assert c.get("/api/v1/me").json()["must_change_password"] is True
        gated = problem(c.get("/api/v1/me/children"), 403)
        assert gated["type"].endswith("password-change-required")
    # the login slips: printed from the answer sent back, each checked against its account
    with server.client(admin) as c:
        slips = c.post(f"/api/v1/schools/{school.id}/login-slips",
                       json={"accounts": done["accounts"]})
        assert slips.status_code == 200, slips.text
        assert slips.headers["content-type"] == "application/pdf"
        text = _pdf_text(slips.content)
        for account in done["accounts"]:
            assert account["username"] in text
            assert account["temporary_password"] in text
        wrong = problem(c.post(f"/api/v1/schools/{school.id}/login-slips", json={
            "accounts": [{**done["accounts"][0], "temporary_password": "not-it-at-all"},
                         {"username": f"admin-{TAGS[school.id]}",
                          "temporary_password": "x"}]}), 422)
        assert [e["field"] for e in wrong["errors"]] == [
            "accounts[0].temporary_password", "accounts[1].temporary_password"]
    # what was created reads back: classes, enrolments and links
    server.caught_up()
    with server.client(admin) as c:
        classes = {x["name"]: x for x in c.get(f"/api/v1/schools/{school.id}/classes"
                                                ).json()["items"]}
        assert {"8А", "8Б"} <= classes.keys()
        assert classes["8А"]["grade"] == 8
        kids = c.get(f"/api/v1/classes/{classes['8А']['id']}/students",
                     params={"on": "2026-11-25"}).json()["items"]
        assert sorted(k["full_name"] for k in kids) == ["Иванов Борис", "Иванова Анна"]
        anna = next(k for k in kids if k["full_name"] == "Иванова Анна")
        assert anna["from_date"] == "2026-11-25"  # empty: today (the school's)
        guardians = c.get(f"/api/v1/students/{anna['id']}/guardians").json()["items"]
        assert sorted(g["full_name"] for g in guardians) == ["Иванов Пётр",
                                                             "Иванова Мария Петровна"]
    # the same file again: nothing to create, nothing written
    head = log_length(server)
    again = created(_post(server, admin, school.id, "roster", GOOD, dry_run=True), 200)
    assert again == {"rows": 3, "errors": [], "would_create": {}}
    twice = created(_post(server, admin, school.id, "roster", GOOD, dry_run=False))
    assert twice == {"rows": 3, "created": {}, "accounts": []}
    assert log_length(server) == head


def _pdf_text(content: bytes) -> str:
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return subprocess.run(["/usr/bin/pdftotext", "-layout", f.name, "-"], check=True,
                              capture_output=True, text=True).stdout


BLANK_LOGINS = _roster(
    "9А;Щукина Юлия;;;Щукин Пётр Ильич;;;",
    "9А;Щукин Илья;;;Щукин Пётр Ильич;;;",   # a sibling: the same guardian, one account
    "9А;Иванов Иван;ivanov.ivan;;;;;",
    "9Б;Иванов Иван;;;;;;",                  # its login made from the name is row 4's
)


def test_blank_logins_are_made_from_names_and_a_reimport_creates_nothing(
        server: Server, school: School) -> None:
    admin = school.tokens["admin"]
    dry = created(_post(server, admin, school.id, "roster", BLANK_LOGINS, dry_run=True), 200)
    assert dry == {"rows": 4, "errors": [], "would_create": {
        "classes": 2, "students": 4, "guardians": 1, "enrolments": 4, "links": 2}}
    done = created(_post(server, admin, school.id, "roster", BLANK_LOGINS, dry_run=False))
    made = {a["username"]: (a["full_name"], a["role"], a["class_name"], a["login_generated"])
            for a in done["accounts"]}
    assert made == {
        "shchukina.iuliia": ("Щукина Юлия", "student", "9А", True),
        "shchukin.ilia": ("Щукин Илья", "student", "9А", True),
        "shchukin.petr": ("Щукин Пётр Ильич", "guardian", "9А", True),
        "ivanov.ivan": ("Иванов Иван", "student", "9А", False),
        "ivanov.ivan2": ("Иванов Иван", "student", "9Б", True)}
    # A made login logs in like any other (the guardian's: one account, linked twice)
    petr = next(a for a in done["accounts"] if a["username"] == "shchukin.petr")
    token = server.login("shchukin.petr", petr["temporary_password"])
    with server.client(token) as c:
        assert c.get("/api/v1/me").json()["must_change_password"] is True
    # The slips say which logins were made from the name
    with server.client(admin) as c:
        slips = c.post(f"/api/v1/schools/{school.id}/login-slips",
                       json={"accounts": done["accounts"]})
    assert slips.status_code == 200, slips.text
    text = _pdf_text(slips.content)
    assert text.count("Логин составлен журналом из фамилии и имени.") == 4
    # The same file again: every person is found, nothing is created
    before = log_length(server)
    again = created(_post(server, admin, school.id, "roster", BLANK_LOGINS, dry_run=True), 200)
    assert again == {"rows": 4, "errors": [], "would_create": {}}
    twice = created(_post(server, admin, school.id, "roster", BLANK_LOGINS, dry_run=False))
    assert (twice["created"], twice["accounts"]) == ({}, [])
    assert log_length(server) == before


def test_a_row_the_domain_refuses_while_saving_writes_nothing_of_the_file(
        server: Server, school: School) -> None:
    """A class name with an invisible character passes the file's checks but not the
    domain's: the steps before it (accounts, a class, enrolments, links) are not saved, nor
    are the temporary passwords stored for them."""
    admin = school.tokens["admin"]
    content = _roster("8А;Громов Гек;gromov.g;;Громова Гея;gromova.g;;",
                      "7\u200bА;Тихий Тимур;tihiy.t;;;;;")
    dry = created(_post(server, admin, school.id, "roster", content, True), 200)
    assert _errors(dry) == {(3, "Класс")}
    before = log_length(server)
    credentials_before = _credentials(server)
    refused = problem(_post(server, admin, school.id, "roster", content, False), 422)
    assert _errors(refused) == {(3, "Класс")}
    assert log_length(server) == before
    assert _credentials(server) == credentials_before


def _credentials(server: Server) -> int:
    from sqlalchemy import func, select

    from ejournal.accounts import credentials
    from ejournal.projections.base import create_read_engine

    engine = create_read_engine(server.database.settings)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(credentials)) or 0)
    finally:
        engine.dispose()


def _xlsx(rows: list[list[Any]]) -> bytes:
    import io

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Лист1")
    for r, row in enumerate(rows):
        for col, value in enumerate(row):
            sheet.write(r, col, value)
    book.close()
    return buffer.getvalue()


def test_staff_timetable_and_programme_from_xlsx_and_csv(server: Server,
                                                         school: School) -> None:
    admin = school.tokens["admin"]
    staff = _xlsx([["ФИО", "Логин", "Роль"],
                   ["Орлова Ирина Ивановна", "orlova.i", "учитель"],
                   ["Волков Олег", "volkov.o", "Учитель"],
                   ["Зайцева Зоя", "zaitseva.z", "директор"],  # no such role
                   ["Ким Ким", "kim.k", "проверяющий"]])
    dry = created(_post(server, admin, school.id, "staff", staff, True, "staff.xlsx"), 200)
    assert _errors(dry) == {(4, "Роль")}
    wrong = _xlsx([["ФИО", "Логин", "Роль", "Классный руководитель"],
                   ["Ким Ким", "kim.k", "проверяющий", "7Б"],  # not a teacher
                   ["Орлова Ирина Ивановна", "orlova.i", "учитель", "11Я"]])  # no such class
    dry = created(_post(server, admin, school.id, "staff", wrong, True, "staff.xlsx"), 200)
    assert _errors(dry) == {(2, "Классный руководитель"), (3, "Классный руководитель")}
    staff = _xlsx([["ФИО", "Логин", "Роль", "Классный руководитель"],
                   ["Орлова Ирина Ивановна", "orlova.i", "учитель", "7Б"],
                   ["Волков Олег", "volkov.o", "Учитель", ""]])
    done = created(_post(server, admin, school.id, "staff", staff, False, "staff.xlsx"))
    assert done["created"] == {"teachers": 2, "class_teachers": 1}
    server.caught_up()
    with server.client(admin) as c:
        classes = c.get(f"/api/v1/schools/{school.id}/classes").json()["items"]
        assert [x["class_teacher_name"] for x in classes if x["name"] == "7Б"] == [
            "Орлова Ирина Ивановна"]
    again = created(_post(server, admin, school.id, "staff", staff, False, "staff.xlsx"))
    assert again["created"] == {}
    # the timetable: 7Б's maths stays Мария Ивановна's journal; physics is new, and Орлова's
    timetable = ("Класс,День недели,Урок,Предмет,Учитель,Действует с\n"
                 f"7Б,пн,1,Математика,teacher-{TAGS[school.id]},2026-09-01\n"
                 "7Б,вт,2,Физика,orlova.i,2026-09-01\n"
                 "7Б,ср,3,Физика,orlova.i,2026-09-01\n").encode()
    bad = timetable + ("7Б,чт,1,Химия,nobody.here,2026-09-01\n"
                       "9Я,пт,1,Химия,volkov.o,2026-09-01\n"
                       f"7Б,ср,3,Математика,teacher-{TAGS[school.id]},2026-09-01\n").encode()
    dry = created(_post(server, admin, school.id, "timetable", bad, True), 200)
    assert _errors(dry) == {(5, "Учитель"), (6, "Класс"), (7, "Урок")}
    assert "нет в штате" in next(e["message"] for e in dry["errors"] if e["row"] == 5)
    done = created(_post(server, admin, school.id, "timetable", timetable, False))
    assert done["created"] == {"subjects": 1, "journals": 1, "timetables": 1}
    server.caught_up()
    with server.client(admin) as c:
        table = c.get(f"/api/v1/classes/{school.class_id}/timetable",
                      params={"on": "2026-11-25"}).json()
        assert [(x["weekday"], x["slot"], x["subject_name"], x["teacher_name"])
                for x in table["lessons"]] == [
            (1, 1, "Математика", "Мария Ивановна"), (2, 2, "Физика", "Орлова Ирина Ивановна"),
            (3, 3, "Физика", "Орлова Ирина Ивановна")]
    again = created(_post(server, admin, school.id, "timetable", timetable, False))
    assert again["created"] == {}
    programme = ("Класс;Предмет;Тема;Часы\n7Б;Физика;Механика;10\n7Б;Физика;Оптика;6\n"
                 "7Б;Математика;Дроби;12\n").encode()
    bad = programme + "7Б;Химия;Атомы;3\n7Б;Физика;Тепло;ноль\n".encode()
    dry = created(_post(server, admin, school.id, "programme", bad, True), 200)
    assert _errors(dry) == {(5, "Предмет"), (6, "Часы")}
    done = created(_post(server, admin, school.id, "programme", programme, False))
    assert done["created"] == {"programmes": 2, "topics": 3}
    with server.client(admin) as c:
        journal = c.get(f"/api/v1/journals/{school.journal_id}").json()
        assert journal["programme"] == [{"title": "Дроби", "hours": 12}]
    assert created(_post(server, admin, school.id, "programme", programme, False)
                   )["created"] == {}


def test_templates_and_refusals(server: Server, school: School) -> None:
    admin = school.tokens["admin"]
    with server.client(admin) as c:
        book = read_xlsx(c.get("/api/v1/imports/roster/template").content)
        assert book["Ученики"][0][:3] == ["Класс", "ФИО ученика", "Логин ученика"]
        assert "Пояснения" in book
        csv_answer = c.get("/api/v1/imports/timetable/template", params={"format": "csv"})
        assert csv_answer.content.decode("utf-8-sig").splitlines()[0] == \
            "Класс;День недели;Урок;Предмет;Учитель;Действует с"
    missing = created(_post(server, admin, school.id, "roster",
                            "Класс;ФИО\n7Б;Кто-то\n".encode(), True), 200)
    assert _errors(missing) == {(1, "ФИО ученика"), (1, "Логин ученика"), (1, "ФИО")}
    garbage = problem(_post(server, admin, school.id, "roster", b"\xff\xfe\x00bad", True), 422)
    assert garbage["errors"][0]["row"] is None
    problem(_post(server, school.tokens["teacher"], school.id, "roster", GOOD, True), 403)
    # a file over the 64 KiB of a JSON body is taken (up to 10 MiB)
    big = _roster(*(f"9Б;Ученица{n} Длиннофамильная{n};big.girl{n};;Мама{n} Длиннофамильная;"
                    f"big.mother{n};Папа{n} Длиннофамильный;big.father{n}" for n in range(500)))
    assert len(big) > 64 * 1024
    dry = created(_post(server, admin, school.id, "roster", big, True), 200)
    assert (dry["rows"], dry["errors"], dry["would_create"]["guardians"]) == (500, [], 1000)
