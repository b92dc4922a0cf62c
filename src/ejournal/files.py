"""Homework files' bytes, in the database beside the event log (table ``homework_file_contents``),
so that a backup of the database holds them with the events that name them.

Content-addressed: a file's row is keyed by the SHA-256 of its bytes, written before the event
that names it, idempotently (the same bytes twice are one row). A row whose event was never
recorded (the command was refused after the bytes were stored) is harmless: nothing names it,
nothing serves it, and the same bytes attached later reuse it. A retracted file's row stays
(another attachment may share its bytes); the retraction stops serving it.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import BigInteger, Column, Engine, LargeBinary, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from ejournal.application.locks import ddl_lock

metadata = MetaData()
contents = Table(
    "homework_file_contents", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
)


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class FileStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def setup(self) -> None:
        with ddl_lock(self.engine) as conn:
            metadata.create_all(conn)
            conn.commit()

    def put(self, content: bytes) -> str:
        """Stores the bytes (once, whoever else stores the same) and answers their SHA-256."""
        digest = sha256_of(content)
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(contents).values(
            sha256=digest, size=len(content), content=content).on_conflict_do_nothing()
        with self.engine.begin() as conn:
            conn.execute(statement)
        return digest

    def get(self, digest: str) -> bytes | None:
        with self.engine.connect() as conn:
            found = conn.scalar(select(contents.c.content).where(contents.c.sha256 == digest))
        return bytes(found) if found is not None else None
