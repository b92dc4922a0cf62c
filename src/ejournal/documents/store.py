"""The archives a school's admin asked for (``POST …/archives``): each one's state as it is
built and, once done, its bytes - in ``document_archives`` beside the accounts, so a backup
of the database holds them and any ``serve`` process answers for them."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    insert,
    select,
    update,
)

from ejournal.application.locks import ddl_lock
from ejournal.projections.base import as_utc

metadata = MetaData()
archives = Table(
    "document_archives", metadata,
    Column("id", Uuid, primary_key=True),
    Column("school_id", Uuid, nullable=False),
    Column("year_id", Uuid, nullable=False),
    Column("requested_by", Uuid, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("status", String(16), nullable=False),  # queued | running | done | failed
    Column("updated_at", DateTime(timezone=True), nullable=False),  # its last progress
    Column("done", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("sha256", String(64), nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("error", Text, nullable=True),
    Column("students", Text, nullable=True),  # JSON: whose data it holds (the access log)
    Column("content", LargeBinary, nullable=True),
    Index("ix_document_archives_key", "requested_by", "idempotency_key"),
)


@dataclass(frozen=True)
class Archive:
    id: UUID
    school_id: UUID
    year_id: UUID
    requested_at: datetime
    status: str
    done: int
    total: int
    sha256: str | None
    size: int | None
    error: str | None


_COLUMNS = (archives.c.id, archives.c.school_id, archives.c.year_id, archives.c.requested_at,
            archives.c.status, archives.c.done, archives.c.total, archives.c.sha256,
            archives.c.size, archives.c.error, archives.c.updated_at)
#: A build that has made no progress for this long has stopped (its process ended): a file
#: takes well under a second, and builds wait for one another only as long as one lasts.
STALLED = timedelta(minutes=15)


def _now() -> datetime:
    """The real clock, not the requests': it measures how long a build has been silent."""
    return datetime.now(tz=UTC)


class Archives:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ready = False
        self._lock = threading.Lock()

    def setup(self) -> None:
        """Creates the table if it is missing (once a process; safe from many)."""
        with self._lock:
            if self._ready:
                return
            with ddl_lock(self.engine) as conn:
                metadata.create_all(conn, tables=[archives])
                conn.commit()
            self._ready = True

    def create(self, school_id: UUID, year_id: UUID, by: UUID, at: datetime,
               key: str | None) -> UUID:
        self.setup()
        made = uuid.uuid4()
        with self.engine.begin() as conn:
            conn.execute(insert(archives).values(
                id=made, school_id=school_id, year_id=year_id, requested_by=by,
                requested_at=at, idempotency_key=key, status="queued", done=0, total=0,
                updated_at=_now()))
        return made

    def by_key(self, by: UUID, key: str) -> tuple[UUID, UUID] | None:
        """The archive (and its year) this user asked for with this Idempotency-Key."""
        self.setup()
        with self.engine.connect() as conn:
            row = conn.execute(select(archives.c.id, archives.c.year_id).where(
                archives.c.requested_by == by, archives.c.idempotency_key == key)).first()
        return (row[0], row[1]) if row else None

    def get(self, archive_id: UUID) -> Archive | None:
        self.setup()
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(archives.c.id == archive_id)).first()
        if row is None:
            return None
        found = Archive(row[0], row[1], row[2], as_utc(row[3]), *row[4:10])
        if found.status in ("queued", "running") and _now() - as_utc(row[10]) > STALLED:
            return replace(found, status="failed", error=f"the build made no progress for "
                           f"{STALLED}: its process ended; ask again")
        return found

    def content(self, archive_id: UUID) -> bytes | None:
        self.setup()
        with self.engine.connect() as conn:
            found = conn.scalar(select(archives.c.content).where(archives.c.id == archive_id))
        return bytes(found) if found is not None else None

    def progress(self, archive_id: UUID, done: int, total: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(archives).where(archives.c.id == archive_id)
                         .values(status="running", done=done, total=total, updated_at=_now()))

    def finish(self, archive_id: UUID, content: bytes, sha256: str,
               students: tuple[UUID, ...]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(archives).where(archives.c.id == archive_id).values(
                status="done", content=content, sha256=sha256, size=len(content),
                students=json.dumps([str(s) for s in students])))

    def students(self, archive_id: UUID) -> list[UUID]:
        """Whose data the archive holds."""
        self.setup()
        with self.engine.connect() as conn:
            found = conn.scalar(select(archives.c.students)
                                .where(archives.c.id == archive_id))
        return [UUID(s) for s in json.loads(found)] if found else []

    def fail(self, archive_id: UUID, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(archives).where(archives.c.id == archive_id)
                         .values(status="failed", error=error[:2000]))
