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
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import InterfaceError, OperationalError, Recording

#: The most commands recorded in one transaction.
MAX_GROUP = 64


@dataclass(eq=False)
class _Ticket:
    processing: ProcessingEvent[Any]
    done: bool = False
    recordings: list[Recording[Any]] = field(default_factory=list)
    error: BaseException | None = None


class GroupCommit:
    """Records :class:`ProcessingEvent` s, several in one transaction when they arrive
    together. ``record_one`` records one processing event's events, ``record_events`` a list
    of domain events, each in one transaction, returning their recordings in order (both the
    event store's ``put``)."""

    def __init__(self, record_one: Callable[[ProcessingEvent[Any]], list[Recording[Any]]],
                 record_events: Callable[..., list[Recording[Any]]]) -> None:
        self._record_one = record_one
        self._record_events = record_events
        self._changed = threading.Condition()
        self._queue: list[_Ticket] = []
        self._leading = False
        #: how many groups of how many commands leaders took (for tests and benchmarks)
        self.groups: dict[int, int] = {}

    def record(self, processing: ProcessingEvent[Any]) -> list[Recording[Any]]:
        ticket = _Ticket(processing)
        with self._changed:
            self._queue.append(ticket)
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
        if ticket.error is not None:
            raise ticket.error
        return ticket.recordings

    def _record_group(self, group: list[_Ticket]) -> None:
        self.groups[len(group)] = self.groups.get(len(group), 0) + 1
        try:
            if len(group) > 1:
                self._record_shared(group)
            else:
                self._record_alone(group)
        except BaseException as error:  # e.g. KeyboardInterrupt in the leader
            for ticket in group:
                if not ticket.done:
                    ticket.error, ticket.done = error, True
            raise

    def _record_shared(self, group: list[_Ticket]) -> None:
        try:
            self._record_together(group)
        except (InterfaceError, OperationalError) as error:
            # The database is unreachable or refused the work: it would refuse each command
            # alone too (after the same retries), so each gets this error.
            for ticket in group:
                ticket.error, ticket.done = error, True
        except Exception:  # noqa: BLE001 - nothing was written: each goes alone
            self._record_alone(group)

    def _record_together(self, group: list[_Ticket]) -> None:
        events = [e for ticket in group for e in ticket.processing.events]
        guards: dict[Any, int] = {}
        for ticket in group:
            guards.update(ticket.processing.saved_kwargs.get("guards") or {})
        recordings = self._record_events(events, guards=guards) if guards \
            else self._record_events(events)
        if len(recordings) != len(events):  # pragma: no cover - the store's own contract
            raise RuntimeError(f"{len(events)} events recorded, {len(recordings)} recordings")
        start = 0
        for ticket in group:
            end = start + len(ticket.processing.events)
            ticket.recordings, ticket.done = list(recordings[start:end]), True
            start = end

    def _record_alone(self, group: list[_Ticket]) -> None:
        for ticket in group:
            try:
                ticket.recordings = self._record_one(ticket.processing)
            except Exception as error:  # noqa: BLE001 - it is the command's to raise
                ticket.error = error
            ticket.done = True
