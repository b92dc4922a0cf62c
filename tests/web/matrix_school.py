"""The web role matrix's rows for the administration's structure forms (a section of their
own, which ``test_role_matrix`` adds to its ``MATRIX``): only the school's admin writes, into
their own school (another school's class is 404); each success wrote the API command's
events and goes back to its page, an account's answers its temporary password."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID

from ejournal.application.commands import AddSubject, RegisterUser
from ejournal.projections.lookup_reads import read_years
from tests.api.test_role_matrix import World, statuses
from tests.web.test_role_matrix import Arrange, Cell, Req, Row

#                     anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
OWN_SCHOOL = "        303  403  ok   403  403  403  403  403  403  ok   403  403"
CLASS_7A = "          303  403  ok   403  403  403  403  403  403  404  403  403"


def _school(world: World, principal: str) -> UUID:
    return world.other_school if principal == "x_admin" else world.school


def _year_of(world: World, principal: str) -> UUID:
    if principal != "x_admin":
        return world.year
    with world.accounts.engine.connect() as conn:
        return read_years(conn, world.other_school)[0].id


def _subject(world: World, _: str, __: str) -> Req:
    return Req("/school/subjects", data={"name": f"Предмет {world.n()}"})


def _year(world: World, _: str, __: str) -> Req:
    n = world.n()
    first, last = date(2040 + n % 50, 9, 1), date(2041 + n % 50, 5, 31)
    return Req("/school/years", data={
        "name": f"Год {n}", "starts_on": first.isoformat(), "ends_on": last.isoformat(),
        "days_per_week": "5", "periods.0.name": "Год", "periods.0.kind": "year",
        "periods.0.starts_on": first.isoformat(), "periods.0.ends_on": last.isoformat()})


def _class(world: World, principal: str, _: str) -> Req:
    return Req("/school/classes", data={"name": f"{world.n()}Б",
                                        "year_id": str(_year_of(world, principal))})


def _user(world: World, _: str, __: str) -> Req:
    return Req("/school/users", data={"username": f"m-web-{world.n()}",
                                      "full_name": "Новый Учитель", "role": "teacher"})


def _enrol(world: World, _: str, __: str) -> Req:
    kid = world.student(enrolled=False)
    return Req(f"/school/classes/{world.class_a}/enrolments",
               data={"student_id": str(kid), "from_date": world.starts_on.isoformat()})


def _end_enrolment(world: World, _: str, __: str) -> Req:
    kid = world.student()
    return Req(f"/school/classes/{world.class_a}/enrolments/end",
               data={"student_id": str(kid), "on_date": world.today.isoformat()})


def _guardian(world: World, _: str, __: str) -> Req:
    kid = world.student()
    made = world.app.execute(RegisterUser(world.admin, world.school,
                                          username=f"m-web-parent-{world.n()}",
                                          full_name="Родитель", role="guardian")).id
    return Req(f"/school/classes/{world.class_a}/guardians",
               data={"student_id": str(kid), "guardian_id": str(made)})


def _journal(world: World, _: str, __: str) -> Req:
    subject = world.app.execute(AddSubject(world.admin, world.school,
                                           name=f"Курс {world.n()}")).id
    return Req(f"/school/classes/{world.class_a}/journals",
               data={"subject_id": str(subject), "teacher_id": str(world.ids["teacher"])})


def _substitution(world: World, _: str, __: str) -> Req:
    first = world.today + timedelta(days=40 + 3 * world.n())
    return Req(f"/school/classes/{world.class_a}/substitutions", data={
        "journal_id": str(world.j1), "teacher_id": str(world.substitute),
        "from_date": first.isoformat(), "to_date": (first + timedelta(days=1)).isoformat()})


def _timetable(world: World, _: str, __: str) -> Req:
    valid_from = world.today + timedelta(days=60 + world.n())
    return Req(f"/school/classes/{world.class_a}/timetable",
               data={"valid_from": valid_from.isoformat(), "lessons.1.1": str(world.j1)})


def _back_to(page: str) -> Callable[[Cell], None]:
    def check(cell: Cell) -> None:
        assert cell.answer.headers["location"].startswith(page), cell.answer.headers
    return check


def _opened(cell: Cell) -> None:
    text = cell.answer.text
    assert "Учётная запись создана" in text
    assert cell.req.data is not None
    assert cell.req.data["username"] in text
    assert "Временный пароль" in text


def _rows() -> list[Row]:
    on_class = "/school/classes/{class_id}"
    made: list[tuple[str, str, Arrange, tuple[str, ...], str]] = [
        ("/school/subjects", OWN_SCHOOL, _subject, ("School.SubjectAdded",), "/school?done="),
        ("/school/years", OWN_SCHOOL, _year, ("AcademicYear.Planned",), "/school?done="),
        ("/school/classes", OWN_SCHOOL, _class, ("SchoolClass.Opened",), "/school/classes/"),
        (on_class + "/enrolments", CLASS_7A, _enrol, ("SchoolClass.StudentEnrolled",),
         "/school/classes/"),
        (on_class + "/enrolments/end", CLASS_7A, _end_enrolment,
         ("SchoolClass.EnrolmentEnded",), "/school/classes/"),
        (on_class + "/guardians", CLASS_7A, _guardian, ("User.GuardianLinked",),
         "/school/classes/"),
        (on_class + "/journals", CLASS_7A, _journal, ("ClassJournal.Opened",),
         "/school/classes/"),
        (on_class + "/substitutions", CLASS_7A, _substitution,
         ("ClassJournal.SubstituteAppointed",), "/school/classes/"),
        (on_class + "/timetable", CLASS_7A, _timetable, ("SchoolClass.TimetableSet",),
         "/school/classes/"),
    ]
    rows = [Row("POST", path, {"7А" if line is CLASS_7A else "own school": statuses(line, 303)},
                arrange, _back_to(back), events) for path, line, arrange, events, back in made]
    rows.append(Row("POST", "/school/users", {"own school": statuses(OWN_SCHOOL, 201)}, _user,
                    _opened, ("User.PasswordReset", "User.Registered",
                              "UsernameClaim.Claimed")))
    return rows


SCHOOL_ROWS: list[Row] = _rows()  # and IMPORT_ROWS, below


# --- «Импорт» -------------------------------------------------------------------------------

ROSTER = ("Класс;ФИО ученика;Логин ученика;Дата зачисления;ФИО родителя 1;Логин родителя 1;"
          "ФИО родителя 2;Логин родителя 2\r\n")


def _import(world: World, _: str, __: str) -> Req:
    """A roster's dry run: one new student (nothing written)."""
    row = f"7А;Ученик Импорта;m-imported-{world.n()};;;;;\r\n"
    return Req("/school/imports", data={"kind": "roster", "dry_run": "true"},
               files={"file": ("roster.csv", (ROSTER + row).encode("utf-8"), "text/csv")})


def _checked(cell: Cell) -> None:
    """The report; a dry run writes nothing (no session: the login page)."""
    if cell.principal == "anonymous":
        assert cell.answer.headers["location"].startswith("/?next=")
        return
    assert "Проверка файла: roster.csv" in cell.answer.text
    assert "Ошибок нет. Строк: 1." in cell.answer.text


def _template_shows(cell: Cell) -> None:
    assert cell.answer.headers["content-type"].startswith("text/csv")
    assert "Логин ученика" in cell.answer.content.decode("utf-8-sig")


IMPORT_ROWS: list[Row] = [
    Row("GET", "/school/imports", {"own school": statuses(OWN_SCHOOL)},
        lambda w, p, t: Req("/school/imports"), lambda c: _says_import(c)),
    Row("GET", "/school/imports/{kind}/template", {"roster": statuses(OWN_SCHOOL)},
        lambda w, p, t: Req("/school/imports/roster/template?format=csv"), _template_shows),
    Row("POST", "/school/imports", {"own school": statuses(OWN_SCHOOL)}, _import, _checked),
]


def _says_import(cell: Cell) -> None:
    assert "Импорт" in cell.answer.text
    assert "Проверить" in cell.answer.text


SCHOOL_ROWS += IMPORT_ROWS


# --- the journal's files --------------------------------------------------------------------


def _pdf(cell: Cell) -> None:
    assert cell.answer.headers["content-type"] == "application/pdf"
    assert cell.answer.content[:5] == b"%PDF-"


def _xlsx(cell: Cell) -> None:
    assert cell.answer.content[:2] == b"PK"


def _file_rows() -> list[Row]:
    from tests.web.test_role_matrix import READS, _journal

    return [
        Row("GET", "/journals/{journal_id}/print", READS,
            lambda w, p, t: Req(f"/journals/{_journal(w, t)}/print?period={w.period}"), _pdf,
            reads=("journal_print",)),
        Row("GET", "/journals/{journal_id}/export", READS,
            lambda w, p, t: Req(f"/journals/{_journal(w, t)}/export?period={w.period}"
                                "&format=xlsx"), _xlsx, reads=("export",)),
    ]


SCHOOL_ROWS += _file_rows()


# --- a student's табель, a class's сводная ведомость ----------------------------------------

#                          anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
CARD_S0 = statuses("       303  403  ok   ok   ok   404  ok   ok   ok   404  404  404")
CARD_S1 = statuses("       303  403  ok   ok   ok   404  ok   404  404  404  404  404")
SHEET_7A = statuses("      303  403  ok   ok   404  404  ok   403  403  404  404  404")


def _card(world: World, _: str, target: str) -> Req:
    kid = world.s0 if target == "S0" else world.s1
    return Req(f"/marks/report-card?student={kid}&year={world.year}")


SCHOOL_ROWS += [
    Row("GET", "/marks/report-card", {"S0": CARD_S0, "S1": CARD_S1}, _card, _pdf,
        reads=("report_card",)),
    Row("GET", "/school/classes/{class_id}/summary-sheet", {"7А": SHEET_7A},
        lambda w, p, t: Req(f"/school/classes/{w.class_a}/summary-sheet?year={w.year}"),
        _pdf, reads=("summary_sheet",)),
]
