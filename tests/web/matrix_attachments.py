"""The pages' role matrix rows for homework files (added to ``MATRIX`` by
``test_role_matrix``): the journal's writers attach on the lesson's page (303 back to it); the
class's students, their guardians and the journal's readers download, anyone else «Не
найдено»; the file's author (the journal's teacher) or the school's admin removes it."""

from __future__ import annotations

from tests.api.matrix_attachments import PDF, _attached
from tests.api.test_role_matrix import World, _journal, statuses
from tests.web.test_role_matrix import WRITE_J1, WRITE_J2, Cell, Req, Row

FILES = "/journals/{journal_id}/lessons/{lesson_id}/attachments"
#                    anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
GET_J1 = statuses("   303  403  ok   ok   ok   404  ok   ok   ok   404  404  404")
GET_J2 = statuses("   303  403  ok   ok   404  404  ok   ok   ok   404  404  404")


def _attach_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    lesson = world.base_lesson[journal]
    return Req(f"/journals/{journal}/lessons/{lesson}/attachments", data={},
               files={"file": ("Лист.pdf", PDF, "application/pdf")})


def _download_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    lesson, made = _attached(world, journal)
    return Req(f"/journals/{journal}/lessons/{lesson}/attachments/{made}")


def _retract_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    lesson, made = _attached(world, journal)
    return Req(f"/journals/{journal}/lessons/{lesson}/attachments/{made}/retraction",
               data={"reason": "не тот файл"})


def _back_to_lesson(cell: Cell) -> None:
    assert cell.answer.headers["location"].endswith("?removed=1"), cell.answer.headers


def _downloaded(cell: Cell) -> None:
    assert cell.answer.content.startswith(PDF)
    assert cell.answer.headers["content-disposition"].startswith("attachment;")


ATTACHMENT_PAGES: list[Row] = [
    Row("POST", FILES, {"J1": statuses(WRITE_J1, 303), "J2": statuses(WRITE_J2, 303)},
        _attach_arrange, events=("HomeworkFile.Attached",)),
    Row("GET", FILES + "/{attachment_id}", {"J1": GET_J1, "J2": GET_J2}, _download_arrange,
        _downloaded),
    Row("POST", FILES + "/{attachment_id}/retraction",
        {"J1": statuses(WRITE_J1, 303), "J2": statuses(WRITE_J2, 303)}, _retract_arrange,
        _back_to_lesson, events=("HomeworkFile.Retracted",)),
]
