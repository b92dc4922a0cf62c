"""The kept chain: every event of the log chained in log order as docs/reliability.md defines
it (checked against an independent computation), the head as of any position exact whether
or not the follower has reached it, the same log giving the same chain on SQLite and
PostgreSQL, and followers racing without harm."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ejournal.ledger import Chain, Follower, setup_chain
from ejournal.projections.base import create_read_engine
from tests.databases import NOW, PG_URL, Clock, Database, fresh_database
from tests.ledger import reference
from tests.ledger.conftest import Ledgered, make_ledgered

pytestmark = pytest.mark.storage


def test_an_empty_log_has_the_zero_head(database: Database, clock: Clock) -> None:
    app = database.app(clock)
    engine = create_read_engine(database.settings)
    try:
        setup_chain(engine)
        head = Chain(app.store, engine).head()
        assert (head.position, head.sha256) == (0, "0" * 64)
    finally:
        app.close()
        engine.dispose()


def test_the_follower_keeps_a_head_per_event_as_the_auditors_computation_has_it(
    ledgered: Ledgered,
) -> None:
    chained = ledgered.follower.catch_up()
    expected = reference.heads(ledgered.database.settings)
    assert chained == len(expected) == ledgered.head() > 20
    for position, sha in expected:
        assert ledgered.chain.head_at(position).sha256 == sha
    assert ledgered.chain.head().sha256 == expected[-1][1]
    # The log grows: the follower chains only what is new, and the heads go on from there.
    ledgered.write(lessons=2)
    assert ledgered.follower.catch_up() == ledgered.head() - expected[-1][0]
    assert ledgered.chain.head().sha256 == reference.heads(ledgered.database.settings)[-1][1]
    assert ledgered.chain.count() == ledgered.head()


def test_the_head_at_a_position_is_exact_before_the_follower_reaches_it(
    ledgered: Ledgered,
) -> None:
    # Given a follower that has chained only the first part of the log
    ledgered.follower.run_batch(limit=7)
    assert ledgered.chain.tip()[0] == 7
    # Then the heads beyond are carried forward over the log: the same as once it has come
    before = [ledgered.chain.head_at(p) for p in range(0, ledgered.head() + 1)]
    ledgered.follower.catch_up()
    assert [ledgered.chain.head_at(p) for p in range(0, ledgered.head() + 1)] == before
    assert before[-1].sha256 == reference.head_at(ledgered.database.settings, ledgered.head())
    assert before[0].sha256 == "0" * 64


def test_a_position_beyond_the_log_has_no_head(ledgered: Ledgered) -> None:
    with pytest.raises(ValueError, match=f"its head is {ledgered.head()}"):
        ledgered.chain.head_at(ledgered.head() + 1)
    with pytest.raises(ValueError, match="not in the log"):
        ledgered.chain.head_at(-1)


def test_followers_racing_keep_one_chain(ledgered: Ledgered) -> None:
    others = [Follower(ledgered.app.store, ledgered.writer, ledgered.reader) for _ in range(3)]
    ledgered.write(lessons=4)

    def follow(follower: Follower) -> None:
        while follower.chain.tip()[0] < ledgered.head():
            follower.run_batch(limit=5)

    threads = [threading.Thread(target=follow, args=(f,)) for f in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert ledgered.chain.count() == ledgered.head()
    expected = reference.heads(ledgered.database.settings)
    assert [ledgered.chain.head_at(p).sha256 for p, _ in expected] == [h for _, h in expected]


@pytest.mark.skipif(not PG_URL, reason="needs EJOURNAL_TEST_POSTGRES_URL")
def test_the_same_log_gives_the_same_chain_on_sqlite_and_postgresql(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as lite, fresh_database("postgres", tmp_path) as pg:
        source = make_ledgered(lite, Clock(NOW))
        source.write(lessons=2)
        target = make_ledgered(pg, Clock(NOW))
        try:
            # Given the SQLite log copied row for row, positions and bytes, into PostgreSQL
            reference.execute(pg.settings, "DELETE FROM {table}")
            rows = reference.execute(lite.settings, "SELECT {pos}, originator_id, "
                                     "originator_version, topic, state FROM {table}")
            for position, oid, version, topic, state in rows:
                reference.execute(pg.settings, "INSERT INTO {table} (notification_id, "
                                  "originator_id, originator_version, topic, state) VALUES "
                                  "(?, ?, ?, ?, ?)", (position, oid, version, topic, state))
            # Then both followers keep the same heads
            source.follower.catch_up()
            target.follower.catch_up()
            assert target.chain.head() == source.chain.head()
            assert target.chain.head().position == len(rows)
            assert [target.chain.head_at(p) for p in range(len(rows) + 1)] == [
                source.chain.head_at(p) for p in range(len(rows) + 1)]
        finally:
            for made in (source, target):
                made.app.close()
                made.writer.dispose()
                made.reader.dispose()
