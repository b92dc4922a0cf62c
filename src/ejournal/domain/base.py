"""The aggregate base of ejournal: every event carries ``by`` and a ``timestamp`` that the
command brought in (the domain never reads the clock)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate


class JournalAggregate(Aggregate):
    """Adds explicit recording times: ``timestamp`` is when the entry was recorded (UTC)."""

    @classmethod
    def _start(
        cls, created: type[Aggregate.Created], *, id: UUID, at: datetime, **fields: Any
    ) -> Self:
        _check_moment(at)
        return cls._create(created, id=id, timestamp=at, **fields)

    def _record(self, event_class: type[Aggregate.Event], *, at: datetime, **fields: Any) -> None:
        _check_moment(at)
        self.trigger_event(event_class, timestamp=at, **fields)


def _check_moment(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("recording times must be timezone-aware")
