"""The role matrix's rows for the paper documents (a section of their own, which
``test_role_matrix`` adds to its ``MATRIX``): who may print the journal, a табель, a class's
сводная ведомость, and that staff prints are in the access log."""

from __future__ import annotations

from uuid import UUID

from tests.api.test_role_matrix import (
    DIARY_S0,
    DIARY_S1,
    JW,
    READ_J1,
    READ_J2,
    STAFF,
    Cell,
    Req,
    Row,
    World,
    _journal,
    _span,
    _staff_read,
    _student,
    statuses,
)

#: A class's сводная ведомость: its class teacher, the school's admin and auditor.
#                  anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
SHEET = statuses("  401  403  ok   ok   404  404  ok   403  403  404  404  404")


def _pdf(cell: Cell) -> None:
    assert cell.answer.headers["content-type"] == "application/pdf"
    assert cell.answer.content.startswith(b"%PDF-")


def _print_arrange(world: World, _: str, target: str) -> Req:
    return Req(f"{JW.format(journal_id=_journal(world, target))}/print",
               params={"period_id": str(world.period)})


def _print_verify(cell: Cell) -> None:
    """A staff print is in the access log, a row for each student of the grid it prints."""
    _pdf(cell)
    rows = cell.access_rows()
    w = cell.world
    grid = w.call("admin", "GET", f"{JW.format(journal_id=_journal(w, cell.target))}/grid",
                  params=_span(w)).json()
    assert cell.principal in STAFF
    assert {r[0] for r in rows} == {UUID(s["id"]) for s in grid["students"]}
    assert {r[1:] for r in rows} == {(cell.viewer, "journal_print")}


def _card_arrange(world: World, _: str, target: str) -> Req:
    return Req(f"/api/v1/students/{_student(world, target)}/report-card",
               params={"year_id": str(world.year)})


def _card_verify(cell: Cell) -> None:
    _pdf(cell)
    _staff_read(cell, "report_card", {_student(cell.world, cell.target)})


def _sheet_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/classes/{world.class_a}/summary-sheet",
               params={"year_id": str(world.year)})


def _sheet_verify(cell: Cell) -> None:
    """Every student the class ever had is in the access log (other rows enrol more)."""
    _pdf(cell)
    rows = cell.access_rows()
    assert cell.principal in STAFF
    assert {cell.world.s0, cell.world.s1} <= {r[0] for r in rows}
    assert {r[1:] for r in rows} == {(cell.viewer, "summary_sheet")}


DOCUMENT_ROWS: list[Row] = [
    Row("GET", JW + "/print", {"J1": READ_J1, "J2": READ_J2}, _print_arrange,
        verify=_print_verify),
    Row("GET", "/api/v1/students/{student_id}/report-card", {"S0": DIARY_S0, "S1": DIARY_S1},
        _card_arrange, verify=_card_verify),
    Row("GET", "/api/v1/classes/{class_id}/summary-sheet", {"7А": SHEET}, _sheet_arrange,
        verify=_sheet_verify),
]
