"""The ejournal application: the event store, the aggregate loader, and ``execute``, which
runs every command.

A command resolves its actor from the account (never trusting a role it is told), loads the
aggregates it needs (those it may change after the command before it on them: lanes.py), lets
the domain check the rules and record events, and saves every changed aggregate in one
transaction (shared with the commands saving at the same moment: grouping.py). On a write
conflict it runs again (retries.py); with an idempotency key its receipt is saved in the same
transaction (idempotency.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder, JSONTranscoder, Recording
from eventsourcing.postgres import PostgresApplicationRecorder

from ejournal.application.commands import Command
from ejournal.application.eventstore import EventStore
from ejournal.application.grouping import GroupCommit, Ticket, Unrecorded
from ejournal.application.handlers import HANDLERS
from ejournal.application.idempotency import Key
from ejournal.application.lanes import Lanes
from ejournal.application.loading import AggregateLoader
from ejournal.application.locks import event_store_ddl_lock
from ejournal.application.queries import Queries
from ejournal.application.results import R
from ejournal.application.retries import retrying
from ejournal.application.schema import refuse_first_schema
from ejournal.application.storage import describe, persistence_env
from ejournal.application.unit import UnitOfWork
from ejournal.domain.errors import DomainError
from ejournal.domain.transcodings import transcodings
from ejournal.settings import Settings


class EJournal(Queries, Application[UUID]):
    """Commands on schools, classes and class journals, and the questions the API asks."""

    name = "ejournal"

    def __init__(self, settings: Settings | None = None,
                 clock: Callable[[], datetime] | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = clock or (lambda: datetime.now(tz=UTC))
        merged = persistence_env(self.settings)
        on_postgres = merged["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
        if on_postgres:
            # Several processes may start at once: the tables are made under the DDL lock.
            merged["CREATE_TABLE"] = "n"
        merged.update(env or {})
        if on_postgres:
            super().__init__(env=merged)
            if not isinstance(self.recorder, PostgresApplicationRecorder):  # pragma: no cover
                raise TypeError("PostgreSQL needs eventsourcing's PostgreSQL recorder")
            with event_store_ddl_lock(merged):
                self.recorder.create_table()
        else:
            with event_store_ddl_lock(merged):
                super().__init__(env=merged)
        if not isinstance(self.recorder, ApplicationRecorder):  # pragma: no cover
            raise TypeError("ejournal needs an application recorder")
        refuse_first_schema(self.recorder, describe(self.settings))
        self.store = EventStore(self.recorder)
        self.loader = AggregateLoader(self.store, self.mapper,
                                      self.settings.aggregate_cache_size)
        self.journal_refs: dict[UUID, tuple[UUID, UUID, UUID]] = {}
        self.user_schools: dict[UUID, UUID] = {}
        #: Commands on one aggregate take turns (lanes.py); commands saving at the same
        #: moment share a transaction (grouping.py).
        self.lanes = Lanes()
        self.group_commit = GroupCommit(
            lambda pe: self._put(pe.events, tracking=pe.tracking, **pe.saved_kwargs),
            self._put, settled=self._settled)
        self.loader.follow()
        #: Told of every command run: its kind and ``ok``, ``replayed``, ``refused`` (a rule
        #: of the school said no) or ``failed`` (the metrics count them).
        self.command_observers: list[Callable[[str, str], None]] = []

    def _put(self, events: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """One transaction of the group commit (its leader's: one at a time); the loader
        learns where in the log it went."""
        recordings = self.events.put(events, **kwargs)
        self.loader.committed([r.notification.id for r in recordings if r.notification.id])
        return recordings

    def _settled(self, ticket: Ticket) -> None:
        """A save is done: the loader holds at once what it recorded in lanes (the next
        command there then reads no event it knows), and the lanes let go of it. (Only
        those: a caller of ``save`` outside ``execute`` may go on changing its objects.)"""
        if ticket.error is None and ticket.published:
            saved = ticket.processing.aggregates
            self.loader.remember(*cast(list[Aggregate],
                                       [saved[i] for i in ticket.published if i in saved]))
        self.lanes.settled(ticket)

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Every save goes through group commit; a command's, after the commands whose changes
        it took, letting go of its lanes once it is queued."""
        turn = self.lanes.current()
        if turn is None:
            recordings = self.group_commit.record(processing_event)
        else:
            aggregates = cast(list[Aggregate], list(processing_event.aggregates.values()))
            recordings = self.group_commit.record(
                processing_event, after=turn.after,
                queued=lambda ticket: turn.queued(ticket, aggregates))
        if self.repository.cache and not self.repository.fastforward:  # as the base's does
            for aggregate_id, aggregate in processing_event.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)
        return recordings

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in transcodings():
            transcoder.register(transcoding)

    def _now(self, at: datetime | None) -> datetime:
        moment = at or self.clock()
        if moment.tzinfo is None:
            raise ValueError("command times must be timezone-aware")
        return moment.astimezone(UTC)

    def execute(self, command: Command[R], *, at: datetime | None = None,
                idempotency_key: str | None = None, new_id: UUID | None = None) -> R:
        """Runs the command as of ``at`` (default: the clock) and answers its result.

        ``idempotency_key``: a repeat of the same command under the same key answers the
        first result (``replayed``) and writes nothing. ``new_id``: the id of the account a
        registration creates (the caller stores its credential under it first)."""
        handler = HANDLERS.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        key = Key.of(command, idempotency_key)
        kind = cast(type[R], command.result)
        # The first attempt decides with the cache as it is (its save conditional on it; a
        # refusal told once what it took unchecked is found current); a run again after a
        # conflict or a stale refusal fast-forwards.
        trusting = [True]

        def attempt() -> R:
            if key is not None:
                replay = key.replay(self.repository, kind, self.store.head())
                if replay is not None:
                    return replay
            while True:
                with self.lanes.turn() as turn:
                    uow = UnitOfWork(self.loader, self.store, self._now(at), self.journal_refs,
                                     new_id, turn, trusting=trusting[0])
                    trusting[0] = False
                    try:
                        result = cast(R, handler(command, uow))
                    except Exception:
                        # Told only if what it was decided with is recorded and checked;
                        # else run again.
                        turn.release()
                        if not self.group_commit.recorded(turn.after):
                            raise Unrecorded("decided with changes that were not recorded"
                                             ) from None
                        if uow.unchecked and self.store.newer(uow.unchecked):
                            continue  # decided with a stale aggregate
                        raise
                    return self._save(uow, key, command, result)

        name = type(command).__name__
        if not self.command_observers:
            return retrying(name, attempt)
        try:
            result = retrying(name, attempt)
        except DomainError:
            self._observed(name, "refused")
            raise
        except Exception:
            self._observed(name, "failed")
            raise
        self._observed(name, "replayed" if getattr(result, "replayed", False) else "ok")
        return result

    def _save(self, uow: UnitOfWork, key: Key | None, command: Command[R], result: R) -> R:
        """Saves what the command changed (and its receipt); its result with its position."""
        to_save: list[Aggregate] = list(uow.added)
        if key is not None:
            to_save.append(key.receipt(command, result, self._now(None)))
        guards = uow.save_guards(to_save)
        recordings = self.save(*to_save, guards=guards) if guards else self.save(*to_save)
        self.loader.remember(*uow.added)
        positions = [r.notification.id for r in recordings if r.notification.id]
        return replace(result, position=max(positions) if positions else None)

    def trial(self, command: Command[R], *, at: datetime | None = None) -> R:
        """Decides the command as ``execute`` would (a refusal raises alike) and saves
        nothing: an import's dry run."""
        uow = UnitOfWork(self.loader, self.store, self._now(at), self.journal_refs)
        return cast(R, HANDLERS[type(command)](command, uow))

    def _observed(self, kind: str, outcome: str) -> None:
        for observer in self.command_observers:
            observer(kind, outcome)
