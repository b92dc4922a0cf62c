"""The role matrix's rows for the reports (a section of their own, which ``test_role_matrix``
adds to its ``MATRIX``): who may read which report (R-3.4d, R-3.4g), and the values a success
answers."""

from __future__ import annotations

from fractions import Fraction
from typing import Any
from uuid import UUID

from ejournal.application.commands import HoldLesson, SetProgramme
from ejournal.projections.report_reads import rounded
from tests.api.test_role_matrix import (
    JW,
    READ_J1,
    READ_J2,
    Arrange,
    Cell,
    Req,
    Row,
    World,
    _journal,
    _span,
    _staff_read,
    statuses,
)

#: As a class's students: its class teacher, the teachers of its journals, the school's admin
#: and auditor.
#                    anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
CLASS_7A = statuses("     401  403  ok   ok   ok   404  ok   403  403  404  404  404")

#: What a world was given once for the reports (a programme and a lesson on its topic, per
#: journal), by world and journal.
_GIVEN: set[tuple[int, UUID]] = set()


def _programme_once(world: World, journal: UUID) -> None:
    if (id(world), journal) in _GIVEN:
        return
    world.app.execute(SetProgramme(world.admin, journal,
                                   topics=[("Дроби", 4), ("Проценты", 2)]))
    day, slot = world.slot(journal)
    world.app.execute(HoldLesson(world.admin, journal, lesson_date=day, slot=slot,
                                 topic="Дроби", programme_topic="Дроби"))
    _GIVEN.add((id(world), journal))
    world.server.caught_up()


def _completion_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    _programme_once(world, journal)
    return Req(f"{JW.format(journal_id=journal)}/programme-completion")


def _completion_verify(cell: Cell) -> None:
    assert cell.access_rows() == []  # no student's data
    w, journal = cell.world, _journal(cell.world, cell.target)
    grid = w.call("admin", "GET", f"{JW.format(journal_id=journal)}/grid", params=_span(w))
    held = len(grid.json()["lessons"])
    assert cell.body == {"topics": [{"title": "Дроби", "planned_hours": 4, "held_lessons": 1},
                                    {"title": "Проценты", "planned_hours": 2,
                                     "held_lessons": 0}],
                         "planned_total": 6, "held_total": 1, "other_lessons": held - 1,
                         "percent": 16.7}


def _class_arrange(kind: str) -> Arrange:
    def arrange(world: World, _: str, __: str) -> Req:
        return Req(f"/api/v1/classes/{world.class_a}/{kind}", params=_span(world))
    return arrange


def _load_verify(cell: Cell) -> None:
    """The base lessons' homework «№ 7» (no minutes) on their day; 7А has no grade, so no
    limit."""
    w = cell.world
    day = next(x for x in cell.body["days"] if x["date"] == w.base_day.isoformat())
    base = [(i["journal_id"], i["subject_name"], i["minutes"]) for i in day["items"]
            if i["homework"] == "№ 7"]
    assert sorted(base) == sorted([(str(w.j1), "Математика", None),
                                   (str(w.j2), "История", None)])
    assert (day["limit_minutes"], day["over_limit"]) == (None, False)
    assert cell.access_rows() == []


def _grids(world: World) -> list[dict[str, Any]]:
    """J1's and J2's grids over the year, as the admin reads them (after the cell's own
    access rows are checked: these reads are logged too)."""
    return [world.call("admin", "GET", f"{JW.format(journal_id=j)}/grid",
                       params=_span(world)).json() for j in (world.j1, world.j2)]


def _attendance_verify(cell: Cell) -> None:
    """Every lesson of 7А's two journals counts for S0 and S1 (both in the class all year),
    and S1's absences are the «Н» of the grids: all of them ill (the matrix's attendance)."""
    _staff_read(cell, "attendance", {UUID(s["id"]) for s in cell.body["students"]})
    w, grids = cell.world, _grids(cell.world)
    lessons = sum(len(g["lessons"]) for g in grids)
    absent = sum(cells == ["Н"] for g in grids for s in g["students"] if s["id"] == str(w.s1)
                 for cells in s["cells"].values())
    rows = {s["id"]: s for s in cell.body["students"]}
    assert (rows[str(w.s0)]["lessons"], rows[str(w.s1)]["lessons"]) == (lessons, lessons)
    assert (rows[str(w.s1)]["absent"], rows[str(w.s1)]["by_reason"]) == (absent, {
        "illness": absent, "excused": 0, "unexcused": 0, "unknown": 0})
    assert absent >= 2
    assert sum(w_["student_lessons"] for w_ in cell.body["weeks"]) >= 2 * lessons


def _performance_arrange(world: World, _: str, __: str) -> Req:
    return Req(f"/api/v1/classes/{world.class_a}/performance",
               params={"period_id": str(world.period)})


def _performance_verify(cell: Cell) -> None:
    """S0's average in each journal is the mean of their marks in its grid (the year's only
    period)."""
    _staff_read(cell, "performance", {UUID(s["id"]) for s in cell.body["students"]})
    w = cell.world
    s0 = next(s for s in cell.body["students"] if s["id"] == str(w.s0))
    for grid, journal in zip(_grids(w), (w.j1, w.j2), strict=True):
        values = [int(v) for s in grid["students"] if s["id"] == str(w.s0)
                  for cell_values in s["cells"].values() for v in cell_values if v != "Н"]
        expected = float(rounded(Fraction(sum(values), len(values)), 2))
        subject = next(x for x in s0["subjects"] if x["journal_id"] == str(journal))
        assert (subject["average"], subject["weighted_average"]) == (expected, expected)
    # other rows of the matrix may open more journals in 7А: J1's and J2's subjects are named
    named = {x["journal_id"]: x["subject_name"] for x in cell.body["subjects"]}
    assert (named[str(w.j1)], named[str(w.j2)]) == ("Математика", "История")


REPORT_ROWS: list[Row] = [
    Row("GET", JW + "/programme-completion", {"J1": READ_J1, "J2": READ_J2},
        _completion_arrange, verify=_completion_verify),
    Row("GET", "/api/v1/classes/{class_id}/homework-load", {"7А": CLASS_7A},
        _class_arrange("homework-load"), verify=_load_verify),
    Row("GET", "/api/v1/classes/{class_id}/attendance", {"7А": CLASS_7A},
        _class_arrange("attendance"), verify=_attendance_verify),
    Row("GET", "/api/v1/classes/{class_id}/performance", {"7А": CLASS_7A},
        _performance_arrange, verify=_performance_verify),
]
