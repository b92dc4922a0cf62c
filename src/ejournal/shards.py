"""Shards: each school's log and read models live on one of several PostgreSQL databases
named in ``EJOURNAL_SHARDS``; the directory (a table of the main database,
``EJOURNAL_DATABASE_URL``) says which one. Without shards the main database holds everything.
``ejournal.api.shards`` routes requests by it (docs/scaling.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, Uuid, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ejournal.application.locks import ddl_lock

metadata = MetaData()

#: Which shard holds a school: written when the school is registered, never moved.
placements = Table(
    "shard_directory", metadata,
    Column("school_id", Uuid, primary_key=True),
    Column("shard", String(32), nullable=False, index=True),
    Column("placed_at", DateTime(timezone=True), nullable=False),
)


class Directory:
    """School to shard, in the main database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def setup(self) -> None:
        with ddl_lock(self.engine) as conn:
            metadata.create_all(conn)
            conn.commit()

    def shard_of(self, school_id: UUID) -> str | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(placements.c.shard)
                                 .where(placements.c.school_id == school_id)).scalar()
        return None if found is None else str(found)

    def place(self, school_id: UUID, shard: str, *, now: datetime) -> None:
        """Idempotent: a school placed already keeps its shard."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(placements).values(
            school_id=school_id, shard=shard, placed_at=now).on_conflict_do_nothing()
        with self.engine.begin() as conn:
            conn.execute(statement)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(placements.c.shard, func.count())
                                .group_by(placements.c.shard)).all()
        return {str(shard): int(count) for shard, count in rows}


def emptiest(shards: Mapping[str, object], counts: Mapping[str, int]) -> str:
    """Where a new school goes: the shard holding the fewest schools (the first named, of a
    tie)."""
    return min(shards, key=lambda name: (counts.get(name, 0), list(shards).index(name)))
