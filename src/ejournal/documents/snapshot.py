"""What a document is made from: the read models in one snapshot, and the log position they
hold in it, with the ledger's chain head there (``Stamp``) - the pair every page's footer
states, so a reader can ask ``GET /api/v1/ledger/head?position=`` and compare.

The position is the read models' own, read in the same snapshot as the rows: on SQLite a
reader's transaction (WAL), on PostgreSQL ``REPEATABLE READ``. Whatever the projector does
meanwhile, the footer names exactly the events the page shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from ejournal.ledger import Chain
from ejournal.projections.base import positions

#: The read models documents read.
MODELS = ("lookups", "grid", "diary", "reports")


@dataclass(frozen=True)
class Stamp:
    """A log position and the ledger's SHA-256 chain head there (64 hex digits)."""

    position: int
    head: str


@contextmanager
def snapshot(engine: Engine) -> Iterator[tuple[Connection, int]]:
    """A connection whose reads all see one state of the read models, and the log position
    that state holds (the least of the models': each has applied every event up to it)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            found = list(conn.scalars(select(positions.c.position)
                                      .where(positions.c.name.in_(MODELS))))
            yield conn, min(found) if len(found) == len(MODELS) else 0


def stamp(chain: Chain, position: int) -> Stamp:
    return Stamp(position, chain.head_at(position).sha256)
