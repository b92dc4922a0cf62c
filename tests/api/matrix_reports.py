"""The role matrix's rows for the reports (a section of their own, which ``test_role_matrix``
adds to its ``MATRIX``): who may read which report (R-3.4d, R-3.4g), and the values a success
answers."""

from __future__ import annotations

from uuid import UUID

from ejournal.application.commands import HoldLesson, SetProgramme
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


REPORT_ROWS: list[Row] = [
    Row("GET", JW + "/programme-completion", {"J1": READ_J1, "J2": READ_J2},
        _completion_arrange, verify=_completion_verify),
    Row("GET", "/api/v1/classes/{class_id}/homework-load", {"7А": CLASS_7A},
        _class_arrange("homework-load"), verify=_load_verify),
]
