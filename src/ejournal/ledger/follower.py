"""The ledger's follower: it chains the log's new events into ``ledger_chain`` as the log
grows, like a projection (it may lag the log by seconds), in ``ejournal serve`` and
``ejournal project``.

Each batch reads the log after the kept tip first and writes its heads in a short
transaction of its own. Two followers on one database race harmlessly: the second to write
the same positions meets the primary key, rolls back and reads the tip again.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from ejournal.application.eventstore import EventStore
from ejournal.application.storage import keep_running
from ejournal.ledger.chain import CHUNK, Chain, ledger_chain, setup
from ejournal.ledger.encoding import advance, digest

log = logging.getLogger("ejournal.ledger")


class Follower:
    def __init__(self, store: EventStore, writer: Engine, reader: Engine | None = None) -> None:
        self.chain = Chain(store, reader or writer)
        self.writer = writer

    def setup(self) -> None:
        setup(self.writer)

    def run_batch(self, limit: int = CHUNK) -> int:
        """Chains the next events of the log; how many (0: at the log's head, or another
        follower got there first)."""
        position, head = self.chain.tip()
        rows = self.chain.store.rows(position, limit)
        if not rows:
            return 0
        kept = []
        for row in rows:
            head = advance(head, row)
            kept.append({"position": row[0], "sha256": head, "digest": digest(row) or 0})
        try:
            with self.writer.begin() as conn:
                conn.execute(insert(ledger_chain), kept)
        except IntegrityError:
            return 0
        return len(kept)

    def catch_up(self) -> int:
        """Chains every event recorded before it started; how many it chained."""
        done = 0
        target = self.chain.store.head() or 0
        while self.chain.tip()[0] < target:
            done += self.run_batch()
        return done

    def run_forever(self, stop: threading.Event, idle_wait: float = 0.5) -> None:
        while not stop.is_set():
            if self.run_batch() == 0:
                stop.wait(idle_wait)


def follow(store: EventStore, writer: Engine, reader: Engine, stop: threading.Event
           ) -> threading.Thread:
    """The follower in a thread of its own until ``stop``; it pauses while the database is
    unavailable and resumes where it stopped."""
    follower = Follower(store, writer, reader)
    follower.setup()
    thread = threading.Thread(target=keep_running, args=(follower.run_forever, stop),
                              kwargs={"what": "the ledger"}, name="ejournal-ledger",
                              daemon=True)
    thread.start()
    return thread
