"""What a command's handler decides with: the aggregates as they are now (those it may change
as the command before it in their lanes left them: lanes.py), the moment the command is
recorded at, and the list of what it changed (saved together, in one transaction, by
``EJournal.execute``)."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from ejournal.application.eventstore import EventStore
from ejournal.application.lanes import Turn
from ejournal.application.loading import AggregateLoader, copy_aggregate
from ejournal.application.results import Result
from ejournal.domain.errors import NotFound
from ejournal.domain.people import User
from ejournal.domain.values import Actor

A = TypeVar("A", bound=Aggregate)
#: ``handler(command, uow) -> result``: decides, adds what it changed, answers.
Handler = Callable[[Any, "UnitOfWork"], Result]


class UnitOfWork:
    def __init__(self, loader: AggregateLoader, store: EventStore, now: datetime,
                 journal_refs: dict[UUID, tuple[UUID, UUID, UUID]],
                 new_id: UUID | None = None, turn: Turn | None = None, *,
                 trusting: bool = False) -> None:
        self.loader = loader
        #: cached aggregates are taken as they are, unchecked (loading.py): the save is
        #: conditional on each (``save_guards``), a refusal is told only once checked
        self.trusting = trusting
        #: what was taken unchecked, by the version taken
        self.unchecked: dict[UUID, int] = {}
        #: the lanes of what the command may change (None: no lanes, e.g. a dry run)
        self.turn = turn
        self.store = store
        self.now = now
        #: A journal's class, year and school never change: kept once read.
        self.journal_refs = journal_refs
        self._new_id = new_id
        self.added: list[Aggregate] = []
        #: Aggregates decided with but not changed, by the version read: the save is a write
        #: conflict (and the command runs again) if any has changed by then (recorders.py).
        self.guards: dict[UUID, int] = {}

    def add(self, *aggregates: Aggregate) -> None:
        """These are to be saved (their new events), with the others added, at once."""
        self.added.extend(aggregates)

    def guard(self, aggregate: Aggregate) -> None:
        """The command's outcome depends on ``aggregate`` as read: it must not change before
        the command's events are recorded."""
        self.guards[aggregate.id] = aggregate.version

    def load(self, cls: type[A], aggregate_id: UUID, what: str, field: str | None = None) -> A:
        """The aggregate, the caller's own copy; else ``NotFound`` naming ``what``."""
        return expect(self.load_all([aggregate_id]), cls, aggregate_id, what, field)

    def load_all(self, ids: Iterable[UUID],
                 read_only: Container[UUID] | bool = ()) -> dict[UUID, Aggregate]:
        """Those of these aggregates that exist, loaded together (see ``AggregateLoader``);
        those not ``read_only`` in their lanes (lanes.py), as the last command there left
        them."""
        unchecked = self.unchecked if self.trusting else None
        if self.turn is None or read_only is True:
            return self.loader.load(ids, read_only, unchecked)
        wanted = list(dict.fromkeys(ids))
        shared: Container[UUID] = read_only or ()
        writable = [i for i in wanted if i not in shared]
        # Read in place first: each one the command may change is copied once, from its
        # lane or from what was loaded.
        loaded = self.loader.load(wanted, read_only=True, unchecked=unchecked)
        self.turn.take(writable)
        from_lanes = self.turn.newest(loaded, writable)
        for aggregate_id in from_lanes:
            # as the command before it in the lane left it: recorded only after that one
            self.unchecked.pop(aggregate_id, None)
        for aggregate_id in writable:
            if aggregate_id in loaded and aggregate_id not in from_lanes:
                loaded[aggregate_id] = copy_aggregate(loaded[aggregate_id])
        return loaded

    def save_guards(self, to_save: Iterable[Aggregate]) -> dict[UUID, int]:
        """What the save must find unchanged: the guards, and each aggregate taken unchecked
        that the save does not write a next version of (that insert is its own check)."""
        written = {a.id for a in to_save if a.pending_events}
        guards = {i: v for i, v in self.unchecked.items() if i not in written}
        guards.update(self.guards)
        return guards

    def exists(self, aggregate_id: UUID) -> bool:
        return self.store.exists(aggregate_id)

    def existing(self, ids: Iterable[UUID]) -> set[UUID]:
        return self.store.existing(ids)

    def actor(self, user_id: UUID) -> Actor:
        """Who asks, as their account says now (never a role they are told)."""
        user = expect(self.load_all([user_id], read_only=True), User, user_id, "user")
        return Actor(user_id=user.id, role=user.role, school_id=user.school_id)

    def new_id(self) -> UUID:
        """The id for what the command creates: the caller's choice (``execute``'s
        ``new_id``), else a new one."""
        return self._new_id or uuid4()


def expect(loaded: dict[UUID, Aggregate], cls: type[A], aggregate_id: UUID, what: str,
           field: str | None = None) -> A:
    """``loaded[aggregate_id]`` if it is a ``cls``; else ``NotFound`` naming ``what``."""
    aggregate = loaded.get(aggregate_id)
    if not isinstance(aggregate, cls):
        raise NotFound(f"no {what} {aggregate_id}", field=field)
    return aggregate
