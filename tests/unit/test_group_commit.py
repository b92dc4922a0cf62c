"""GroupCommit's choices when a joint transaction fails, with the event store played by fakes
(the real stores: tests/integration/test_group_commit.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import IntegrityError, OperationalError

from ejournal.application.grouping import GroupCommit, Ticket, Unrecorded


class _Store:
    """Records events as strings; ``refuse`` fails joint transactions with that error, and
    alone ones for the events named in ``conflicting``."""

    def __init__(self, refuse: Exception | None = None,
                 conflicting: frozenset[str] = frozenset()) -> None:
        self.refuse, self.conflicting = refuse, conflicting
        self.log: list[str] = []
        self.transactions: list[list[str]] = []

    def record_events(self, events: Sequence[Any], **_: Any) -> list[Any]:
        if self.refuse is not None:
            raise self.refuse
        return self._write([str(e) for e in events])

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


def test_a_command_after_one_that_failed_fails_without_reaching_the_store() -> None:
    store = _Store(refuse=IntegrityError("version taken"), conflicting=frozenset({"a1"}))
    group = GroupCommit(store.record_one, store.record_events)
    first = _ticket("a1")
    after = Ticket(_ticket("b1").processing, after=(first,))
    other = _ticket("c1")
    group._record_group([first, after, other])
    assert store.transactions == [["c1"]]
    assert isinstance(first.error, IntegrityError)
    assert isinstance(after.error, Unrecorded)
    assert other.error is None
    # and one queued later, after the failed one, fails at once as well
    late = Ticket(_ticket("d1").processing, after=(after,))
    group._record_group([late, _ticket("e1")])
    assert isinstance(late.error, Unrecorded)
    assert store.transactions == [["c1"], ["e1"]]


@dataclass(frozen=True)
class _Event:
    originator_id: str
    name: str

    def __str__(self) -> str:
        return self.name


def _guarded(event: _Event, guards: dict[str, int]) -> Ticket:
    processing: ProcessingEvent[Any] = ProcessingEvent()
    processing.events.append(event)  # type: ignore[arg-type]
    processing.saved_kwargs["guards"] = guards
    return Ticket(processing)


@pytest.mark.parametrize(("written", "first_guards"), [("year", {}), ("school", {"year": 3})],
                         ids=["one-writes-what-another-guards", "two-versions-guarded"])
def test_guards_that_meet_in_a_group_are_checked_command_by_command(
        written: str, first_guards: dict[str, int]) -> None:
    store = _Store()
    group = GroupCommit(store.record_one, store.record_events)
    first = _guarded(_Event(written, "first"), first_guards)
    marking = _guarded(_Event("lesson", "marked"), {"year": 4})
    group._record_group([first, marking])
    assert store.transactions == [["first"], ["marked"]]  # alone, in order
    assert first.error is None
    assert marking.error is None


def test_guards_that_agree_share_the_transaction() -> None:
    store = _Store()
    group = GroupCommit(store.record_one, store.record_events)
    group._record_group([_guarded(_Event("lesson", "a"), {"year": 4}),
                         _guarded(_Event("lesson-2", "b"), {"year": 4})])
    assert store.transactions == [["a", "b"]]
