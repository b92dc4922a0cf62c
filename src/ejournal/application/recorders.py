"""The library's recorders with one addition: a save may name aggregates it decided with but does
not change (``guards``: id → the version it read), and is refused with a write conflict when
any of them has a newer event by the time its transaction holds the log's write lock.

A journal entry reads the academic year to learn that its date is in no closed period (R-3.4b)
but writes only the lesson: without the guard, a close recorded between the entry's check and
its commit would not stop it. With it, that entry loses the race, runs again from a fresh
load (retries.py) and is refused. The check runs while the log's write lock is held -
PostgreSQL's table lock (taken first), SQLite's database write lock (taken by the first
insert) - so no event can be recorded between the check and the commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import retry
from psycopg.pq import TransactionStatus
from psycopg.sql import SQL, Composable, Identifier

#: The keyword argument of ``Application.save`` (and so of ``insert_events``).
GUARDS = "guards"
_BEGIN, _COMMIT, _ROLLBACK = SQL("BEGIN"), SQL("COMMIT"), SQL("ROLLBACK")


def _refuse(stale: Mapping[UUID, int], latest: Mapping[UUID, int], *,
            always: bool = False) -> None:
    """``always``: the insert was refused already; this only names what changed."""
    changed = sorted(str(a) for a, v in stale.items() if latest.get(a, 0) != v)
    if changed or always:
        raise IntegrityError("changed since the command read them: "
                             f"{', '.join(changed or sorted(map(str, stale)))}")


class GuardedPostgresRecorder(PostgresApplicationRecorder):
    """A save is one round trip: ``BEGIN``, the library's lock statements (its lock timeout
    and ``LOCK TABLE ... IN EXCLUSIVE MODE``, held until the commit, so positions are given
    in commit order), ``NOTIFY``, the insert and ``COMMIT`` sent together in a pipeline. The
    guards are a condition of the insert itself: it inserts nothing when any guarded
    aggregate's last version is not the one given, and the save is then refused."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        table = SQL("{}.{}").format(Identifier(self.datastore.schema),
                                    Identifier(self.events_table_name))
        self._guarded_insert = SQL(
            "INSERT INTO {table} (originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state "
            "FROM unnest(%s::{schema}.{event}[]) "
            "WHERE NOT EXISTS (SELECT 1 FROM unnest(%s::{id}[], %s::bigint[]) AS g(id, v) "
            "WHERE COALESCE((SELECT MAX(e.originator_version) FROM {table} e "
            "WHERE e.originator_id = g.id), 0) <> g.v) "
            "RETURNING notification_id").format(
            table=table, schema=Identifier(self.datastore.schema),
            event=Identifier(self.stored_event_type_name),
            id=SQL(self.datastore.originator_id_type))
        self._latest = SQL(
            "SELECT originator_id, MAX(originator_version) AS v FROM {} "
            "WHERE originator_id = ANY(%s) GROUP BY originator_id").format(table)
        self._notify = SQL("NOTIFY {}").format(Identifier(self.channel_name))
        self._statements: list[bytes] = []

    def _before_insert(self, conn: psycopg.Connection[Any]) -> list[bytes]:
        """BEGIN, the lock statements and NOTIFY; rendered once (psycopg would compose each
        one again at every call)."""
        if not self._statements:
            self._statements = [_rendered(s, conn) for s in (
                _BEGIN, *self.lock_table_statements, self._notify, self._guarded_insert,
                _COMMIT)]
        return self._statements[:-2]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return None
        guards: Mapping[UUID, int] = kwargs.get(GUARDS) or {}
        events = [self.construct_pg_stored_event(e.originator_id, e.originator_version,
                                                 e.topic, e.state) for e in stored_events]
        failed: psycopg.Error | None = None
        with self.datastore.get_connection() as conn:
            curs, inserted = conn.cursor(), conn.cursor()
            try:
                # Sent at once; leaving the pipeline syncs and reads every result.
                with conn.pipeline():
                    for statement in self._before_insert(conn):
                        curs.execute(statement, prepare=True)
                    inserted.execute(self._statements[-2],
                                     (events, list(guards), list(guards.values())),
                                     prepare=True)
                    curs.execute(self._statements[-1], prepare=True)
            except psycopg.Error as error:
                failed = error
            if failed is not None:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute(_ROLLBACK)
                raise failed  # the datastore names it as the library's error
            ids = [row["notification_id"] for row in inserted.fetchall()]
            if len(ids) != len(events):
                with conn.cursor() as curs:
                    curs.execute(self._latest, [list(guards)])
                    _refuse(guards, {UUID(str(r["originator_id"])): r["v"]
                                     for r in curs.fetchall()}, always=True)
        return ids


def _rendered(statement: object, conn: psycopg.Connection[Any]) -> bytes:
    if isinstance(statement, Composable):
        return statement.as_bytes(conn)
    if isinstance(statement, bytes | str):
        return statement if isinstance(statement, bytes) else statement.encode()
    raise TypeError(f"not a statement: {statement!r}")  # pragma: no cover


class GuardedSQLiteRecorder(SQLiteApplicationRecorder):
    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        # Inserted first: the insert takes the database's write lock (a deferred transaction
        # reading first could not take it once another had written), then the check; its
        # error rolls the transaction back.
        returning = super()._insert_events(c, stored_events, **kwargs)
        guards: Mapping[UUID, int] | None = kwargs.get(GUARDS)
        if guards and stored_events:
            ids = list(guards)
            c.execute(f"SELECT originator_id, MAX(originator_version) FROM "  # noqa: S608
                      f"{self.events_table_name} WHERE originator_id IN "
                      f"({','.join('?' * len(ids))}) GROUP BY originator_id",
                      [a.hex for a in ids])
            _refuse(guards, {UUID(row[0]): row[1] for row in c.fetchall()})
        return returning


TOPICS = {
    "eventsourcing.postgres": f"{__name__}:{GuardedPostgresRecorder.__name__}",
    "eventsourcing.sqlite": f"{__name__}:{GuardedSQLiteRecorder.__name__}",
}
