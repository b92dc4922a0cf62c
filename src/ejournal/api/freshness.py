"""Read your own write (api-v1.md, "Consistency"): the writer's next read - grid, diary,
history, summary - sees its write with no header to send (the reads' dependency:
``api/consistency.py``).

Every journal write answers its log position; the server remembers each session's (token's)
latest one, and that session's next read first waits until the read models hold it. A client
may also name a position itself (``X-Log-Position``); one beyond the log's head is ``422``.

Waiting holds no request thread: the read awaits on the event loop, and one watcher thread per
process follows the read models' position for every waiting read (``Projector.wait_for``: at
once for this process's projector, by polling for one in another process). A read whose
position is not reached within ``WAIT`` seconds (the contract's bound for every reader)
answers ``503`` with ``Retry-After`` rather than a view without the write.

The remembered positions live in the process that served the write; behind several workers
(``ejournal serve --workers N``) they are kept in the database as well (``SharedWrites``:
one upsert a write, one primary-key read a read), so whichever worker serves the next read
knows the session's last write.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ejournal.application.locks import ddl_lock
from ejournal.application.storage import keep_running
from ejournal.projections.runner import Projector

#: Seconds a read waits for the read models to hold its position.
WAIT = 5.0
#: Seconds the watcher waits on the read models before it looks at the waiting reads again:
#: how often it reads a projector's position in another process (``ejournal serve``'s).
POLL = 0.02
#: Sessions whose last write is remembered (the least recently written are forgotten first).
SESSIONS = 10_000


@dataclass(eq=False)
class _Waiting:
    position: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _key(token: str) -> str:
    """A session's key: its token's digest (the token itself is not kept)."""
    return hashlib.sha256(token.encode()).hexdigest()


metadata = MetaData()
session_writes = Table(
    "session_writes", metadata,
    Column("session", String(64), primary_key=True),  # the token's digest
    Column("position", BigInteger, nullable=False),
)


class SharedWrites:
    """Each session's last write position in the database, for every serving process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        postgres = engine.dialect.name == "postgresql"
        self._postgres = postgres
        table = session_writes
        upsert = (postgresql if postgres else sqlite).insert(table)
        greater = func.greatest if postgres else func.max  # SQLite's max(a, b) is scalar
        self._put = upsert.on_conflict_do_update(
            index_elements=[table.c.session],
            set_={"position": greater(table.c.position, upsert.excluded.position)})

    def setup(self) -> None:
        with ddl_lock(self.engine) as conn:
            metadata.create_all(conn)
            conn.commit()

    def put(self, session: str, position: int) -> None:
        with self.engine.begin() as conn:
            if self._postgres:
                # Not waited for on disk: a crash that loses it loses only the wait of the
                # session's next read, whose write is in every read within 5 s anyway.
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            conn.execute(self._put, {"session": session, "position": position})

    def get(self, session: str) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(select(session_writes.c.position)
                                 .where(session_writes.c.session == session)).scalar()
        return int(found or 0)


@dataclass(eq=False)
class Freshness:
    """Each session's last write position, and reads waiting for the read models."""

    projector: Projector
    #: Set behind several workers: the positions are kept in the database too.
    shared: SharedWrites | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    _writes: OrderedDict[str, int] = field(default_factory=OrderedDict)
    _waiting: list[_Waiting] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _watcher: threading.Thread | None = None

    # --- sessions' writes ------------------------------------------------------------------

    def wrote(self, token: str, position: int) -> None:
        key = _key(token)
        with self._lock:
            self._writes[key] = max(position, self._writes.pop(key, 0))
            while len(self._writes) > SESSIONS:
                self._writes.popitem(last=False)
        if self.shared is not None:
            self.shared.put(key, position)

    def last_write(self, token: str) -> int:
        """The session's last write position (a database read when ``shared``: call it from
        a thread, not the event loop)."""
        key = _key(token)
        with self._lock:
            here = self._writes.get(key, 0)
        return max(here, self.shared.get(key)) if self.shared is not None else here

    # --- waiting ---------------------------------------------------------------------------

    async def reached(self, position: int, timeout: float | None = None) -> bool:
        """True once every read model has applied ``position``; False after ``timeout``
        seconds (``WAIT`` if None)."""
        if self.projector.known_position >= position:
            return True
        loop = asyncio.get_running_loop()
        waiting = _Waiting(position, loop, loop.create_future())
        with self._lock:
            self._waiting.append(waiting)
            if self._watcher is None:
                # While the database is down it waits, and watches again once it is back.
                self._watcher = threading.Thread(
                    target=keep_running, args=(self._watch, self.stop),
                    kwargs={"what": "the read-your-write watcher"}, daemon=True,
                    name="ejournal-freshness")
                self._watcher.start()
        self._wake.set()
        try:
            await asyncio.wait_for(waiting.future, WAIT if timeout is None else timeout)
            return True
        except TimeoutError:
            return self.projector.known_position >= position
        finally:
            with self._lock:
                self._waiting.remove(waiting)

    def waiting(self) -> int:
        """How many reads are waiting now."""
        with self._lock:
            return len(self._waiting)

    def _watch(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wake.clear()  # before looking: a read that comes later sets it again
            with self._lock:
                lowest = min((w.position for w in self._waiting), default=None)
            if lowest is None:
                self._wake.wait(1.0)
                continue
            self.projector.wait_for(lowest, timeout=POLL, poll=POLL)
            reached = self.projector.known_position
            with self._lock:
                done = [w for w in self._waiting if w.position <= reached]
            for w in done:
                try:
                    w.loop.call_soon_threadsafe(_resolve, w.future)
                except RuntimeError:  # pragma: no cover - its loop has closed
                    continue

    def close(self) -> None:
        self.stop.set()
        self._wake.set()
        if self._watcher is not None:
            self._watcher.join(timeout=10)
