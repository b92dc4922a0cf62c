"""The aggregate base of ejournal: every event carries ``by`` and a ``timestamp`` that the
command brought in (the domain never reads the clock), and the mark of the event schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate

MIGRATE_COMMAND = "ejournal migrate"


class FirstSchemaLog(RuntimeError):
    """The event log was written by the first event schema, whose events lack facts that
    today's readers need; ``ejournal migrate`` copies it into a new database."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "this event log was written by the first event schema (v1) and cannot be read "
            f"as it is; copy it into a new database with `{MIGRATE_COMMAND} --from <old "
            f"database URL> --to <new database URL>`{': ' + detail if detail else ''}")


class SchemaV2:
    """Mixed into an event class whose stored shape is the second schema's. A row of the
    first schema (no ``class_version``) is refused on read, never misread."""

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        raise FirstSchemaLog()


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
