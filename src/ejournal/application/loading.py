"""Loading a command's aggregates: one query for all of them, from a cache kept up to date.

A mark needs six aggregates (the actor, the journal, its class, year and school, and the
lesson). Loading them one by one costs six round trips, six decodings of their whole
histories, and six deep copies. Here they are loaded together: a cached aggregate is brought
up to date ("fast-forwarded") with the events recorded after its version, all of them fetched
in ONE statement, so another process's writes are always seen before a decision; the caller
gets its own copy to change. See docs/performance.md for what this bought.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Container, Iterable, Sequence
from dataclasses import is_dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, Recorder, StoredEvent

_IMMUTABLE = (str, int, float, bool, bytes, UUID, type(None), frozenset)


def copy_state(value: Any) -> Any:
    """A copy of aggregate state that shares only immutable values.

    Much cheaper than ``copy.deepcopy`` (which rebuilds every UUID): containers and mutable
    dataclasses are copied, everything immutable (UUIDs, strings, numbers, dates, enums,
    frozen dataclasses, tuples of those) is shared.
    """
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is dict:
        return {key: copy_state(item) for key, item in value.items()}
    if kind is list:
        return [copy_state(item) for item in value]
    if kind is set:
        return set(value)
    if kind in _MUTABLE_DATACLASSES or _is_mutable_dataclass(kind):
        clone = object.__new__(kind)
        clone.__dict__.update({k: copy_state(v) for k, v in value.__dict__.items()})
        return clone
    return value  # dates, datetimes, enums, frozen dataclasses, tuples of frozen values


_MUTABLE_DATACLASSES: set[type] = set()
_IMMUTABLE_CLASSES: set[type] = set()


def _is_mutable_dataclass(kind: type) -> bool:
    if kind in _IMMUTABLE_CLASSES:
        return False
    if is_dataclass(kind) and not kind.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        _MUTABLE_DATACLASSES.add(kind)
        return True
    _IMMUTABLE_CLASSES.add(kind)
    return False


def copy_aggregate(aggregate: Aggregate) -> Aggregate:
    clone = object.__new__(type(aggregate))
    state = {key: copy_state(item) for key, item in aggregate.__dict__.items()}
    state["_pending_events"] = []
    clone.__dict__.update(state)
    return clone


class AggregateLoader:
    """An LRU cache of aggregates, fast-forwarded in one statement per load."""

    def __init__(self, recorder: Recorder, mapper: Mapper[UUID], maxsize: int) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.maxsize = maxsize
        self._cache: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._lock = threading.Lock()
        dialect = type(recorder).__module__
        self._postgres = dialect.endswith("postgres")

    def load(self, ids: Iterable[UUID],
             read_only: Container[UUID] = ()) -> dict[UUID, Aggregate]:
        """These aggregates as they are now; unknown ids are left out.

        Each is the caller's own copy to change, except those named ``read_only``: they are
        the cached objects themselves, shared, and must not be changed."""
        wanted = list(dict.fromkeys(ids))
        with self._lock:
            cached = {i: self._cache[i] for i in wanted if i in self._cache}
        versions = {i: (cached[i].version if i in cached else 0) for i in wanted}
        newer = self._select_newer(versions)
        found: dict[UUID, Aggregate] = {}
        for aggregate_id in wanted:
            events = newer.get(aggregate_id, [])
            base = cached.get(aggregate_id)
            if not events:
                if base is not None:
                    found[aggregate_id] = (base if aggregate_id in read_only
                                           else copy_aggregate(base))
                continue
            current: Any = copy_aggregate(base) if base is not None else None
            for stored in events:
                # Every stored event is an aggregate event (a typing.Protocol isinstance check
                # here would cost a third of the replay).
                domain_event: Any = self.mapper.to_domain_event(stored)
                current = domain_event.mutate(current)
            self.remember(current)
            found[aggregate_id] = (current if aggregate_id in read_only
                                   else copy_aggregate(current))
        return found

    def forget(self, ids: Sequence[UUID]) -> None:
        with self._lock:
            for aggregate_id in ids:
                self._cache.pop(aggregate_id, None)

    def remember(self, aggregate: Aggregate) -> None:
        """Caches an aggregate as it now stands in the store (after a successful save)."""
        if self.maxsize <= 0:
            return
        with self._lock:
            known = self._cache.get(aggregate.id)
            if known is not None and known.version >= aggregate.version:
                return
            self._cache[aggregate.id] = aggregate
            self._cache.move_to_end(aggregate.id)
            while len(self._cache) > self.maxsize:
                self._cache.popitem(last=False)

    def _select_newer(self, versions: dict[UUID, int]) -> dict[UUID, list[StoredEvent]]:
        if not versions:
            return {}
        table = self.recorder.events_table_name  # type: ignore[attr-defined]
        datastore: Any = self.recorder.datastore  # type: ignore[attr-defined]
        found: dict[UUID, list[StoredEvent]] = {}
        if self._postgres:
            from psycopg.sql import SQL, Identifier

            where = SQL(" OR ").join(
                SQL("(originator_id = %s AND originator_version > %s)") for _ in versions)
            statement = SQL(
                "SELECT originator_id, originator_version, topic, state FROM {}.{} WHERE "
            ).format(Identifier(datastore.schema), Identifier(table)) + where + SQL(
                " ORDER BY originator_id, originator_version")
            params: list[Any] = [x for pair in versions.items() for x in pair]
            with datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement, params)
                rows = curs.fetchall()
            for row in rows:
                found.setdefault(row["originator_id"], []).append(StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"], state=bytes(row["state"])))
            return found
        where_sql = " OR ".join("(originator_id=? AND originator_version>?)" for _ in versions)
        sql_params: list[Any] = [x for i, v in versions.items() for x in (i.hex, v)]
        # One SELECT in autocommit mode is its own consistent snapshot: no BEGIN/ROLLBACK.
        with datastore.get_connection(commit=False) as conn:
            c = conn.cursor()
            c.execute(
                f"SELECT originator_id, originator_version, topic, state FROM {table} "  # noqa: S608
                f"WHERE {where_sql} ORDER BY originator_id, originator_version", sql_params)
            rows = c.fetchall()
        for row in rows:
            originator = UUID(row["originator_id"])
            found.setdefault(originator, []).append(StoredEvent(
                originator_id=originator, originator_version=row["originator_version"],
                topic=row["topic"], state=row["state"]))
        return found
