"""The year-end archive (R-3.4b): the school's admin asks for one (``202 {id}``), it is built
in the background - one at a time per process, the request's own thread never waits for it -
and its state (``queued``, ``running`` with ``done``/``total`` files, ``done`` with its
SHA-256 and size, or ``failed``) is read until the zip can be fetched
(``ejournal.documents.archive``, docs/documents.md)."""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ejournal.api.access import log_access, not_found
from ejournal.api.deps import IdempotencyKey, Principal, ServicesDep, allow
from ejournal.api.lookup_access import current
from ejournal.api.requests import StrictIn
from ejournal.api.services import Services
from ejournal.documents.archive import build
from ejournal.documents.store import Archive, Archives
from ejournal.documents.yearly import read_year
from ejournal.domain.errors import ConflictWithJournal, InvalidEntry
from ejournal.domain.values import Role

router = APIRouter(prefix="/api/v1", tags=["documents"])
log = logging.getLogger("ejournal.documents")
SchoolAdmin = Annotated[Principal, Depends(allow(
    Role.ADMIN, detail="only the school's administration asks for its archive"))]
#: One build at a time in a process: a build renders hundreds of pages.
_BUILDING = threading.Semaphore(1)
_STORES: dict[int, Archives] = {}
_STORES_LOCK = threading.Lock()


class ArchiveIn(StrictIn):
    year_id: UUID


class ArchiveCreatedOut(BaseModel):
    id: UUID


class ArchiveOut(BaseModel):
    id: UUID
    year_id: UUID
    requested_at: datetime
    status: str = Field(description="queued, running, done or failed")
    done: int = Field(description="files made so far")
    total: int = Field(description="files to make (0 until the build starts)")
    sha256: str | None = Field(description="the zip's SHA-256, once done")
    size: int | None = Field(description="the zip's size in bytes, once done")
    error: str | None = Field(description="why it failed, if it did")


def store_of(svc: Services) -> Archives:
    with _STORES_LOCK:
        found = _STORES.get(id(svc))
        if found is None or found.engine is not svc.accounts.engine:
            found = _STORES[id(svc)] = Archives(svc.accounts.engine)
        return found


def _build(svc: Services, store: Archives, archive_id: UUID, school_id: UUID,
           year_id: UUID) -> None:
    with _BUILDING:
        try:
            current(svc)
            built = build(svc.reader, svc.ledger, svc.app.store, school_id, year_id,
                          progress=lambda done, total: store.progress(archive_id, done, total))
            store.finish(archive_id, built.content, hashlib.sha256(built.content).hexdigest(),
                         built.students)
        except Exception as exc:  # any failure is the archive's state
            log.exception("archive %s failed", archive_id)
            try:
                store.fail(archive_id, f"{type(exc).__name__}: {exc}")
            except Exception:  # the database is gone too: it reads as stalled later
                log.exception("archive %s: its failure was not recorded", archive_id)


def _own(svc: Services, user: Principal, school_id: UUID, archive_id: UUID) -> Archive:
    if user.school_id != school_id:
        raise not_found("school", school_id)
    found = store_of(svc).get(archive_id)
    if found is None or found.school_id != school_id:
        raise not_found("archive", archive_id)
    return found


@router.post("/schools/{school_id}/archives", status_code=202,
             response_model=ArchiveCreatedOut, summary="Ask for the year-end archive")
def create_archive(svc: ServicesDep, user: SchoolAdmin, school_id: UUID, body: ArchiveIn,
                   key: IdempotencyKey = None) -> JSONResponse:
    """The year's archive is built in the background; read its state at
    ``…/archives/{id}``. The same Idempotency-Key with the same year answers the first
    archive's id again (another year: 409)."""
    if user.school_id != school_id:
        raise not_found("school", school_id)
    store = store_of(svc)
    if key is not None:
        earlier = store.by_key(user.user_id, key)
        if earlier is not None:
            if earlier[1] != body.year_id:
                raise ConflictWithJournal("this Idempotency-Key asked for another year")
            return JSONResponse({"id": str(earlier[0])}, status_code=202,
                                headers={"Idempotent-Replayed": "true"})
    current(svc)
    with svc.reader.connect() as conn:
        year = read_year(conn, body.year_id)
    if year is None or year.school_id != school_id:
        raise InvalidEntry(f"no year {body.year_id} in school {school_id}", field="year_id")
    made = store.create(school_id, body.year_id, user.user_id, svc.now(), key)
    threading.Thread(target=_build, args=(svc, store, made, school_id, body.year_id),
                     name=f"ejournal-archive-{made}", daemon=True).start()
    return JSONResponse({"id": str(made)}, status_code=202)


@router.get("/schools/{school_id}/archives/{archive_id}", response_model=ArchiveOut,
            summary="An archive's state")
def archive_state(svc: ServicesDep, user: SchoolAdmin, school_id: UUID, archive_id: UUID
                  ) -> ArchiveOut:
    found = _own(svc, user, school_id, archive_id)
    return ArchiveOut(id=found.id, year_id=found.year_id, requested_at=found.requested_at,
                      status=found.status, done=found.done, total=found.total,
                      sha256=found.sha256, size=found.size, error=found.error)


@router.get("/schools/{school_id}/archives/{archive_id}/file", response_class=Response,
            responses={200: {"content": {"application/zip": {
                "schema": {"type": "string", "format": "binary"}}},
                "description": "The archive"}},
            summary="An archive's zip, once done")
def archive_file(svc: ServicesDep, user: SchoolAdmin, school_id: UUID, archive_id: UUID
                 ) -> Response:
    """``409`` until its state is ``done``. Each download is in the access log of every
    student whose табель it holds."""
    found = _own(svc, user, school_id, archive_id)
    store = store_of(svc)
    content = store.content(archive_id) if found.status == "done" else None
    if content is None:
        raise HTTPException(409, f"the archive is {found.status}, not done")
    log_access(svc, user, store.students(archive_id), "archive", svc.now())
    return Response(content, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="archive-{found.year_id}.zip"',
        "Cache-Control": "private, no-store"})
