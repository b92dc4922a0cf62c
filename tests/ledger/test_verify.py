"""``ejournal verify`` as a real process against a real database whose events table is edited,
deleted from and inserted into with SQL behind the application's back: each is caught, the
first position named; a clean log verifies; ``--from`` starts at a kept head."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ejournal.ledger.verify import verify
from tests.ledger import reference
from tests.ledger.conftest import Ledgered

pytestmark = pytest.mark.storage


def _verify(ledgered: Ledgered, *args: str) -> subprocess.CompletedProcess[str]:
    settings = ledgered.database.settings
    env = {**os.environ, "EJOURNAL_DATABASE_URL": settings.database_url,
           "EJOURNAL_DATABASE_SCHEMA": settings.database_schema}
    return subprocess.run([sys.executable, "-m", "ejournal.cli", "verify", *args], env=env,
                          text=True, capture_output=True, timeout=120, check=False)


def _marks(ledgered: Ledgered) -> list[int]:
    """Positions of the log's MarkGiven events."""
    return [p for p, topic in reference.execute(
        ledgered.database.settings, "SELECT {pos}, topic FROM {table} ORDER BY 1")
        if topic.endswith("MarkGiven")]


def _state(ledgered: Ledgered, position: int) -> bytes:
    return bytes(reference.execute(ledgered.database.settings,
                                   "SELECT state FROM {table} WHERE {pos} = ?",
                                   (position,))[0][0])


def _shift(ledgered: Ledgered, from_position: int, by: int) -> None:
    """Moves every event at or after ``from_position`` by ``by`` positions (two statements:
    the positions are unique at every row)."""
    settings = ledgered.database.settings
    reference.execute(settings, "UPDATE {table} SET {pos} = -{pos} WHERE {pos} >= ?",
                      (from_position,))
    reference.execute(settings, "UPDATE {table} SET {pos} = ? - {pos} WHERE {pos} < 0", (by,))


def test_a_clean_log_verifies_and_names_its_head(ledgered: Ledgered) -> None:
    ledgered.follower.catch_up()
    head = ledgered.head()
    done = _verify(ledgered)
    assert done.returncode == 0, done.stdout + done.stderr
    expected = reference.head_at(ledgered.database.settings, head)
    assert done.stdout.strip() == (f"verified positions 1..{head}: {head} events match the "
                                   f"kept chain; head at {head}: {expected}")
    assert f"[{'#' * 40}] {head}/{head} events" in done.stderr
    # Events the follower has not reached yet are chained on, and the head is still exact.
    ledgered.write(lessons=1)
    done = _verify(ledgered, "--quiet")
    assert done.returncode == 0
    more = ledgered.head() - head
    assert f"{head} events match the kept chain, {more} beyond its tip chained on" in done.stdout
    assert done.stdout.strip().endswith(
        reference.head_at(ledgered.database.settings, ledgered.head()))
    assert done.stderr == ""


def test_an_edited_mark_is_caught_at_its_position(ledgered: Ledgered) -> None:
    ledgered.follower.catch_up()
    target = _marks(ledgered)[3]
    state = _state(ledgered, target)
    assert b'"value":"5"' in state
    reference.execute(ledgered.database.settings, "UPDATE {table} SET state = ? WHERE {pos} = ?",
                      (state.replace(b'"value":"5"', b'"value":"2"'), target))
    done = _verify(ledgered)
    assert done.returncode == 1
    assert done.stdout.strip() == (
        f"ejournal verify: NOT VERIFIED: the event at position {target} was changed "
        f"({target - 1} events before it match the kept chain)")


def test_a_deleted_event_is_caught_at_its_position(ledgered: Ledgered) -> None:
    ledgered.follower.catch_up()
    target = _marks(ledgered)[2]
    reference.execute(ledgered.database.settings, "DELETE FROM {table} WHERE {pos} = ?",
                      (target,))
    done = _verify(ledgered)
    assert done.returncode == 1
    assert f"an event was removed at position {target} " in done.stdout


def test_an_inserted_event_is_caught_at_its_position(ledgered: Ledgered) -> None:
    # Given a forged mark placed in the past: the later events moved up one position
    ledgered.follower.catch_up()
    settings = ledgered.database.settings
    target = _marks(ledgered)[4]
    _, oid, _, topic, state = reference.execute(
        settings, "SELECT {pos}, originator_id, originator_version, topic, state FROM {table} "
                  "WHERE {pos} = ?", (target,))[0]
    _shift(ledgered, target, 1)
    reference.execute(settings, "INSERT INTO {table} ({pos}, originator_id, originator_version, "
                                "topic, state) VALUES (?, ?, ?, ?, ?)",
                      (target, oid, 999, topic, bytes(state).replace(b'"5"', b'"2"')))
    done = _verify(ledgered)
    assert done.returncode == 1
    assert f"an event was inserted at position {target} " in done.stdout


def test_an_event_removed_and_the_rest_moved_down_is_caught(ledgered: Ledgered) -> None:
    ledgered.follower.catch_up()
    target = _marks(ledgered)[1]
    reference.execute(ledgered.database.settings, "DELETE FROM {table} WHERE {pos} = ?",
                      (target,))
    _shift(ledgered, target + 1, -1)
    found = verify(ledgered.chain)
    assert found.broken is not None
    assert (found.broken.position, found.broken.kind) == (target, "removed")
    assert found.compared == target - 1


def test_the_last_events_removed_are_caught(ledgered: Ledgered) -> None:
    ledgered.follower.catch_up()
    head = ledgered.head()
    reference.execute(ledgered.database.settings, "DELETE FROM {table} WHERE {pos} >= ?",
                      (head - 1,))
    found = verify(ledgered.chain)
    assert found.broken is not None
    assert (found.broken.position, found.broken.kind) == (head - 1, "removed")


def test_from_a_position_starts_at_the_head_kept_before_it(ledgered: Ledgered) -> None:
    ledgered.follower.catch_up()
    head = ledgered.head()
    early = _marks(ledgered)[0]
    reference.execute(ledgered.database.settings, "UPDATE {table} SET state = ? WHERE {pos} = ?",
                      (_state(ledgered, early) + b" ", early))
    # A change before --from is not looked at; from the start it is found.
    late = verify(ledgered.chain, early + 1)
    assert late.broken is None
    assert (late.start, late.compared, late.head.position) == (early + 1, head - early, head)
    done = _verify(ledgered, "--from", str(early + 1), "--quiet")
    assert done.returncode == 0
    assert done.stdout.startswith(f"verified positions {early + 1}..{head}: ")
    assert _verify(ledgered, "--from", "1", "--quiet").returncode == 1
    refused = _verify(ledgered, "--from", "0")
    assert refused.returncode == 2
    assert "--from 0: log positions start at 1" in refused.stderr


def test_a_change_beyond_the_kept_tip_is_chained_on_not_compared(ledgered: Ledgered) -> None:
    # What the follower has not kept yet, nothing kept describes: only a published head does.
    ledgered.follower.run_batch(limit=10)
    last = ledgered.head()
    reference.execute(ledgered.database.settings, "UPDATE {table} SET state = ? WHERE {pos} = ?",
                      (_state(ledgered, last) + b" ", last))
    found = verify(ledgered.chain)
    assert found.broken is None
    assert (found.compared, found.beyond) == (10, last - 10)
    assert found.head.sha256 == reference.head_at(ledgered.database.settings, last)


@pytest.mark.parametrize("kind", ["changed", "removed", "inserted"])
@pytest.mark.parametrize("target", [15, 21])  # the first and the last of the third window
def test_windows_of_the_log_meet_each_break_at_their_edges(
    ledgered: Ledgered, monkeypatch: pytest.MonkeyPatch, kind: str, target: int,
) -> None:
    # Windows of 7 events: the break falls on a window's first and last position alike.
    from ejournal.ledger import verify as module

    monkeypatch.setattr(module, "CHUNK", 7)
    ledgered.follower.catch_up()
    assert verify(ledgered.chain).compared == ledgered.head()
    settings = ledgered.database.settings
    if kind == "changed":
        reference.execute(settings, "UPDATE {table} SET state = ? WHERE {pos} = ?",
                          (_state(ledgered, target) + b" ", target))
    elif kind == "removed":
        reference.execute(settings, "DELETE FROM {table} WHERE {pos} = ?", (target,))
    else:
        _, oid, _, topic, state = reference.execute(
            settings, "SELECT {pos}, originator_id, originator_version, topic, state "
                      "FROM {table} WHERE {pos} = ?", (target,))[0]
        _shift(ledgered, target, 1)
        reference.execute(settings, "INSERT INTO {table} ({pos}, originator_id, "
                                    "originator_version, topic, state) VALUES "
                                    "(?, ?, ?, ?, ?)", (target, oid, 999, topic, state))
    found = verify(ledgered.chain)
    assert found.broken is not None
    assert (found.broken.position, found.broken.kind) == (target, kind)
    assert found.compared == target - 1
