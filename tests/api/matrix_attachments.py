"""The role matrix's rows for homework files (a section of their own, which
``test_role_matrix`` adds to its ``MATRIX``): the journal's writers attach (R-4.4, R-4.9); the
class's students, their guardians and the journal's readers list and download, anyone else 404;
the author or the admin retracts."""

from __future__ import annotations

import hashlib
from uuid import UUID

from ejournal.application.commands import AttachHomeworkFile
from ejournal.files import FileStore
from tests.api.test_role_matrix import (
    CT_RULES,
    JW,
    ON_J1,
    ON_J2,
    Arrange,
    Cell,
    Req,
    Row,
    World,
    _journal,
    statuses,
)

FILES = JW + "/lessons/{lesson_id}/attachments"
PDF = b"%PDF-1.4\n% the role matrix\n%%EOF\n"
#                  anon  op   adm  aud  tch  una  ct   stu  gua  xadm xaud xtch
FILES_J1 = statuses("401  403  ok   ok   ok   404  ok   ok   ok   404  404  404")
FILES_J2 = statuses("401  403  ok   ok   404  404  ok   ok   ok   404  404  404")


def _author(world: World, journal: UUID) -> UUID:
    return world.ids["teacher" if journal == world.j1 else "class_teacher"]


def _attached(world: World, journal: UUID) -> tuple[UUID, UUID]:
    """The base lesson of the journal and a new file of its teacher's at it."""
    lesson = world.base_lesson[journal]
    content = PDF + str(world.n()).encode()
    digest = FileStore(world.accounts.engine).put(content)
    made = world.app.execute(AttachHomeworkFile(
        _author(world, journal), journal, lesson, name="Лист.pdf", size=len(content),
        content_type="application/pdf", sha256=digest)).id
    world.server.caught_up()
    return lesson, made


def _path(journal: UUID, lesson: UUID) -> str:
    return FILES.format(journal_id=journal, lesson_id=lesson)


def _upload_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    lesson = world.base_lesson[journal]
    return Req(_path(journal, lesson), files={"file": ("Задание.pdf", PDF, "text/plain")},
               note={"lesson": lesson})


def _upload_verify(cell: Cell) -> None:
    assert cell.body["content_type"] == "application/pdf"
    assert cell.body["sha256"] == hashlib.sha256(PDF).hexdigest()
    (event,) = cell.written
    assert (event.originator_id, event.lesson_id, event.name, event.by) == (
        UUID(cell.body["id"]), cell.req.note["lesson"], "Задание.pdf", cell.viewer)


def _read_arrange(download: bool) -> Arrange:
    def arrange(world: World, _: str, target: str) -> Req:
        journal = _journal(world, target)
        lesson, made = _attached(world, journal)
        path = _path(journal, lesson)
        return Req(f"{path}/{made}" if download else path, note={"file": made})
    return arrange


def _list_verify(cell: Cell) -> None:
    listed = {i["id"]: i for i in cell.body["items"]}
    item = listed[str(cell.req.note["file"])]
    assert (item["name"], item["content_type"]) == ("Лист.pdf", "application/pdf")
    assert cell.access_rows() == []


def _download_verify(cell: Cell) -> None:
    assert cell.answer.content.startswith(PDF)
    assert cell.answer.headers["content-disposition"].startswith("attachment;")


def _retract_arrange(world: World, _: str, target: str) -> Req:
    journal = _journal(world, target)
    lesson, made = _attached(world, journal)
    return Req(f"{_path(journal, lesson)}/{made}/retraction", json={"reason": "не тот"},
               note={"file": made})


def _retract_verify(cell: Cell) -> None:
    (event,) = cell.written
    assert (event.originator_id, event.reason, event.by) == (
        cell.req.note["file"], "не тот", cell.viewer)


def _not_retracted(cell: Cell) -> None:
    assert not cell.world.app.repository.get(cell.req.note["file"]).retracted


ATTACHMENT_ROWS: list[Row] = [
    Row("POST", FILES, {"J1": statuses(ON_J1, 201), "J2": statuses(ON_J2, 201)},
        _upload_arrange, ("HomeworkFile.Attached",), _upload_verify, rules=CT_RULES),
    Row("GET", FILES, {"J1": FILES_J1, "J2": FILES_J2}, _read_arrange(False),
        verify=_list_verify),
    Row("GET", FILES + "/{attachment_id}", {"J1": FILES_J1, "J2": FILES_J2},
        _read_arrange(True), verify=_download_verify),
    Row("POST", FILES + "/{attachment_id}/retraction",
        {"J1": statuses(ON_J1, 201), "J2": statuses(ON_J2, 201)}, _retract_arrange,
        ("HomeworkFile.Retracted",), _retract_verify, rules=CT_RULES,
        unchanged=_not_retracted),
]
