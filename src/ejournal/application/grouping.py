"""Group commit: the events of commands that finish at the same moment go to the event store in
one transaction.

Every write to the log is serialised (PostgreSQL: eventsourcing's ``LOCK TABLE ... IN
EXCLUSIVE MODE`` until the commit, which waits for the WAL on disk; SQLite: the database's
write lock and its ``fsync``), so a server taking many writes at once spends its time queueing
for that one lock. Here a command that wants to save joins a queue; whoever finds no save
running becomes the leader and records everything queued so far in one transaction, then wakes
the others. Nobody waits for company: a lone command is recorded at once. The group's
transaction checks every command's guards (recorders.py).

Each command keeps its own outcome. The events of several commands are recorded together only
if all of them can be: when the joint transaction fails (two commands wrote the same aggregate
version, an idempotency receipt twice, the database refused), nothing of it was written, and
the leader records each command alone, so that each gets its own recordings or its own error
(a :class:`~eventsourcing.persistence.IntegrityError` to the one that conflicted, which then
retries as it always did). Only when the database itself is unreachable (``OperationalError``,
``InterfaceError``, after the event store's own retries) does every command of the group get
that error at once, instead of waiting for the same retries again one by one.

A command may have decided with what earlier commands queued here decided, before it was
committed (lanes.py): its ticket names them (``after``), it is queued after them, and it is
recorded only if all of them were - else it fails with :class:`Unrecorded`, a write conflict,
and runs again from a fresh load. Guards are checked against the log as committed, so a group
in which one command guards what another writes (or two guard one aggregate at different
versions) is recorded command by command, in order, where each guard meets the log as it then
stands.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    RecordConflictError,
    Recording,
)

#: The most commands recorded in one transaction.
MAX_GROUP = 64


class Unrecorded(RecordConflictError):
    """The command decided with changes of others that were not recorded: it runs again."""


@dataclass(eq=False)
class Ticket:
    """One command's save: its events, the tickets it must follow, and its outcome."""

    processing: ProcessingEvent[Any]
    after: Sequence[Ticket] = ()
    done: bool = False
    recordings: list[Recording[Any]] = field(default_factory=list)
    error: BaseException | None = None
    #: the aggregates whose lanes (lanes.py) hold what this ticket records
    published: list[UUID] = field(default_factory=list)

    def doomed(self) -> bool:
        """Failed, or follows (perhaps through others) one that failed: it will fail."""
        pending, seen = [self], set()
        while pending:
            ticket = pending.pop()
            if id(ticket) in seen:
                continue
            seen.add(id(ticket))
            if ticket.done:
                if ticket.error is not None:
                    return True
                continue  # recorded: so were the ones it followed
            pending.extend(ticket.after)
        return False


class GroupCommit:
    """Records :class:`ProcessingEvent` s, several in one transaction when they arrive
    together. ``record_one`` records one processing event's events, ``record_events`` a list
    of domain events, each in one transaction, returning their recordings in order (both the
    event store's ``put``). ``settled`` is told of every ticket once it is done."""

    def __init__(self, record_one: Callable[[ProcessingEvent[Any]], list[Recording[Any]]],
                 record_events: Callable[..., list[Recording[Any]]],
                 settled: Callable[[Ticket], None] | None = None) -> None:
        self._record_one = record_one
        self._record_events = record_events
        self._settled = settled
        self._changed = threading.Condition()
        self._queue: list[Ticket] = []
        self._leading = False
        #: how many groups of how many commands leaders took (for tests and benchmarks)
        self.groups: dict[int, int] = {}

    def record(self, processing: ProcessingEvent[Any], *, after: Sequence[Ticket] = (),
               queued: Callable[[Ticket], None] | None = None) -> list[Recording[Any]]:
        """Records the events once every ticket ``after`` names is done (in the same
        transaction, or after it); ``queued`` is called with the ticket as soon as it is in
        the queue, before it is recorded."""
        ticket = Ticket(processing, after=tuple(after))
        with self._changed:
            self._queue.append(ticket)
        if queued is not None:
            queued(ticket)
        with self._changed:
            self._until_done(ticket)
        if ticket.error is not None:
            raise ticket.error
        return ticket.recordings

    def recorded(self, tickets: Iterable[Ticket]) -> bool:
        """Waits until these tickets are done: True if all of them were recorded."""
        waited = list(tickets)
        with self._changed:
            for ticket in waited:
                self._until_done(ticket)
        return all(ticket.error is None for ticket in waited)

    def _until_done(self, ticket: Ticket) -> None:
        """Waits (holding ``_changed``), leading a group whenever nobody does."""
        while not ticket.done:
            if self._leading:
                self._changed.wait()
                continue
            self._leading = True
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
            self._changed.release()
            try:
                self._record_group(group)
            finally:
                self._changed.acquire()
                self._leading = False
                self._changed.notify_all()

    def _record_group(self, group: list[Ticket]) -> None:
        self.groups[len(group)] = self.groups.get(len(group), 0) + 1
        try:
            for ticket in group:  # in order: one that follows a failed one fails too
                if any(before.done and before.error is not None for before in ticket.after):
                    ticket.error = Unrecorded("decided with changes that were not recorded")
                    ticket.done = True
            rest = [ticket for ticket in group if not ticket.done]
            if len(rest) > 1 and _joint(rest):
                self._record_shared(rest)
            else:
                self._record_alone(rest)
        except BaseException as error:  # e.g. KeyboardInterrupt in the leader
            for ticket in group:
                if not ticket.done:
                    ticket.error, ticket.done = error, True
            raise
        finally:
            if self._settled is not None:
                for ticket in group:
                    if ticket.done:
                        self._settled(ticket)

    def _record_shared(self, group: list[Ticket]) -> None:
        try:
            self._record_together(group)
        except (InterfaceError, OperationalError) as error:
            # The database is unreachable or refused the work: it would refuse each command
            # alone too (after the same retries), so each gets this error.
            for ticket in group:
                ticket.error, ticket.done = error, True
        except Exception:  # noqa: BLE001 - nothing was written: each goes alone
            self._record_alone(group)

    def _record_together(self, group: list[Ticket]) -> None:
        events = [e for ticket in group for e in ticket.processing.events]
        guards: dict[Any, int] = {}
        for ticket in group:
            guards.update(_guards(ticket))
        recordings = self._record_events(events, guards=guards) if guards \
            else self._record_events(events)
        if len(recordings) != len(events):  # pragma: no cover - the store's own contract
            raise RuntimeError(f"{len(events)} events recorded, {len(recordings)} recordings")
        start = 0
        for ticket in group:
            end = start + len(ticket.processing.events)
            ticket.recordings, ticket.done = list(recordings[start:end]), True
            start = end

    def _record_alone(self, group: list[Ticket]) -> None:
        for ticket in group:
            try:
                if not all(before.done and before.error is None for before in ticket.after):
                    raise Unrecorded("decided with changes that were not recorded")
                ticket.recordings = self._record_one(ticket.processing)
            except Exception as error:  # noqa: BLE001 - it is the command's to raise
                ticket.error = error
            ticket.done = True


def _guards(ticket: Ticket) -> dict[Any, int]:
    return ticket.processing.saved_kwargs.get("guards") or {}


def _joint(group: list[Ticket]) -> bool:
    """Whether the group may go in one transaction: every ticket it follows is recorded or
    in the group, and no guard concerns an aggregate the group writes, nor one aggregate
    at two versions."""
    members = {id(ticket) for ticket in group}
    guarded: dict[Any, int] = {}
    for ticket in group:
        for before in ticket.after:
            if not (before.done and before.error is None) and id(before) not in members:
                return False
        for aggregate_id, version in _guards(ticket).items():
            if guarded.setdefault(aggregate_id, version) != version:
                return False
    if not guarded:
        return True
    return not any(e.originator_id in guarded for t in group for e in t.processing.events)
