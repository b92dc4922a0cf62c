"""The kept chain: one row per event of the log, its position, the chain's head after it
and a short digest of the event (``encoding``), in ``ledger_chain`` beside the read models.

``Chain`` reads it: ``head_at(position)`` is the head a document or an answer states as of
a log position - exact whether or not the follower (``follower``) has reached it yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    func,
    select,
)

from ejournal.application.eventstore import EventStore, LogRow
from ejournal.application.locks import ddl_lock
from ejournal.ledger.encoding import ZERO, chain
from ejournal.projections.base import reading

metadata = MetaData()
#: On SQLite the position is the table's rowid (INTEGER PRIMARY KEY): one B-tree, in order.
ledger_chain = Table(
    "ledger_chain",
    metadata,
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=False),
    Column("sha256", LargeBinary(32), nullable=False),
    Column("digest", BigInteger, nullable=False),
)
#: Rows of the log read per statement.
CHUNK = 10_000


@dataclass(frozen=True)
class Head:
    """The chain's head as of a log position: the SHA-256 after every event up to it."""

    position: int
    sha256: str  # 64 lower-case hex digits

    @classmethod
    def of(cls, position: int, head: bytes) -> Head:
        return cls(position, head.hex())


def setup(engine: Engine) -> None:
    """Creates the chain's table if it is missing (idempotent, safe from many processes)."""
    with ddl_lock(engine) as conn:
        metadata.create_all(conn, tables=[ledger_chain])
        conn.commit()


class Chain:
    """Reads of the kept chain and of the log it is kept from."""

    def __init__(self, store: EventStore, engine: Engine) -> None:
        self.store = store
        self.engine = engine

    def tip(self) -> tuple[int, bytes]:
        """The last position kept and the head there ((0, zeros) when nothing is)."""
        with reading(self.engine) as conn:
            return self._kept_at(conn, None)

    def kept_at(self, position: int) -> tuple[int, bytes]:
        """The last position kept at or before ``position`` and the head there."""
        with reading(self.engine) as conn:
            return self._kept_at(conn, position)

    def head(self) -> Head:
        """The head as of the log's last event."""
        return self.head_at(self.store.head() or 0)

    def head_at(self, position: int) -> Head:
        """The head as of ``position`` (after its event, or the last one before it): the kept
        head there, or - where the follower has not come yet - the kept tip carried forward
        over the log. ``ValueError`` for a position beyond the log's head."""
        last = self.store.head() or 0
        if not 0 <= position <= last:
            raise ValueError(f"position {position} is not in the log (its head is {last})")
        with reading(self.engine) as conn:
            kept, head = self._kept_at(conn, position)
        for rows in self.log(kept, position):
            head = chain(head, rows)
        return Head.of(position, head)

    def log(self, after: int, upto: int | None = None) -> Iterator[list[LogRow]]:
        """The log's rows after ``after`` (through ``upto``), a chunk at a time."""
        while True:
            rows = self.store.rows(after, CHUNK, upto)
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    @staticmethod
    def _kept_at(conn: Connection, position: int | None) -> tuple[int, bytes]:
        query = select(ledger_chain.c.position, ledger_chain.c.sha256)
        if position is not None:
            query = query.where(ledger_chain.c.position <= position)
        found = conn.execute(query.order_by(ledger_chain.c.position.desc()).limit(1)).first()
        return (0, ZERO) if found is None else (int(found.position), bytes(found.sha256))

    def count(self) -> int:
        with reading(self.engine) as conn:
            return int(conn.scalar(select(func.count()).select_from(ledger_chain)) or 0)
