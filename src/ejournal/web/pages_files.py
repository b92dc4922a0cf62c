"""Homework files in the pages: the teacher attaches a file on the lesson's page («Прикрепить
файл») and removes one there («Удалить файл», with a reason: a retraction - the diary no longer
offers it, the lesson's history keeps it), the family downloads it from the diary. The same
commands and access rules as the API (``api/routes/attachments.py``, ``api/file_access.py``):
a file nobody may see is «Не найдено»."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from ejournal.api.deps import Principal
from ejournal.api.file_access import may_read_files, may_write_files
from ejournal.api.routes.attachments import disposition
from ejournal.api.services import Services
from ejournal.application.commands import AttachHomeworkFile, RetractHomeworkFile
from ejournal.domain.errors import DomainError
from ejournal.domain.file_kinds import MAX_BYTES, file_name, kind_of
from ejournal.domain.homework_file import HomeworkFile
from ejournal.web import commands
from ejournal.web.routing import PageRoute, only, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FILES = "/journals/{journal_id}/lessons/{lesson_id}/attachments"
TOO_LARGE = "Файл больше 10 МБ: прикрепите файл поменьше"
NOT_ACCEPTED = ("Такой файл не прикрепить: принимаются PDF, изображения (PNG, JPEG, GIF, WebP), "
                "документы Word, Excel, PowerPoint, OpenDocument и RTF, текст; тип определяется "
                "по содержимому файла, а не по его имени")
NO_REASON = "«Причина удаления»: укажите, почему файл удаляется (R-7.2)"


def _attach(svc: Services, viewer: Principal, journal_id: UUID, lesson_id: UUID,
            name: str | None, content: bytes) -> commands.Outcome:
    try:
        content_type = kind_of(content)
        clean = file_name(name)
    except DomainError:
        return commands.Outcome(None, refused=NOT_ACCEPTED)
    may_write_files(svc, viewer, journal_id)
    digest = svc.files.put(content)
    return commands.run(svc, viewer, journal_id, AttachHomeworkFile(
        viewer.user_id, journal_id, lesson_id, name=clean, size=len(content),
        content_type=content_type, sha256=digest))


@router.post(FILES)
async def attach(request: Request, journal_id: UUID, lesson_id: UUID) -> Response:
    """The form's ``file``; the answer is the lesson's page again, with what became of it."""
    viewer = signed_in(request)
    only(viewer, "teacher", "admin")
    form = await request.form()
    upload = form.get("file")
    svc = request.app.state.services
    if not isinstance(upload, UploadFile):
        refused = "Выберите файл"
    else:
        content = await upload.read(MAX_BYTES + 1)
        if len(content) > MAX_BYTES:
            refused = TOO_LARGE
        else:
            outcome = await run_in_threadpool(_attach, svc, viewer, journal_id, lesson_id,
                                              upload.filename, content)
            refused = outcome.refused or ""
    if refused:
        return render(request, "refused.html", status=422, heading="Файл не прикреплён",
                      text=refused)
    return RedirectResponse(f"/journals/{journal_id}/lessons/{lesson_id}?attached=1", 303)


@router.post(FILES + "/{attachment_id}/retraction")
async def retract(request: Request, journal_id: UUID, lesson_id: UUID,
                  attachment_id: UUID) -> Response:
    """The form's ``reason``; an unknown file (or another lesson's) is «Не найдено»."""
    viewer = signed_in(request)
    only(viewer, "teacher", "admin")
    form = await request.form()
    reason = str(form.get("reason") or "")
    svc = request.app.state.services
    if reason.strip():
        outcome = await run_in_threadpool(commands.run, svc, viewer, journal_id,
                                          RetractHomeworkFile(viewer.user_id, journal_id,
                                                              lesson_id, attachment_id,
                                                              reason=reason))
        refused = outcome.refused
    else:
        refused = NO_REASON
    if refused:
        return render(request, "refused.html", status=422, heading="Файл не удалён",
                      text=refused)
    return RedirectResponse(f"/journals/{journal_id}/lessons/{lesson_id}?removed=1", 303)


@router.get(FILES + "/{attachment_id}")
def download(request: Request, journal_id: UUID, lesson_id: UUID,
             attachment_id: UUID) -> Response:
    viewer = signed_in(request)
    only(viewer, "student", "guardian", "teacher", "admin", "auditor")
    svc: Services = request.app.state.services
    may_read_files(svc, viewer, journal_id, lesson_id)
    found = svc.app.load_many([attachment_id]).get(attachment_id)
    if not isinstance(found, HomeworkFile) or found.lesson_id != lesson_id or found.retracted:
        raise HTTPException(404, "no such file")
    content = svc.files.get(found.sha256)
    if content is None:  # pragma: no cover - stored before its event
        raise HTTPException(404, "no such file")
    return Response(content, media_type=found.content_type,
                    headers={"Content-Disposition": disposition(found.name)})
