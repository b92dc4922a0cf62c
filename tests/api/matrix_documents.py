"""The role matrix's rows for the paper documents (a section of their own, which
``test_role_matrix`` adds to its ``MATRIX``): who may print the journal, a табель, a class's
сводная ведомость, and that staff prints are in the access log."""

from __future__ import annotations

import hashlib
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
from tests.servers import wait_until

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


# --- the year-end archive (the school's admin only) ---

#                    anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
ARCHIVE = "          401  403  ok   403  403  403  403  403  403  404  403  403"
#: An archive each world was given once (by world), built before a cell reads it.
_ARCHIVES: dict[int, str] = {}


def _archive_of(world: World) -> str:
    if id(world) not in _ARCHIVES:
        base = f"/api/v1/schools/{world.school}/archives"
        made = world.call("admin", "POST", base, json={"year_id": str(world.year)})
        assert made.status_code == 202, made.text
        archive_id = made.json()["id"]
        wait_until(lambda: world.call("admin", "GET", f"{base}/{archive_id}").json()["status"]
                   in ("done", "failed"), 120, "the matrix's archive")
        _ARCHIVES[id(world)] = archive_id
    return _ARCHIVES[id(world)]


def _create_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/schools/{world.school}/archives", json={"year_id": str(world.year)})


def _create_verify(cell: Cell) -> None:
    state = cell.world.call("admin", "GET", f"{cell.req.path}/{cell.body['id']}").json()
    assert state["year_id"] == str(cell.world.year)
    assert state["status"] in ("queued", "running", "done")
    assert cell.access_rows() == []


def _state_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/schools/{world.school}/archives/{_archive_of(world)}")


def _state_verify(cell: Cell) -> None:
    assert cell.body["status"] == "done", cell.body
    assert len(cell.body["sha256"]) == 64
    assert cell.body["size"] > 0
    assert cell.access_rows() == []


def _file_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/schools/{world.school}/archives/{_archive_of(world)}/file")


def _file_verify(cell: Cell) -> None:
    """The zip as its state describes it; its download in the access log of S0 and S1."""
    assert cell.answer.headers["content-type"] == "application/zip"
    state = cell.world.call("admin", "GET", cell.req.path.rsplit("/", 1)[0]).json()
    assert hashlib.sha256(cell.answer.content).hexdigest() == state["sha256"]
    rows = cell.access_rows()
    assert {cell.world.s0, cell.world.s1} <= {r[0] for r in rows}
    assert {r[1:] for r in rows} == {(cell.viewer, "archive")}


ARCHIVE_ROWS: list[Row] = [
    Row("POST", "/api/v1/schools/{school_id}/archives", {"school": statuses(ARCHIVE, 202)},
        _create_arrange, verify=_create_verify),
    Row("GET", "/api/v1/schools/{school_id}/archives/{archive_id}",
        {"school": statuses(ARCHIVE)}, _state_arrange, verify=_state_verify),
    Row("GET", "/api/v1/schools/{school_id}/archives/{archive_id}/file",
        {"school": statuses(ARCHIVE)}, _file_arrange, verify=_file_verify),
]
DOCUMENT_ROWS += ARCHIVE_ROWS
