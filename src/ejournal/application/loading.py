"""The one aggregate loader: many aggregates in one query, from a cache kept up to date.

A mark needs six aggregates (the actor, the journal, its class, year and school, and the
lesson); the scheduler a school's thousands. A cached aggregate is brought up to date
("fast-forwarded") with the events recorded after its version, fetched for all of them together
(``EventStore.newer``), so another process's writes are always seen before a decision; a caller
that changes an aggregate gets its own copy. See docs/performance.md for what this bought.

A command may skip the fast-forward (``unchecked``): it gets the cached aggregates as they are
and must make its save conditional on each of them (a guard, recorders.py, or its own next
version) - a decision on a stale one is then a write conflict and runs again, checked. To keep
such conflicts rare, the loader knows how far its cache follows the log (``head``): this
process's saves move it (``committed``), and what other processes wrote in between, seen as a
gap in the log's positions, is asked for by position and those aggregates are fast-forwarded
at their next load, even an unchecked one (``dirty``). After such a gap the next loads are all
checked, until a save finds no gap again (``alone``): with other writers busy (several
workers), an unchecked aggregate would often be stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Container, Iterable, Sequence
from dataclasses import is_dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper

from ejournal.application.eventstore import EventStore

#: Types whose values are shared, not copied: immutable ones, and those learned to be (dates,
#: enums, frozen dataclasses, tuples of frozen values).
_SHARED: set[type] = {str, int, float, bool, bytes, UUID, type(None), frozenset}
_MUTABLE_DATACLASSES: set[type] = set()


def copy_state(value: Any) -> Any:
    """A copy of aggregate state that shares only immutable values.

    Much cheaper than ``copy.deepcopy`` (which rebuilds every UUID): containers and mutable
    dataclasses are copied, everything immutable (UUIDs, strings, numbers, dates, enums,
    frozen dataclasses, tuples of those) is shared - a container's shared items without a
    call each (a lesson's marks are most of a lesson).
    """
    kind = type(value)
    if kind in _SHARED:
        return value
    if kind is dict:
        return {key: item if type(item) in _SHARED else copy_state(item)
                for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _SHARED else copy_state(item) for item in value]
    if kind is set:
        return set(value)
    if kind in _MUTABLE_DATACLASSES or (
            is_dataclass(kind) and not getattr(kind, "__dataclass_params__").frozen):  # noqa: B009
        _MUTABLE_DATACLASSES.add(kind)
        clone = object.__new__(kind)
        clone.__dict__.update({k: copy_state(v) for k, v in value.__dict__.items()})
        return clone
    _SHARED.add(kind)  # dates, datetimes, enums, frozen dataclasses, tuples of frozen values
    return value


def copy_aggregate(aggregate: Aggregate) -> Aggregate:
    clone = object.__new__(type(aggregate))
    state = {key: item if type(item) in _SHARED else copy_state(item)
             for key, item in aggregate.__dict__.items()}
    state["_pending_events"] = []
    clone.__dict__.update(state)
    return clone


class AggregateLoader:
    """An LRU cache of aggregates, fast-forwarded in one query per load."""

    def __init__(self, store: EventStore, mapper: Mapper[UUID], maxsize: int) -> None:
        self.store = store
        self.mapper = mapper
        self.maxsize = maxsize
        self._cache: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._lock = threading.Lock()
        #: every cached aggregate not ``dirty`` holds the log's events through ``head``
        self.head: int | None = None
        #: aggregates that others wrote after they were cached, by a mark's number
        self.dirty: dict[UUID, int] = {}
        #: this process's last save found nobody else's write before it: the cache is worth
        #: trusting (with other writers busy, an unchecked aggregate is often stale)
        self.alone = True
        self._marks = 0

    def follow(self) -> None:
        """From now on the cache follows the log (it is empty, or every aggregate in it is
        current as of now)."""
        head = self.store.head()
        with self._lock:
            self.head = head or 0

    def committed(self, positions: Sequence[int]) -> None:
        """This process recorded events at ``positions`` (one transaction, holding the log's
        write lock): what was recorded since ``head`` and before them is someone else's."""
        if not positions or self.head is None:
            return
        first, last = min(positions), max(positions)
        self.alone = True
        if first > self.head + 1:  # else nobody wrote in between
            others = self.store.written_between(self.head, first)
            self.alone = not others  # (a gap may be a failed insert's)
            with self._lock:
                for aggregate_id in others:
                    if aggregate_id in self._cache:  # else its next load reads it whole
                        self._marks += 1
                        self.dirty[aggregate_id] = self._marks
        with self._lock:
            self.head = max(self.head, last)

    def load(self, ids: Iterable[UUID], read_only: Container[UUID] | bool = (),
             unchecked: dict[UUID, int] | None = None) -> dict[UUID, Aggregate]:
        """These aggregates as they are now; unknown ids are left out.

        Each is the caller's own copy to change, except those named ``read_only`` (or all,
        with ``True``): they are the cached objects themselves, shared, and must not be
        changed. With ``unchecked`` (while the cache follows the log), cached aggregates that
        nobody else is known to have written are not fast-forwarded: each goes into
        ``unchecked`` with the version given, for the caller's save to be conditional on."""
        wanted = list(dict.fromkeys(ids))
        shared: Container[UUID] = _All() if read_only is True else read_only or ()
        with self._lock:
            cached = {i: self._cache[i] for i in wanted if i in self._cache}
            for aggregate_id in cached:
                self._cache.move_to_end(aggregate_id)
            trusted = ({i: a.version for i, a in cached.items() if i not in self.dirty}
                       if unchecked is not None and self.head is not None and self.alone
                       else {})
            marks = {i: self.dirty[i] for i in wanted if i in self.dirty}
        asked = {i: (cached[i].version if i in cached else 0) for i in wanted
                 if i not in trusted}
        newer = self.store.newer(asked) if asked else {}
        if unchecked is not None:
            unchecked.update(trusted)
        if marks:
            with self._lock:  # fast-forwarded now (a mark made meanwhile stays)
                for aggregate_id, mark in marks.items():
                    if self.dirty.get(aggregate_id) == mark:
                        del self.dirty[aggregate_id]
        found: dict[UUID, Aggregate] = {}
        updated: list[Aggregate] = []
        for aggregate_id in wanted:
            events = newer.get(aggregate_id)
            current: Any = cached.get(aggregate_id)
            if events:
                current = copy_aggregate(current) if current is not None else None
                for stored in events:
                    # Every stored event is an aggregate event (a typing.Protocol isinstance
                    # check here would cost a third of the replay).
                    domain_event: Any = self.mapper.to_domain_event(stored)
                    current = domain_event.mutate(current)
                updated.append(current)
            if current is not None:
                found[aggregate_id] = (current if aggregate_id in shared
                                       else copy_aggregate(current))
        self.remember(*updated, keep=len(wanted))
        return found

    def version(self, aggregate_id: UUID) -> int | None:
        """The version of the aggregate this process last knew; None when it is not cached or
        another process is known to have moved it since (what the kept principals and
        journals are checked against)."""
        found = self._cache.get(aggregate_id)
        return None if found is None or aggregate_id in self.dirty else found.version

    def forget(self, ids: Sequence[UUID]) -> None:
        with self._lock:
            for aggregate_id in ids:
                self._cache.pop(aggregate_id, None)
                self.dirty.pop(aggregate_id, None)

    def remember(self, *aggregates: Aggregate, keep: int = 0) -> None:
        """Caches aggregates as they now stand in the store (after a load or a successful
        save); the least recently used go once more than ``maxsize`` (or ``keep``, which a
        load of more aggregates than that sets) are kept."""
        if self.maxsize <= 0:
            return
        with self._lock:
            for aggregate in aggregates:
                known = self._cache.get(aggregate.id)
                if known is not None and known.version >= aggregate.version:
                    continue
                self._cache[aggregate.id] = aggregate
                self._cache.move_to_end(aggregate.id)
            while len(self._cache) > max(self.maxsize, keep):
                self._cache.popitem(last=False)

    def replay(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        """These aggregates replayed from their whole histories, bypassing the cache (for
        aggregates read once, such as a day's lessons); unknown ids are left out."""
        found: dict[UUID, Aggregate] = {}
        current: Any = None
        for stored in self.store.events(ids):
            if current is not None and current.id != stored.originator_id:
                found[current.id] = current
                current = None
            event: Any = self.mapper.to_domain_event(stored)
            current = event.mutate(current)
        if current is not None:
            found[current.id] = current
        return found


class _All:
    """Contains everything (``read_only=True``: every aggregate is shared)."""

    def __contains__(self, item: object) -> bool:
        return True
