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

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

#: The keyword argument of ``Application.save`` (and so of ``insert_events``).
GUARDS = "guards"


def _refuse(stale: Mapping[UUID, int], latest: Mapping[UUID, int]) -> None:
    changed = sorted(str(a) for a, v in stale.items() if latest.get(a, 0) != v)
    if changed:
        raise IntegrityError(f"changed since the command read them: {', '.join(changed)}")


class GuardedPostgresRecorder(PostgresApplicationRecorder):
    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                              **kwargs: Any) -> None:
        guards: Mapping[UUID, int] | None = kwargs.get(GUARDS)
        if guards:
            # Locked first (the insert locks again, a no-op), so the check sees every commit;
            # an error here leaves nothing inserted in the transaction the caller commits.
            self._lock_table(curs)
            curs.execute(SQL(
                "SELECT originator_id, MAX(originator_version) AS v FROM {}.{} "
                "WHERE originator_id = ANY(%s) GROUP BY originator_id").format(
                Identifier(self.datastore.schema), Identifier(self.events_table_name)),
                [list(guards)])
            _refuse(guards, {UUID(str(r["originator_id"])): r["v"] for r in curs.fetchall()})
        super()._insert_stored_events(curs, stored_events, **kwargs)


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
