"""The role matrix's rows for files (a section of their own, which ``test_role_matrix`` adds
to its ``MATRIX``): a journal's export, and the school's imports and their templates."""

from __future__ import annotations

from uuid import UUID

from ejournal.application.commands import RegisterUser, ResetPassword
from ejournal.sheets.tables import read_xlsx
from tests.api.test_role_matrix import (
    JW,
    READ_J1,
    READ_J2,
    STRUCTURE,
    Cell,
    Req,
    Row,
    World,
    _journal,
    _staff_read,
    statuses,
)

#                     anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
ADMINS = statuses("   401  ok   ok   403  403  403  403  403  403  ok   403  403")


def _export_arrange(world: World, _: str, target: str) -> Req:
    return Req(f"{JW.format(journal_id=_journal(world, target))}/export",
               params={"period_id": str(world.period), "format": "xlsx"})


def _export_verify(cell: Cell) -> None:
    """The «Журнал» sheet holds the base lesson's cells of the grid: S0's «4», S1's «Н»."""
    w, journal = cell.world, _journal(cell.world, cell.target)
    book = read_xlsx(cell.answer.content)
    assert list(book) == ["Журнал", "Итоги"]
    rows = cell.access_rows()  # before the grid read below adds its own
    grid = w.call("admin", "GET", f"{JW.format(journal_id=journal)}/grid",
                  params={"from": w.starts_on.isoformat(), "to": w.ends_on.isoformat()}).json()
    students = {s["id"]: s for s in grid["students"]}
    names = [str(r[1]) for r in book["Журнал"][1:]]
    assert sorted(names) == sorted(s["full_name"] for s in students.values())
    base = str(w.base_lesson[journal])
    column = 2 + [x["id"] for x in grid["lessons"]].index(base)
    by_name = {r[1]: r for r in book["Журнал"][1:]}
    assert by_name[students[str(w.s0)]["full_name"]][column] == "4"
    assert by_name[students[str(w.s1)]["full_name"]][column] == "Н"
    _staff_read_rows(cell, rows, {UUID(s) for s in students})


def _staff_read_rows(cell: Cell, rows: list[tuple[UUID, UUID, str]], whose: set[UUID]) -> None:
    """``_staff_read`` on the rows taken before this check read the grid itself."""
    class Frozen:
        principal = cell.principal
        viewer = cell.viewer

        @staticmethod
        def access_rows() -> list[tuple[UUID, UUID, str]]:
            return rows
    _staff_read(Frozen, "export", whose)  # type: ignore[arg-type]


def _import_arrange(world: World, _: str, __: str) -> Req:
    login = f"m-imp-{world.n()}"
    content = f"ФИО;Логин;Роль\r\nНовый Учитель;{login};учитель\r\n".encode()
    return Req(f"/api/v1/schools/{world.school}/imports/staff",
               params={"dry_run": "false"}, files={"file": ("staff.csv", content)},
               note={"login": login})


def _import_verify(cell: Cell) -> None:
    """One teacher created, answered once with a temporary password that logs in and must
    be changed first."""
    w, login = cell.world, cell.req.note["login"]
    assert cell.body["created"] == {"teachers": 1}
    [account] = cell.body["accounts"]
    assert (account["username"], account["full_name"]) == (login, "Новый Учитель")
    user = w.app.user_by_username(login)
    assert user is not None
    assert user.must_change_password
    assert w.accounts.check_password(user.id, account["temporary_password"])


def _import_unchanged(cell: Cell) -> None:
    assert cell.world.app.user_by_username(cell.req.note["login"]) is None


def _template_arrange(_: World, __: str, ___: str) -> Req:
    return Req("/api/v1/imports/staff/template", params={"format": "xlsx"})


def _template_verify(cell: Cell) -> None:
    book = read_xlsx(cell.answer.content)
    assert book["Сотрудники"][0] == ["ФИО", "Логин", "Роль", "Классный руководитель"]


def _slips_arrange(world: World, _: str, __: str) -> Req:
    """An account of the school on a temporary password (as an import leaves it)."""
    login = f"m-slip-{world.n()}"
    user = world.app.execute(RegisterUser(world.admin, world.school, username=login,
                                          full_name="Ученик Слип", role="student")).id
    world.app.execute(ResetPassword(world.admin, user))
    world.accounts.set_password(user, "Tmp-pass-1234567", now=world.server.clock())
    world.server.caught_up()
    return Req(f"/api/v1/schools/{world.school}/login-slips", json={"accounts": [
        {"username": login, "temporary_password": "Tmp-pass-1234567"}]})


def _slips_verify(cell: Cell) -> None:
    assert cell.answer.headers["content-type"] == "application/pdf"
    assert cell.answer.content.startswith(b"%PDF")


FILE_ROWS: list[Row] = [
    Row("GET", JW + "/export", {"J1": READ_J1, "J2": READ_J2}, _export_arrange,
        verify=_export_verify),
    Row("POST", "/api/v1/schools/{school_id}/imports/{kind}",
        {"school": statuses(STRUCTURE, 201)}, _import_arrange,
        ("User.Registered", "UsernameClaim.Claimed", "User.PasswordReset"),
        _import_verify, unchanged=_import_unchanged),
    Row("GET", "/api/v1/imports/{kind}/template", {"-": ADMINS}, _template_arrange,
        verify=_template_verify),
    Row("POST", "/api/v1/schools/{school_id}/login-slips", {"school": statuses(STRUCTURE)},
        _slips_arrange, verify=_slips_verify),
]
