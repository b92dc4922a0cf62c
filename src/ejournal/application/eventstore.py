"""Every SELECT over the event store's table that the library's recorder does not offer.

Each reads many aggregates in a few statements: an index lookup per id, chunked to what the
database takes in one statement. Rows come back as the library's ``StoredEvent`` (for its
mapper to decode) ordered by aggregate and version, or by log position where that is asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

COLUMNS = "originator_id, originator_version, topic, state"
#: A row of the log as stored: position, originator id, version, topic, state.
LogRow = tuple[Any, ...]
#: Ids per statement: one ``(id = ? AND version > ?)`` term each on SQLite (which refuses an
#: expression deeper than 1,000 terms), 900 ``IN`` parameters, 5,000 in a PostgreSQL array.
SQLITE_TERMS, SQLITE_IDS, POSTGRES_IDS = 400, 900, 5000
#: On PostgreSQL an ``OR`` of more terms than this is planned as a scan of the whole table
#: (99 ms for 400 ids over 34,000 events, growing with the log): above it, ``= ANY(...)``.
POSTGRES_TERMS = 32


class EventStore:
    """Reads of the event store of one application (SQLite or PostgreSQL)."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        if isinstance(recorder, PostgresApplicationRecorder):
            self.postgres = True
            self._pg = recorder
        elif isinstance(recorder, SQLiteApplicationRecorder):
            self.postgres = False
            self._lite = recorder
        else:  # pragma: no cover - storage.persistence_env selects one of the two
            raise TypeError(f"unsupported event store {type(recorder).__name__}")
        self.recorder = recorder

    # --- what is asked -----------------------------------------------------------------

    def newer(self, versions: dict[UUID, int]) -> dict[UUID, list[StoredEvent]]:
        """The events of these aggregates after these versions (0: all), by aggregate."""
        found: dict[UUID, list[StoredEvent]] = {}
        if not versions:
            return found
        items = list(versions.items())
        if not self.postgres:
            for i in range(0, len(items), SQLITE_TERMS):
                terms = items[i:i + SQLITE_TERMS]
                ors = " OR ".join("(originator_id=? AND originator_version>?)" for _ in terms)
                rows = self._sqlite(f"WHERE {ors}", [x for a, v in terms for x in (a.hex, v)])
                _group(rows, found)
        elif len(items) <= POSTGRES_TERMS:
            where = SQL(" OR ").join(
                SQL("(originator_id = %s AND originator_version > %s)") for _ in items)
            _group(self._postgres(SQL("WHERE ") + where, [x for pair in items for x in pair]),
                   found)
        else:
            # ``version > the lowest`` keeps it a bitmap scan of the primary key (a join of
            # the ids to the events, even LATERAL, is planned as a scan of the whole table);
            # each id's own version is applied here.
            for i in range(0, len(items), POSTGRES_IDS):
                chunk = dict(items[i:i + POSTGRES_IDS])
                rows = self._postgres(
                    SQL("WHERE originator_id = ANY(%s) AND originator_version > %s"),
                    [list(chunk), min(chunk.values())])
                _group([e for e in rows if e.originator_version > chunk[_uuid(e.originator_id)]],
                       found)
        return found

    def events(self, aggregate_ids: Iterable[UUID], *,
               first_only: bool = False) -> list[StoredEvent]:
        """The stored events of these aggregates (only their first, with ``first_only``),
        ordered by aggregate and version."""
        wanted = list(dict.fromkeys(aggregate_ids))
        found: list[StoredEvent] = []
        if self.postgres:
            first = SQL("originator_version = 1 AND ") if first_only else SQL("")
            for i in range(0, len(wanted), POSTGRES_IDS):
                found += self._postgres(SQL("WHERE ") + first + SQL("originator_id = ANY(%s)"),
                                        [wanted[i:i + POSTGRES_IDS]])
            return found
        first_sql = "originator_version = 1 AND " if first_only else ""
        for i in range(0, len(wanted), SQLITE_IDS):
            chunk = wanted[i:i + SQLITE_IDS]
            found += self._sqlite(
                f"WHERE {first_sql}originator_id IN ({','.join('?' * len(chunk))})",
                [x.hex for x in chunk])
        return found

    def existing(self, aggregate_ids: Iterable[UUID]) -> set[UUID]:
        """Which of these aggregates exist (have a first event), without reading them."""
        return {_uuid(e.originator_id) for e in self.events(aggregate_ids, first_only=True)}

    def exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, desc=True, limit=1))

    def in_log_order(self, aggregate_ids: Iterable[UUID]) -> list[tuple[int, StoredEvent]]:
        """The stored events of these aggregates with their log positions, in log order."""
        wanted = sorted(set(aggregate_ids))
        found: list[tuple[int, StoredEvent]] = []
        if self.postgres:
            for i in range(0, len(wanted), POSTGRES_IDS):
                found += self._postgres_positioned([wanted[i:i + POSTGRES_IDS]])
        else:
            for i in range(0, len(wanted), SQLITE_IDS):
                chunk = wanted[i:i + SQLITE_IDS]
                found += self._sqlite_positioned(
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))})",
                    [x.hex for x in chunk])
        found.sort(key=lambda pair: pair[0])
        return found

    def head(self) -> int | None:
        """The log position of the last event recorded (None for an empty log)."""
        return self.recorder.max_notification_id()

    def written_between(self, after: int, before: int) -> set[UUID]:
        """The aggregates with events at log positions after ``after`` and before ``before``."""
        if self.postgres:
            statement = SQL("SELECT DISTINCT originator_id FROM {}.{} WHERE notification_id > %s "
                            "AND notification_id < %s").format(
                Identifier(self._pg.datastore.schema), Identifier(self._pg.events_table_name))
            with self._pg.datastore.get_connection() as pg_conn, \
                    pg_conn.cursor(row_factory=tuple_row) as pg_curs:
                pg_curs.execute(statement, (after, before))
                return {_uuid(row[0]) for row in pg_curs.fetchall()}
        lite_statement = (f"SELECT DISTINCT originator_id FROM "  # noqa: S608
                          f"{self._lite.events_table_name} WHERE rowid > ? AND rowid < ?")
        with self._lite.datastore.get_connection(commit=False) as lite:
            cursor = lite.cursor()
            cursor.execute(lite_statement, (after, before))
            return {_uuid(row[0]) for row in cursor.fetchall()}

    def rows(self, after: int, limit: int, upto: int | None = None) -> list[LogRow]:
        """Up to ``limit`` rows of the log after position ``after`` (through ``upto``), in log
        order, exactly as stored: ``(position, originator id, version, topic, state)``. On
        PostgreSQL the id is a ``UUID`` and the topic text; on SQLite the id and the topic are
        the bytes of their stored text, and a value of another storage class than the event
        store writes (e.g. a version stored as text) is None. Nothing is decoded."""
        last = upto if upto is not None else 2 ** 63 - 1
        if self.postgres:
            pg_statement = SQL(
                "SELECT notification_id, {} FROM {}.{} WHERE notification_id > %s "
                "AND notification_id <= %s ORDER BY notification_id LIMIT %s"
            ).format(SQL(COLUMNS), Identifier(self._pg.datastore.schema),
                     Identifier(self._pg.events_table_name))
            with self._pg.datastore.get_connection() as pg_conn, \
                    pg_conn.cursor(row_factory=tuple_row, binary=True) as pg_curs:
                pg_curs.execute(pg_statement, (after, last, limit))
                return pg_curs.fetchall()
        statement = (
            "SELECT rowid, "  # noqa: S608 - the table's name is the recorder's
            "CASE typeof(originator_id) WHEN 'text' THEN CAST(originator_id AS BLOB) END, "
            "CASE typeof(originator_version) WHEN 'integer' THEN originator_version END, "
            "CASE typeof(topic) WHEN 'text' THEN CAST(topic AS BLOB) END, "
            "CASE typeof(state) WHEN 'blob' THEN state END "
            f"FROM {self._lite.events_table_name} WHERE rowid > ? AND rowid <= ? "
            "ORDER BY rowid LIMIT ?")
        with self._lite.datastore.get_connection(commit=False) as lite, \
                lite.cursor() as cursor:
            cursor.row_factory = None  # plain tuples: the ledger reads the whole log
            cursor.execute(statement, (after, last, limit))
            found: list[LogRow] = cursor.fetchall()
            return found

    # --- how, per database -------------------------------------------------------------

    def _pg_statement(self, columns: str, where: Composed | SQL) -> Composed:
        table = SQL("SELECT {} FROM {}.{} ").format(
            SQL(columns),
            Identifier(self._pg.datastore.schema), Identifier(self._pg.events_table_name))
        return table + where + SQL(" ORDER BY originator_id, originator_version")

    def _postgres(self, where: Composed | SQL, params: Sequence[Any]) -> list[StoredEvent]:
        with self._pg.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._pg_statement(COLUMNS, where), params)
            return [StoredEvent(originator_id=row["originator_id"],
                                originator_version=row["originator_version"],
                                topic=row["topic"], state=bytes(row["state"]))
                    for row in curs.fetchall()]

    def _postgres_positioned(self, params: Sequence[Any]) -> list[tuple[int, StoredEvent]]:
        statement = SQL("SELECT notification_id, {} FROM {}.{} WHERE originator_id = ANY(%s)"
                        ).format(SQL(COLUMNS), Identifier(self._pg.datastore.schema),
                                 Identifier(self._pg.events_table_name))
        with self._pg.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params)
            return [(row["notification_id"],
                     StoredEvent(originator_id=row["originator_id"],
                                 originator_version=row["originator_version"],
                                 topic=row["topic"], state=bytes(row["state"])))
                    for row in curs.fetchall()]

    def _sqlite(self, where: str, params: Sequence[Any]) -> list[StoredEvent]:
        return [stored for _, stored in self._sqlite_positioned(where, params, by_aggregate=True)]

    def _sqlite_positioned(self, where: str, params: Sequence[Any], *,
                           by_aggregate: bool = False) -> list[tuple[int, StoredEvent]]:
        order = "originator_id, originator_version" if by_aggregate else "rowid"
        statement = (f"SELECT rowid, {COLUMNS} FROM {self._lite.events_table_name} "  # noqa: S608
                     f"{where} ORDER BY {order}")
        # One SELECT in autocommit mode is its own consistent snapshot: no BEGIN/ROLLBACK.
        with self._lite.datastore.get_connection(commit=False) as conn:
            cursor = conn.cursor()
            cursor.execute(statement, params)
            rows = cursor.fetchall()
        return [(row["rowid"],
                 StoredEvent(originator_id=UUID(row["originator_id"]),
                             originator_version=row["originator_version"],
                             topic=row["topic"], state=row["state"]))
                for row in rows]


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _group(rows: Iterable[StoredEvent], into: dict[UUID, list[StoredEvent]]) -> None:
    for row in rows:
        into.setdefault(_uuid(row.originator_id), []).append(row)
