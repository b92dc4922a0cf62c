"""Lanes: commands on one aggregate in one process take turns, and each decides with the
aggregate as the one before it left it - before that is committed.

A command that loads an aggregate to change it takes the aggregate's lane, waiting while
another command holds it, and keeps it until its events are queued for the event store
(grouping.py), not until they are committed. The next command in the lane decides with the
aggregate as queued (when that is newer than what it loaded) and is queued after it: the two
are recorded in one group transaction, or one after the other. So the writers of one lesson
neither race each other (and retry) nor wait a commit each.

What such a command decided rests on changes not committed yet, so its outcome waits for them:
- its events are recorded only if every command whose changes it took was recorded; else it
  is a write conflict (``grouping.Unrecorded``) and it runs again from a fresh load;
- a refusal (or any error) it met is told once those commands are recorded; if one was not,
  the command runs again instead (``EJournal.execute``).
Commands in other processes take no lane here: a write of theirs in between is a write
conflict, as it always was.

Lanes are taken in the order of their ids when one load asks for several, so two commands
never wait for each other; a command that already holds lanes and finds another one taken does
not wait but runs again (``LaneTaken``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError

from ejournal.application.grouping import Ticket
from ejournal.application.loading import copy_aggregate


class LaneTaken(RecordConflictError):
    """A command holding lanes found another taken: it lets go of them all and runs again."""


class _Lane:
    __slots__ = ("latest", "lock", "ticket", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: commands holding or waiting for the lane (it goes when none is left, nothing queued)
        self.users = 0
        #: the aggregate as the last command in the lane left it
        self.latest: Aggregate | None = None
        #: the ticket recording ``latest``, until it is done
        self.ticket: Ticket | None = None


class Lanes:
    """The lanes of one application; each thread's current turn."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lanes: dict[UUID, _Lane] = {}
        self._local = threading.local()

    @contextmanager
    def turn(self) -> Iterator[Turn]:
        """One attempt of a command: the lanes it takes are let go of at the end, if its
        save has not let go of them already."""
        turn = Turn(self)
        self._local.turn = turn
        try:
            yield turn
        finally:
            self._local.turn = None
            turn.release()

    def current(self) -> Turn | None:
        """The turn of the command this thread is running, if any."""
        turn: Turn | None = getattr(self._local, "turn", None)
        return turn

    def settled(self, ticket: Ticket) -> None:
        """``ticket`` is done: the lanes it left stand on the log as committed (or, if it
        failed, on nothing of its own)."""
        with self._lock:
            for aggregate_id in ticket.published:
                lane = self._lanes.get(aggregate_id)
                if lane is None or lane.ticket is not ticket:
                    continue
                lane.ticket = None
                if ticket.error is not None:
                    lane.latest = None
                if lane.users == 0:
                    del self._lanes[aggregate_id]

    def __len__(self) -> int:
        """Lanes kept now (for tests: none once every command is done)."""
        with self._lock:
            return len(self._lanes)


class Turn:
    """The lanes one attempt of a command holds, and the tickets whose changes it took."""

    def __init__(self, lanes: Lanes) -> None:
        self._lanes = lanes
        self._held: dict[UUID, _Lane] = {}
        #: tickets not yet done whose changes this command decided with
        self.after: list[Ticket] = []

    def take(self, ids: Iterable[UUID]) -> None:
        """Takes the lanes of these aggregates (waiting for them if this turn holds none yet;
        else ``LaneTaken`` if one is taken)."""
        wanted = sorted(set(ids) - self._held.keys())
        if not wanted:
            return
        wait = not self._held
        lanes = self._lanes
        with lanes._lock:
            chosen = []
            for aggregate_id in wanted:
                lane = lanes._lanes.get(aggregate_id)
                if lane is None:
                    lane = lanes._lanes[aggregate_id] = _Lane()
                lane.users += 1
                chosen.append((aggregate_id, lane))
        for n, (aggregate_id, lane) in enumerate(chosen):
            if not lane.lock.acquire(blocking=wait):
                self._leave(chosen[n:])
                raise LaneTaken(f"another command is changing {aggregate_id}")
            self._held[aggregate_id] = lane

    def newest(self, loaded: dict[UUID, Aggregate], ids: Iterable[UUID]) -> set[UUID]:
        """Puts into ``loaded`` (a copy of) each of these aggregates as the last command in
        its lane left it, where that is newer than what was loaded; answers which."""
        replaced: set[UUID] = set()
        for aggregate_id in ids:
            lane = self._held.get(aggregate_id)
            if lane is None:
                continue
            with self._lanes._lock:
                latest, ticket = lane.latest, lane.ticket
            if latest is None or (ticket is not None and ticket.doomed()):
                continue
            mine = loaded.get(aggregate_id)
            if mine is not None and mine.version >= latest.version:
                continue
            loaded[aggregate_id] = copy_aggregate(latest)
            replaced.add(aggregate_id)
            if ticket is not None and not ticket.done and ticket not in self.after:
                self.after.append(ticket)
        return replaced

    def queued(self, ticket: Ticket, aggregates: Iterable[Aggregate]) -> None:
        """The command's save is queued as ``ticket``: the next in each of its lanes takes
        the aggregate from here."""
        with self._lanes._lock:
            for aggregate in aggregates:
                lane = self._held.get(aggregate.id)
                if lane is not None:
                    lane.latest, lane.ticket = aggregate, ticket
                    ticket.published.append(aggregate.id)
        self.release()

    def release(self) -> None:
        self._leave(list(self._held.items()), held=True)
        self._held = {}

    def _leave(self, lanes: list[tuple[UUID, _Lane]], *, held: bool = False) -> None:
        with self._lanes._lock:
            for aggregate_id, lane in lanes:
                lane.users -= 1
                if lane.users == 0 and lane.ticket is None:
                    del self._lanes._lanes[aggregate_id]
                if held:
                    lane.lock.release()
