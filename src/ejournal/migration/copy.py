"""``ejournal migrate``: copies a first-schema (v1) event log into a new, empty database as the
second schema records it, in the same order, with the same ids and versions; then the
accounts' credentials and audit. The old database is only read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from sqlalchemy import insert, select

from ejournal.accounts import Accounts, audit, credentials
from ejournal.application import EJournal
from ejournal.application.schema import is_first_schema
from ejournal.application.storage import persistence_env
from ejournal.domain.base import SchemaV2
from ejournal.domain.transcodings import transcodings
from ejournal.migration.transform import Transformer
from ejournal.projections.base import create_read_engine
from ejournal.settings import Settings

PAGE = 5000


class _OldLog(Application[UUID]):
    """The old database's log, read as stored rows (never as events of today's classes)."""

    name = "ejournal"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in transcodings():
            transcoder.register(transcoding)


@dataclass(frozen=True)
class Migrated:
    events: int
    credentials: int


class MigrationRefused(ValueError):
    """The migration cannot run as asked (nothing was written)."""


def migrate(source: Settings, target: Settings) -> Migrated:
    """Copies the v1 log of ``source`` into ``target``, which must hold no events yet. The
    events are written in one transaction: the target holds all of them or none."""
    env = persistence_env(source)
    env["CREATE_TABLE"] = "n"
    old = _OldLog(env=env)
    new = EJournal(target)
    try:
        if not is_first_schema(old.recorder):
            raise MigrationRefused("the source log is not of the first event schema: "
                                   "there is nothing to migrate")
        if new.recorder.max_notification_id():
            raise MigrationRefused("the target database holds events already; migrate into "
                                   "a new, empty database")
        stored = list(_transformed(old, new))
        new.recorder.insert_events(stored)
    finally:
        old.close()
        new.close()
    return Migrated(len(stored), _copy_accounts(source, target))


def _transformed(old: _OldLog, new: EJournal) -> Iterator[StoredEvent]:
    transformer = Transformer()
    decode = old.mapper.transcoder.decode
    start = 1
    while True:
        page = old.recorder.select_notifications(start=start, limit=PAGE)
        if not page:
            return
        for row in page:
            originator_id = UUID(str(row.originator_id))
            cls = resolve_topic(row.topic)
            state = transformer.state(get_topic(cls), originator_id, decode(row.state))
            _upcast(cls, state)
            if "originator_topic" in state:  # creating events: the aggregate's class
                state["originator_topic"] = get_topic(resolve_topic(state["originator_topic"]))
            state["originator_id"] = originator_id
            state["originator_version"] = row.originator_version
            event = object.__new__(cls)
            object.__setattr__(event, "__dict__", state)
            yield new.mapper.to_stored_event(event)
        start = page[-1].id + 1


def _upcast(cls: type, state: dict[str, Any]) -> None:
    """A class changed since (not by the second schema, whose shapes the transformer writes)
    brought up to its version, as the application would read it."""
    if issubclass(cls, SchemaV2):
        return
    version = state.pop("class_version", 1)
    while version < getattr(cls, "class_version", 1):
        getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
        version += 1


def _copy_accounts(source: Settings, target: Settings) -> int:
    """The accounts' credentials and their audit, as they were (tokens are not copied: every
    user logs in again)."""
    old = create_read_engine(source)
    accounts = Accounts(create_read_engine(target, writer=True))
    try:
        accounts.setup()
        with old.connect() as conn:
            tables = set(old.dialect.get_table_names(conn))
            rows = {table: [dict(r._mapping) for r in conn.execute(select(table))]
                    for table in (credentials, audit) if table.name in tables}
        with accounts.engine.begin() as conn:
            for table, found in rows.items():
                if found:
                    conn.execute(insert(table), found)
        return len(rows.get(credentials, []))
    finally:
        old.dispose()
        accounts.engine.dispose()
