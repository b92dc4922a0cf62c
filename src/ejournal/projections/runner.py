"""The projector: pages through the event log and keeps the read models, exactly once.

Each batch is one transaction on the read-model database: the rows of every read model and
each model's tracking position are written together, so a crash at any point either keeps
the whole batch or none of it; the next run starts after the last committed position. Two
projectors on one database take turns: on PostgreSQL the position rows are locked
(``SELECT ... FOR UPDATE``), on SQLite the batch begins with ``BEGIN IMMEDIATE``.

The models with events of their own in the batch apply it together inside one savepoint; if a
handler fails, that savepoint is rolled back and each applies it again inside its own: a model
whose handler fails is rolled back to where it stood, stops there (its failure is recorded,
logged and shown by ``ejournal projections status``), and the others go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.utils import get_topic
from sqlalchemy import Connection, Engine, delete, insert, select, update

from ejournal.application import EJournal
from ejournal.application.locks import ddl_lock
from ejournal.application.storage import storage_failure
from ejournal.projections.base import ReadModel, failures, metadata, positions, schemas
from ejournal.projections.batching import Batch

log = logging.getLogger("ejournal.projections")

DEFAULT_BATCH = 1000
#: Seconds the projector lets new events gather after reaching the log's end (run_forever).
DEFAULT_GATHER = 0.05


@dataclass(frozen=True)
class Status:
    name: str
    position: int
    head: int
    error: str | None = None  # why the model stopped, when it failed

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class Projector:
    def __init__(self, app: EJournal, engine: Engine, models: Sequence[ReadModel],
                 reader: Engine | None = None) -> None:
        self.app = app
        self.engine = engine
        #: Positions are read without taking the write lock (SQLite readers never wait).
        self.reader = reader or engine
        self.models = list(models)
        self.names = [m.name for m in self.models]
        self._topics = {get_topic(cls) for m in self.models for cls in m.topics()}
        self._handled = {m.name: m.topics() for m in self.models}
        # Built once: SQLAlchemy builds and keys a statement again at every batch otherwise.
        self._at = select(positions.c.name, positions.c.position).where(
            positions.c.name.in_(self.names))
        self._failed = select(failures.c.name).where(failures.c.name.in_(self.names))
        self._advanced = threading.Condition()
        self._known_position = 0
        #: models that failed: this projector leaves them where they stopped
        self.failed: set[str] = set()

    # --- schema ----------------------------------------------------------------------------

    def setup(self) -> None:
        """Creates missing tables and position rows (idempotent, safe from many processes).

        A read model whose table definitions changed since its tables were made (its
        :meth:`~ReadModel.fingerprint` differs from the one recorded, or none was recorded for
        tables that exist) has its tables dropped and made anew and is rebuilt from the start
        of the log."""
        with ddl_lock(self.engine) as conn:
            metadata.create_all(conn, tables=[positions, schemas, failures])
            known = dict(conn.execute(select(schemas.c.name, schemas.c.fingerprint)).tuples().all())
            have = set(conn.scalars(select(positions.c.name)))
            stale = [m for m in self.models
                     if known.get(m.name) != m.fingerprint()
                     and (m.name in known or m.name in have)]
            for model in stale:
                metadata.drop_all(conn, tables=list(model.tables))
            tables = [t for m in self.models for t in (*m.tables, *m.kept_tables)]
            metadata.create_all(conn, tables=tables)
            for model in self.models:
                if known.get(model.name) != model.fingerprint():
                    conn.execute(delete(schemas).where(schemas.c.name == model.name))
                    conn.execute(insert(schemas).values(name=model.name,
                                                        fingerprint=model.fingerprint()))
            if stale:
                conn.execute(update(positions)
                             .where(positions.c.name.in_([m.name for m in stale]))
                             .values(position=0, updated_at=datetime.now(tz=UTC)))
            for name in self.names:
                if name not in have:
                    conn.execute(insert(positions).values(name=name, position=0))
            conn.execute(delete(failures).where(failures.c.name.in_(self.names)))
            conn.commit()
        self.failed.clear()

    def reset(self, names: Sequence[str]) -> None:
        """Drops and recreates these read models' tables and sets them back to the start."""
        chosen = [m for m in self.models if m.name in names]
        self.failed.difference_update(names)
        with ddl_lock(self.engine) as conn:
            for model in chosen:
                metadata.drop_all(conn, tables=list(model.tables))
                metadata.create_all(conn, tables=list(model.tables))
            conn.commit()
        with self.engine.begin() as conn:
            conn.execute(update(positions).where(positions.c.name.in_(names))
                         .values(position=0, updated_at=datetime.now(tz=UTC)))
            conn.execute(delete(failures).where(failures.c.name.in_(names)))

    # --- running ---------------------------------------------------------------------------

    def run_batch(self, limit: int = DEFAULT_BATCH) -> int:
        """Applies the next batch of events; returns how many notifications it read."""
        with self.engine.begin() as conn:
            last = self._apply_batch(conn, limit)
        if last is None:
            return 0
        end, count = last
        self._note(end)
        return count

    def _apply_batch(self, conn: Connection, limit: int) -> tuple[int, int] | None:
        query = self._at
        if self.engine.dialect.name == "postgresql":
            query = query.with_for_update()
        at = dict(conn.execute(query).tuples().all())
        self.failed.update(conn.scalars(self._failed))
        running = [m for m in self.models if m.name not in self.failed]
        if not running:
            return None
        start = min(at[m.name] for m in running) + 1
        notifications = self.app.recorder.select_notifications(start=start, limit=limit)
        if not notifications:
            self._note(start - 1)
            return None
        topics = self._topics
        to_domain_event = self.app.mapper.to_domain_event
        events = [(n.id, to_domain_event(n)) for n in notifications if n.topic in topics]
        last = notifications[-1].id
        busy = [m for m in running if self._has_work(m, events, at[m.name])]
        if not self._apply_together(conn, busy, events, at):
            for model in busy:
                self._apply_model(conn, model, events, at[model.name])
        done = [m.name for m in running if m.name not in self.failed]
        conn.execute(
            update(positions)
            .where(positions.c.name.in_(done), positions.c.position < last)
            .values(position=last, updated_at=datetime.now(tz=UTC))
        )
        return last, len(notifications)

    def _has_work(self, model: ReadModel, events: list[tuple[int, Any]], after: int) -> bool:
        handled = self._handled[model.name]
        return any(position > after and type(e) in handled for position, e in events)

    def _apply_together(self, conn: Connection, models: list[ReadModel],
                        events: list[tuple[int, Any]], at: dict[str, int]) -> bool:
        """The batch applied to every one of ``models`` in one savepoint; False (nothing of it
        kept) when a handler failed."""
        if not models:
            return True
        savepoint = conn.begin_nested()
        try:
            for model in models:
                _apply_events(conn, model, events, at[model.name], [0])
        except Exception as error:
            if storage_failure(error) is not None:
                raise  # the database went away: the whole batch runs again (_apply_model)
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def _apply_model(self, conn: Connection, model: ReadModel,
                     events: list[tuple[int, Any]], after: int) -> bool:
        """The batch's events after ``after`` applied to one model, in its own savepoint;
        False when a handler failed (the model is rolled back and recorded as failed)."""
        reached = [after]
        savepoint = conn.begin_nested()
        try:
            _apply_events(conn, model, events, after, reached)
        except Exception as error:
            position = reached[0]
            if storage_failure(error) is not None:
                # The database went away mid-batch: not the model's fault. The whole batch
                # fails (nothing of it committed) and runs again once the database is back.
                raise
            savepoint.rollback()
            self.failed.add(model.name)
            detail = f"{type(error).__name__}: {error}"
            log.exception("read model %s failed at position %d; it stops there, the others go "
                          "on", model.name, position)
            conn.execute(delete(failures).where(failures.c.name == model.name))
            conn.execute(insert(failures).values(name=model.name, position=position,
                                                 error=detail[:2000],
                                                 failed_at=datetime.now(tz=UTC)))
            return False
        savepoint.commit()
        return True

    def catch_up(self, limit: int = DEFAULT_BATCH,
                 progress: Callable[[int, int], None] | None = None) -> int:
        """Runs batches until the read models reach the head of the log as it was at start."""
        head = self.head()
        done = 0
        while True:
            count = self.run_batch(limit)
            done += count
            if progress is not None:
                progress(min(self.position(), head), head)
            if count == 0 or self.position() >= head:
                return done

    def run_forever(self, stop: threading.Event, idle_wait: float = 0.2,
                    limit: int = DEFAULT_BATCH, gather: float = DEFAULT_GATHER,
                    idle_poll: float | None = None) -> None:
        """The projector's loop (in ``serve`` or as ``ejournal project``) until ``stop``.

        While writes keep coming (a batch that was not full right after another one), it lets
        ``gather`` seconds of new events gather before the next batch: a batch costs a
        transaction and a statement per table whether it holds one event or a thousand, and
        under a steady stream of writes, batches of one or two events kept the projector (and,
        in ``serve``, the API's share of the CPU) busy with that fixed cost (bench/http.py).
        The end of a burst is applied at once.

        At the log's end it waits ``idle_wait`` seconds before the next batch; with
        ``idle_poll`` it looks at the log's head every ``idle_poll`` seconds meanwhile (one
        read: no transaction of the read models, no write lock) and starts the batch as soon
        as the head has moved - a writer's next read waits for this (``api/freshness.py``).
        A projector in a process of its own (``api/duties.py``) looks often; one that shares
        the API's process does not, to leave it the GIL."""
        partial = 0  # batches in a row that reached the end of the log with events in them
        while not stop.is_set():
            count = self.run_batch(limit)
            partial = partial + 1 if 0 < count < limit else 0
            if count == 0:
                self._idle(stop, idle_wait, idle_poll)
            elif partial > 1 and gather > 0:
                stop.wait(gather)

    def _idle(self, stop: threading.Event, idle_wait: float, poll: float | None) -> None:
        if poll is None or poll >= idle_wait:
            stop.wait(idle_wait)
            return
        # Where the running models stand; with none running, the head that is there now.
        baseline = self._known_position if len(self.failed) < len(self.models) else self.head()
        deadline = time.monotonic() + idle_wait
        while not stop.wait(poll):
            if self.head() > baseline or time.monotonic() >= deadline:
                return

    # --- positions -------------------------------------------------------------------------

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def statuses(self) -> list[Status]:
        head = self.head()
        with self.reader.connect() as conn:
            rows = dict(conn.execute(select(positions.c.name, positions.c.position)
                                     .where(positions.c.name.in_(self.names))).tuples().all())
            errors = dict(conn.execute(select(failures.c.name, failures.c.error)
                                       .where(failures.c.name.in_(self.names))).tuples().all())
        return [Status(name, rows.get(name, 0), head, errors.get(name)) for name in self.names]

    def position(self) -> int:
        """The position every one of these read models that has not failed has reached (one
        query: read-your-write polls it, ``wait_for``)."""
        query = (select(positions.c.position, failures.c.error)
                 .select_from(positions.outerjoin(failures, failures.c.name == positions.c.name))
                 .where(positions.c.name.in_(self.names)))
        with self.reader.connect() as conn:
            rows: list[tuple[int, str | None]] = list(conn.execute(query).tuples())
        if len(rows) < len(self.names):  # a model without its row yet stands at 0
            return 0
        running = [position for position, error in rows if error is None]
        return min(running) if running else min(position for position, _ in rows)

    @property
    def known_position(self) -> int:
        """The furthest position this process has seen every read model reach (it may be
        further already: ``wait_for`` looks)."""
        return self._known_position

    def _note(self, position: int) -> None:
        with self._advanced:
            if position > self._known_position:
                self._known_position = position
            self._advanced.notify_all()

    def wait_for(self, position: int, timeout: float = 5.0, poll: float = 0.02) -> bool:
        """Blocks until every read model has applied ``position`` (read-your-writes).

        Wakes when this process's projector advances, and re-reads the positions table every
        ``poll`` seconds so that a projector in another process is seen too."""
        deadline = time.monotonic() + timeout
        while True:
            if self._known_position >= position:
                return True
            current = self.position()
            if current >= position:
                self._note(current)
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with self._advanced:
                self._advanced.wait(min(poll, left))


def _apply_events(conn: Connection, model: ReadModel, events: list[tuple[int, Any]], after: int,
                  reached: list[int]) -> None:
    """The events after ``after`` applied to ``model`` and its writes sent; ``reached[0]``
    follows the position of the event being applied (the one a failure names)."""
    batch = Batch(conn)
    for position, domain_event in events:
        if position > after:
            reached[0] = position
            model.apply(batch, domain_event, position)
    model.finish(batch)
    batch.flush()
