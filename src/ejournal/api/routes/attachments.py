"""Homework files: the journal's writers attach files to a lesson (multipart ``file``, at most
10 MB; PDF, images, office documents, plain text - judged by the bytes, never the name); the
class's students, their guardians and the journal's readers list and download them (else 404);
the author or the school's admin retracts one (it is no longer served; the fact stays)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from ejournal.api.access import hidden_unless_visible, not_found
from ejournal.api.consistency import OwnWritesSeen
from ejournal.api.deps import DiaryReader, IdempotencyKey, JournalWriter, ServicesDep
from ejournal.api.file_access import may_read_files, may_write_files
from ejournal.api.problems import problem
from ejournal.api.requests import MarkCancellationIn
from ejournal.api.routes.journal_writes import LOG_POSITION, _created
from ejournal.application.commands import AttachHomeworkFile, RetractHomeworkFile
from ejournal.domain.file_kinds import MAX_BYTES, file_name, kind_of
from ejournal.domain.homework_file import HomeworkFile
from ejournal.projections.diary import names
from ejournal.projections.diary_files import lesson_files

router = APIRouter(prefix="/api/v1", tags=["homework files"])
PATH = "/journals/{journal_id}/lessons/{lesson_id}/attachments"


class AttachmentOut(BaseModel):
    id: UUID
    name: str
    size: int
    content_type: str
    sha256: str


class AttachmentItemOut(BaseModel):
    id: UUID
    name: str
    size: int
    content_type: str
    added_by_name: str
    added_at: datetime


class AttachmentsOut(BaseModel):
    items: list[AttachmentItemOut]


class RetractedOut(BaseModel):
    id: UUID
    retracted: bool


def _too_large() -> JSONResponse:
    detail = f"file is at most {MAX_BYTES} bytes (10 MB)"
    return problem(413, detail, errors=[{"field": "file", "message": detail}])


@router.post(PATH, status_code=201, response_model=AttachmentOut,
             responses={**_created(AttachmentOut), 413: {"description": "file over 10 MB"}},
             summary="Attach a file to the lesson's homework")
def attach(svc: ServicesDep, user: JournalWriter, journal_id: UUID, lesson_id: UUID,
           file: UploadFile, idempotency_key: IdempotencyKey = None) -> Response:
    """Its type is judged by its bytes (``content_type`` in the answer), never by its name."""
    content = file.file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return _too_large()
    content_type = kind_of(content)
    name = file_name(file.filename)
    may_write_files(svc, user, journal_id)
    digest = svc.files.put(content)  # before the event that names it (idempotent)
    with hidden_unless_visible(svc, user, journal_id):
        written = svc.app.execute(AttachHomeworkFile(
            user.user_id, journal_id, lesson_id, name=name, size=len(content),
            content_type=content_type, sha256=digest), idempotency_key=idempotency_key)
    body = AttachmentOut(id=written.id, name=name, size=len(content),
                         content_type=content_type, sha256=digest)
    response = JSONResponse(body.model_dump(mode="json"), status_code=201)
    if written.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if written.position is not None:
        response.headers[LOG_POSITION] = str(written.position)
        svc.freshness.wrote(user.token, written.position)
    return response


@router.get(PATH, response_model=AttachmentsOut, summary="The lesson's homework files")
def list_files(svc: ServicesDep, user: DiaryReader, journal_id: UUID, lesson_id: UUID,
               _: OwnWritesSeen = None) -> AttachmentsOut:
    may_read_files(svc, user, journal_id, lesson_id)
    with svc.reader.connect() as conn:
        found = lesson_files(conn, names, lesson_id)
    return AttachmentsOut(items=[AttachmentItemOut(
        id=f.id, name=f.name, size=f.size, content_type=f.content_type,
        added_by_name=f.added_by_name, added_at=f.added_at) for f in found])


def disposition(name: str) -> str:
    """``attachment`` with the name for every browser: an ASCII fallback and RFC 5987's
    UTF-8 form (a Cyrillic name arrives whole)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                       for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get(PATH + "/{attachment_id}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "the file, as an attachment"}},
            summary="Download a homework file")
def download(svc: ServicesDep, user: DiaryReader, journal_id: UUID, lesson_id: UUID,
             attachment_id: UUID) -> Response:
    may_read_files(svc, user, journal_id, lesson_id)
    found = svc.app.load_many([attachment_id]).get(attachment_id)
    if not isinstance(found, HomeworkFile) or found.lesson_id != lesson_id or found.retracted:
        raise not_found("file", attachment_id)
    content = svc.files.get(found.sha256)
    if content is None:  # pragma: no cover - stored before its event
        raise not_found("file", attachment_id)
    return Response(content, media_type=found.content_type,
                    headers={"Content-Disposition": disposition(found.name)})


@router.post(PATH + "/{attachment_id}/retraction", status_code=201,
             response_model=RetractedOut, responses=_created(RetractedOut),
             summary="Retract a homework file (R-7.2)")
def retract(svc: ServicesDep, user: JournalWriter, journal_id: UUID, lesson_id: UUID,
            attachment_id: UUID, body: MarkCancellationIn,
            idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """By its author or the school's admin: no longer served; the fact stays."""
    with hidden_unless_visible(svc, user, journal_id):
        written = svc.app.execute(RetractHomeworkFile(
            user.user_id, journal_id, lesson_id, attachment_id, reason=body.reason),
            idempotency_key=idempotency_key)
    response = JSONResponse({"id": str(attachment_id), "retracted": True}, status_code=201)
    if written.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if written.position is not None:
        response.headers[LOG_POSITION] = str(written.position)
        svc.freshness.wrote(user.token, written.position)
    return response
