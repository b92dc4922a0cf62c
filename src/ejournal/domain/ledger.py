"""The ledger's head sealed into the log itself, once a school-local day per school: the
position and the SHA-256 chain head as of it (docs/reliability.md, "Tamper evidence"). A seal
recorded is a head published where a rewrite of the log after it must also rewrite it - and
a school's archive, which holds the school's events, carries its seals away.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid5

from ejournal.domain.base import JournalAggregate
from ejournal.domain.ids import NAMESPACE


def seal_id(school_id: UUID, day: date) -> UUID:
    """``uuid5(NAMESPACE, "ledger-seal/{school_id}/{day}")``: one seal per school and day."""
    return uuid5(NAMESPACE, f"ledger-seal/{school_id}/{day.isoformat()}")


class LedgerSeal(JournalAggregate):
    """One day's seal of the ledger's head for one school."""

    class Sealed(JournalAggregate.Created):
        """The daily ``LedgerSealed``: the chain's head as of ``position`` at ``sealed_at``."""

        school_id: UUID
        day: date
        position: int
        head: str
        sealed_at: datetime

    def __init__(self, school_id: UUID, day: date, position: int, head: str,
                 sealed_at: datetime) -> None:
        self.school_id = school_id
        self.day = day
        self.position = position
        self.head = head
        self.sealed_at = sealed_at

    @classmethod
    def seal(cls, *, school_id: UUID, day: date, position: int, head: str,
             at: datetime) -> LedgerSeal:
        if position < 0:
            raise ValueError("a log position is not negative")
        if len(head) != 64 or head.strip("0123456789abcdef"):
            raise ValueError("a head is 64 lower-case hex digits")
        return cls._start(cls.Sealed, id=seal_id(school_id, day), at=at, school_id=school_id,
                          day=day, position=position, head=head, sealed_at=at)
