"""The role matrix's rows for the lookups, a student's guardians and period marks (a section of
their own, which ``test_role_matrix`` adds to its ``MATRIX``): each cell's status as the
matrix's principals have it, and the values a success answers."""

from __future__ import annotations

from uuid import UUID

from ejournal.application.commands import (
    CorrectPeriodMark,
    GivePeriodMark,
    LinkGuardian,
    RegisterUser,
    SetTimetable,
)
from tests.api.test_role_matrix import (
    ANYONE,
    DIARY_S0,
    DIARY_S1,
    JW,
    READ_J1,
    READ_J2,
    STRUCTURE,
    Arrange,
    Cell,
    Req,
    Row,
    World,
    _journal,
    _staff_read,
    _student,
    statuses,
)

#                    anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
GUARDIAN_ONLY = statuses(" 401  403  403  403  403  403  403  403  ok   403  403  403")
TEACHERS = statuses("     401  403  403  403  ok   ok   ok   403  403  403  403  ok")
SCHOOL = statuses("       401  ok   ok   ok   ok   ok   ok   ok   ok   404  404  404")
MEMBERS = statuses("      401  403  ok   ok   ok   ok   ok   ok   ok   404  404  404")
PEOPLE = statuses("       401  ok   ok   ok   403  403  403  403  403  404  404  403")
STAFF_OF = statuses("     401  403  ok   ok   ok   ok   ok   403  403  404  404  404")
CLASS_7A = statuses("     401  403  ok   ok   ok   404  ok   403  403  404  404  404")
TIMETABLE = statuses("    401  403  ok   ok   ok   404  ok   ok   ok   404  404  404")
FAMILY_S0 = statuses("    401  403  ok   ok   403  403  403  ok   ok   404  404  403")
FAMILY_S1 = statuses("    401  403  ok   ok   403  403  403  404  404  404  404  403")

#: What a cell's world was given once (a timetable, S0's period mark), by world.
_GIVEN: dict[int, dict[str, UUID]] = {}


def _once(world: World) -> dict[str, UUID]:
    """A timetable of 7А from the year's first day, and S0's period mark in J1."""
    given = _GIVEN.get(id(world))
    if given is None:
        world.app.execute(SetTimetable(world.admin, world.class_a, valid_from=world.starts_on,
                                       lessons=[(1, 1, world.j1), (2, 1, world.j2)]))
        mark = world.app.execute(GivePeriodMark(world.admin, world.j1, student_id=world.s0,
                                                period_id=world.period, value="4")).id
        assert mark is not None
        given = _GIVEN[id(world)] = {"period_mark": mark}
        world.server.caught_up()
    return given


def _fixed(path: str) -> Arrange:
    return lambda world, principal, target: Req(path)


def _school_of(cell: Cell) -> UUID:
    return cell.world.other_school if cell.principal.startswith("x_") else cell.world.school


# --- the viewer's own ---


def _children_verify(cell: Cell) -> None:
    assert cell.body["items"] == [{"id": str(cell.world.s0), "full_name": "Ученик Ноль",
                                   "class_id": str(cell.world.class_a), "class_name": "7А"}]


def _my_journals_verify(cell: Cell) -> None:
    """Their own journals (the teacher's J1 among the ones other cells opened for them), none
    of another teacher's."""
    w = cell.world
    found = {j["id"] for j in cell.body["items"]}
    assert {j["teacher_id"] for j in cell.body["items"]} <= {str(cell.viewer)}
    assert {j["substitute_from"] for j in cell.body["items"]} <= {None}
    if cell.principal == "teacher":
        assert str(w.j1) in found
        j1 = next(j for j in cell.body["items"] if j["id"] == str(w.j1))
        assert (j1["class_name"], j1["subject_name"], j1["teacher_name"]) == (
            "7А", "Математика", "Мария Ивановна")
    elif cell.principal == "class_teacher":
        assert found == {str(w.j2)}
    elif cell.principal == "unassigned":
        assert found == set()
    else:
        assert [j["class_name"] for j in cell.body["items"]] == ["7А"]  # the other school's


# --- schools ---


def _schools_verify(cell: Cell) -> None:
    found = {s["id"] for s in cell.body["items"]}
    if cell.principal == "operator":
        assert {str(cell.world.school), str(cell.world.other_school)} <= found
    else:
        assert found == {str(_school_of(cell))}


def _school_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/schools/{world.school}")


def _school_verify(cell: Cell) -> None:
    assert (cell.body["id"], cell.body["name"]) == (str(cell.world.school), "Школа a")


def _years_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/schools/{world.school}/years")


def _years_verify(cell: Cell) -> None:
    year = next(y for y in cell.body["items"] if y["id"] == str(cell.world.year))
    assert [(p["id"], p["name"], p["kind"]) for p in year["periods"]] == [
        (str(cell.world.period), "Год", "term")]
    assert year["days_per_week"] == 6


def _users_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/schools/{world.school}/users", params={"role": "teacher"})


def _users_verify(cell: Cell) -> None:
    names = {u["username"]: (u["full_name"], u["role"]) for u in cell.body["items"]}
    assert names["m-teacher"] == ("Мария Ивановна", "teacher")
    assert names["m-class_teacher"] == ("Анна Сергеевна", "teacher")
    assert {role for _, role in names.values()} == {"teacher"}


def _structure_arrange(kind: str) -> Arrange:
    return lambda world, _, __: Req(f"/api/v1/schools/{world.school}/{kind}")


def _subjects_verify(cell: Cell) -> None:
    assert {"Математика", "История"} <= {s["name"] for s in cell.body["items"]}


def _classes_verify(cell: Cell) -> None:
    seven = next(c for c in cell.body["items"] if c["id"] == str(cell.world.class_a))
    assert (seven["name"], seven["class_teacher_id"], seven["class_teacher_name"]) == (
        "7А", str(cell.world.ids["class_teacher"]), "Анна Сергеевна")


# --- a class ---


def _class_arrange(kind: str) -> Arrange:
    return lambda world, _, __: Req(f"/api/v1/classes/{world.class_a}/{kind}")


def _students_verify(cell: Cell) -> None:
    names = {s["id"]: s["full_name"] for s in cell.body["items"]}
    assert (names[str(cell.world.s0)], names[str(cell.world.s1)]) == ("Ученик Ноль",
                                                                     "Ученик Один")


def _class_journals_verify(cell: Cell) -> None:
    found = {j["id"]: (j["subject_name"], j["teacher_name"]) for j in cell.body["items"]}
    w = cell.world
    assert (found[str(w.j1)], found[str(w.j2)]) == (("Математика", "Мария Ивановна"),
                                                    ("История", "Анна Сергеевна"))


def _timetable_arrange(world: World, _: str, __: str) -> Req:
    _once(world)
    return Req(f"/api/v1/classes/{world.class_a}/timetable",
               params={"on": world.starts_on.isoformat()})


def _timetable_verify(cell: Cell) -> None:
    assert cell.body["valid_from"] == cell.world.starts_on.isoformat()
    assert [(x["weekday"], x["subject_name"], x["teacher_name"])
            for x in cell.body["lessons"]] == [(1, "Математика", "Мария Ивановна"),
                                               (2, "История", "Анна Сергеевна")]


def _journal_arrange(world: World, _: str, target: str) -> Req:
    return Req(f"/api/v1/journals/{_journal(world, target)}")


def _journal_verify(cell: Cell) -> None:
    expected = {"J1": ("Математика", "Мария Ивановна"), "J2": ("История", "Анна Сергеевна")}
    assert cell.body["id"] == str(_journal(cell.world, cell.target))
    assert (cell.body["class_name"], (cell.body["subject_name"], cell.body["teacher_name"])
            ) == ("7А", expected[cell.target])


# --- a student's guardians and period marks ---


def _guardians_arrange(world: World, _: str, target: str) -> Req:
    return Req(f"/api/v1/students/{_student(world, target)}/guardians")


def _guardians_verify(cell: Cell) -> None:
    expected = [(str(cell.world.ids["guardian"]), "Родитель", "Завуч")]
    assert [(g["id"], g["full_name"], g["linked_by_name"]) for g in cell.body["items"]] == (
        expected if cell.target == "S0" else [])


def _unlink_arrange(world: World, _: str, __: str) -> Req:
    kid = world.student(enrolled=False)
    parent = world.app.execute(RegisterUser(world.admin, world.school,
                                            username=f"m-unlinked-{world.n()}",
                                            full_name="Родитель", role="guardian")).id
    assert parent is not None
    world.app.execute(LinkGuardian(world.admin, kid, guardian_id=parent))
    return Req(f"/api/v1/students/{kid}/guardians/{parent}/end",
               note={"kid": kid, "guardian": parent})


def _unlink_verify(cell: Cell) -> None:
    kid = cell.world.app.repository.get(cell.req.note["kid"])
    assert (cell.req.note["guardian"] in kid.guardians) != cell.answer.is_success


def _period_marks_arrange(world: World, _: str, target: str) -> Req:
    _once(world)
    return Req(f"/api/v1/students/{_student(world, target)}/period-marks",
               params={"year_id": str(world.year)})


def _period_marks_verify(cell: Cell) -> None:
    kid = _student(cell.world, cell.target)
    if kid == cell.world.s0:
        assert [(p["id"], p["subject_name"], p["period_name"], p["value"])
                for p in cell.body["items"]] == [
            (str(_once(cell.world)["period_mark"]), "Математика", "Год", "4")]
    else:
        assert cell.body["items"] == []
    _staff_read(cell, "period_marks", {kid})


def _period_history_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    kid = world.student()
    given = world.app.execute(GivePeriodMark(world.admin, journal, student_id=kid,
                                             period_id=world.period, value="3")).id
    assert given is not None
    world.app.execute(CorrectPeriodMark(world.admin, journal, given, value="4",
                                        reason="пересдача"))
    world.server.caught_up()
    return Req(f"{JW.format(journal_id=journal)}/period-marks/{given}/history",
               note={"kid": kid})


def _period_history_verify(cell: Cell) -> None:
    assert [(i["kind"], i["value"], i["by_name"]) for i in cell.body["items"]] == [
        ("given", "3", "Завуч"), ("corrected", "4", "Завуч")]
    _staff_read(cell, "period_mark_history", {cell.req.note["kid"]})


LOOKUP_ROWS: list[Row] = [
    Row("GET", "/api/v1/me/children", {"own": GUARDIAN_ONLY}, _fixed("/api/v1/me/children"),
        verify=_children_verify),
    Row("GET", "/api/v1/me/journals", {"own": TEACHERS}, _fixed("/api/v1/me/journals"),
        verify=_my_journals_verify),
    Row("GET", "/api/v1/schools", {"-": ANYONE}, _fixed("/api/v1/schools"),
        verify=_schools_verify),
    Row("GET", "/api/v1/schools/{school_id}", {"school": SCHOOL}, _school_arrange,
        verify=_school_verify),
    Row("GET", "/api/v1/schools/{school_id}/years", {"school": MEMBERS}, _years_arrange,
        verify=_years_verify),
    Row("GET", "/api/v1/schools/{school_id}/users", {"school": PEOPLE}, _users_arrange,
        verify=_users_verify),
    Row("GET", "/api/v1/schools/{school_id}/subjects", {"school": STAFF_OF},
        _structure_arrange("subjects"), verify=_subjects_verify),
    Row("GET", "/api/v1/schools/{school_id}/classes", {"school": STAFF_OF},
        _structure_arrange("classes"), verify=_classes_verify),
    Row("GET", "/api/v1/classes/{class_id}/students", {"7А": CLASS_7A},
        _class_arrange("students"), verify=_students_verify),
    Row("GET", "/api/v1/classes/{class_id}/journals", {"7А": CLASS_7A},
        _class_arrange("journals"), verify=_class_journals_verify),
    Row("GET", "/api/v1/classes/{class_id}/timetable", {"7А": TIMETABLE}, _timetable_arrange,
        verify=_timetable_verify),
    Row("GET", JW, {"J1": READ_J1, "J2": READ_J2}, _journal_arrange, verify=_journal_verify),
    Row("GET", "/api/v1/students/{student_id}/guardians", {"S0": FAMILY_S0, "S1": FAMILY_S1},
        _guardians_arrange, verify=_guardians_verify),
    Row("POST", "/api/v1/students/{student_id}/guardians/{guardian_id}/end",
        {"a student's guardian": statuses(STRUCTURE, 201)}, _unlink_arrange,
        ("User.GuardianUnlinked",), _unlink_verify, unchanged=_unlink_verify),
    Row("GET", "/api/v1/students/{student_id}/period-marks", {"S0": DIARY_S0, "S1": DIARY_S1},
        _period_marks_arrange, verify=_period_marks_verify),
    Row("GET", JW + "/period-marks/{period_mark_id}/history", {"J1": READ_J1, "J2": READ_J2},
        _period_history_arrange, verify=_period_history_verify),
]
