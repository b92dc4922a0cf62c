"""GroupCommit's choices when a joint transaction fails, with the event store played by fakes
(the real stores: tests/integration/test_group_commit.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import IntegrityError, OperationalError

from ejournal.application.grouping import GroupCommit, Ticket


class _Store:
    """Records events as strings; ``refuse`` fails joint transactions with that error, and
    alone ones for the events named in ``conflicting``."""

    def __init__(self, refuse: Exception | None = None,
                 conflicting: frozenset[str] = frozenset()) -> None:
        self.refuse, self.conflicting = refuse, conflicting
        self.log: list[str] = []
        self.transactions: list[list[str]] = []

    def record_events(self, events: Sequence[Any]) -> list[Any]:
        if self.refuse is not None:
            raise self.refuse
        return self._write(list(events))

    def record_one(self, processing: ProcessingEvent[Any]) -> list[Any]:
        names = [str(e) for e in processing.events]
        if self.conflicting & set(names):
            raise IntegrityError("version taken")
        return self._write(names)

    def _write(self, events: list[str]) -> list[Any]:
        self.transactions.append(events)
        self.log.extend(events)
        return [f"recorded {e} at {self.log.index(e) + 1}" for e in events]


def _ticket(*events: str) -> Ticket:
    processing: ProcessingEvent[Any] = ProcessingEvent()
    processing.events.extend(events)  # type: ignore[arg-type]
    return Ticket(processing)


def test_a_group_is_one_transaction_and_each_gets_its_own_recordings() -> None:
    store = _Store()
    group = GroupCommit(store.record_one, store.record_events)
    tickets = [_ticket("a1", "a2"), _ticket("b1"), _ticket("c1", "c2")]
    group._record_group(tickets)
    assert store.transactions == [["a1", "a2", "b1", "c1", "c2"]]
    recordings: Any = [t.recordings for t in tickets]
    assert recordings == [
        ["recorded a1 at 1", "recorded a2 at 2"], ["recorded b1 at 3"],
        ["recorded c1 at 4", "recorded c2 at 5"]]
    assert all(t.done and t.error is None for t in tickets)
    assert group.groups == {3: 1}


def test_a_refused_group_is_recorded_alone_and_only_the_conflict_fails() -> None:
    store = _Store(refuse=IntegrityError("version taken"), conflicting=frozenset({"b1"}))
    group = GroupCommit(store.record_one, store.record_events)
    tickets = [_ticket("a1"), _ticket("b1"), _ticket("c1")]
    group._record_group(tickets)
    assert store.transactions == [["a1"], ["c1"]]
    recordings: Any = [t.recordings for t in tickets]
    assert recordings == [["recorded a1 at 1"], [], ["recorded c1 at 2"]]
    assert isinstance(tickets[1].error, IntegrityError)
    assert tickets[0].error is None
    assert tickets[2].error is None


def test_an_unreachable_database_fails_the_whole_group_at_once() -> None:
    down = OperationalError("connection refused")
    store = _Store(refuse=down)
    group = GroupCommit(store.record_one, store.record_events)
    tickets = [_ticket("a1"), _ticket("b1")]
    group._record_group(tickets)
    assert store.transactions == []  # not tried again one by one
    assert [t.error for t in tickets] == [down, down]


def test_a_lone_command_is_recorded_at_once_and_its_error_is_its_own() -> None:
    store = _Store(conflicting=frozenset({"a1"}))
    group = GroupCommit(store.record_one, store.record_events)
    with pytest.raises(IntegrityError):
        group.record(_ticket("a1").processing)
    recorded: Any = group.record(_ticket("b1").processing)
    assert recorded == ["recorded b1 at 1"]
    assert group.groups == {1: 2}
