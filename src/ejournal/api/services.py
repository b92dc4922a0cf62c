"""What the HTTP layer stands on: the application, the read models, the accounts, the access
log, and the clock every request reads (the real one, unless a test sets its own)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from ejournal.accounts import Accounts
from ejournal.api.access_log import AccessLog
from ejournal.api.diary_cache import DiaryCache
from ejournal.api.freshness import Freshness, SharedWrites
from ejournal.api.replicas import Replica, open_replica
from ejournal.application import EJournal
from ejournal.application.storage import (
    drop_read_only_connections,
    keep_running,
    recycle_sqlite_connections,
)
from ejournal.files import FileStore
from ejournal.ledger import Chain, follow, setup_chain
from ejournal.mail.sender import Sender
from ejournal.projections.base import create_read_engine
from ejournal.projections.catalog import projector_for
from ejournal.projections.runner import Projector
from ejournal.settings import Settings

Clock = Callable[[], datetime]


def real_clock() -> datetime:
    return datetime.now(tz=UTC)


@dataclass
class Services:
    settings: Settings
    app: EJournal
    projector: Projector
    reader: Engine
    accounts: Accounts
    access_log: AccessLog
    #: The ledger's chain: ``ledger.head_at(position)`` is the head a document states.
    ledger: Chain
    #: Each session's last write, and the reads waiting for the read models to hold it.
    freshness: Freshness
    clock: Clock = real_clock
    #: A streaming replica that may serve read-model reads (``api/replicas.py``), if any.
    replica: Replica | None = None
    #: Homework files' bytes, beside the log.
    files: FileStore = field(init=False)
    #: Diary answers, served again while their versions hold (``api/diary_cache.py``).
    diary_cache: DiaryCache = field(init=False)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, clock: Clock | None = None, *,
             shared_writes: bool = False) -> Services:
        """``shared_writes``: several processes serve the database (``--workers``), so each
        session's last write is kept in it for all of them."""
        app = EJournal(settings, clock=clock)
        projector = projector_for(app)
        projector.setup()
        accounts = Accounts(create_read_engine(settings))
        # A connection SQLite opened read-only (the file was) is not kept once it is writable.
        recycle_sqlite_connections(app)
        for engine in (projector.engine, projector.reader, accounts.engine):
            drop_read_only_connections(engine)
        accounts.setup()
        access_log = AccessLog(accounts.engine)
        access_log.setup()
        setup_chain(projector.engine)
        shared = SharedWrites(accounts.engine) if shared_writes else None
        if shared is not None:
            shared.setup()
        opened = cls(settings, app, projector, projector.reader, accounts, access_log,
                     Chain(app.store, projector.reader), Freshness(projector, shared),
                     clock or real_clock)
        opened.files = FileStore(accounts.engine)
        opened.files.setup()
        opened.diary_cache = DiaryCache(settings.diary_cache_mib * 2**20)
        opened.replica = open_replica(settings, projector.reader, projector.names)
        return opened

    def now(self) -> datetime:
        return self.clock()

    def start_projector(self, idle_poll: float | None = None) -> None:
        """``idle_poll``: at the log's end, look at its head that often
        (``Projector.run_forever``; in a process of its own, ``api/duties.py``)."""
        # Run here, the projector reads the log through an application (a connection pool)
        # of its own. On SQLite its batch holds the write lock while it reads notifications;
        # sharing the request threads' pool, it would queue behind a writer that waits for
        # that very lock (a deadlock until the pool's 5 s timeout: 503s under write load).
        own = EJournal(self.settings)
        recycle_sqlite_connections(own)
        self.projector.app = own
        # If the database goes away, the projector waits and resumes once it is back.
        def run(stop: threading.Event) -> None:
            self.projector.run_forever(stop, idle_poll=idle_poll)

        thread = threading.Thread(target=keep_running, args=(run, self.stop),
                                  kwargs={"what": "the projector"},
                                  name="ejournal-projector", daemon=True)
        thread.start()
        self.threads.append(thread)
        # The ledger's follower shares the projector's connections; it writes briefly.
        self.threads.append(follow(own.store, self.projector.engine, self.reader, self.stop))

    def start_mailer(self) -> None:
        """The process's one sender of the notifications' outbox (``ejournal.mail``)."""
        sender = Sender(self.settings, create_read_engine(self.settings, writer=True))
        thread = threading.Thread(target=keep_running, args=(sender.run_forever, self.stop),
                                  kwargs={"what": "the mail sender"},
                                  name="ejournal-mail", daemon=True)
        thread.start()
        self.threads.append(thread)

    def close(self) -> None:
        self.stop.set()
        self.freshness.close()
        if self.replica is not None:
            self.replica.close()
        for thread in self.threads:
            thread.join(timeout=10)
        self.app.close()
        if self.projector.app is not self.app:
            self.projector.app.close()
        self.projector.engine.dispose()
        self.reader.dispose()
        self.accounts.engine.dispose()
