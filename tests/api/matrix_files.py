"""The role matrix's rows for files (a section of their own, which ``test_role_matrix`` adds
to its ``MATRIX``): a journal's export, and the school's imports and their templates."""

from __future__ import annotations

from uuid import UUID

from ejournal.sheets.tables import read_xlsx
from tests.api.test_role_matrix import (
    JW,
    READ_J1,
    READ_J2,
    Cell,
    Req,
    Row,
    World,
    _journal,
    _staff_read,
)


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


FILE_ROWS: list[Row] = [
    Row("GET", JW + "/export", {"J1": READ_J1, "J2": READ_J2}, _export_arrange,
        verify=_export_verify),
]
