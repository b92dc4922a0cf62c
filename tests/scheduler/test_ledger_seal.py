"""The daily ``LedgerSealed``: the scheduler's run for a school seals the ledger's head once a
school-local day - the head an auditor recomputes from the log as of the seal's position -,
on the injected clock; the next day another; two schools each their own."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ejournal.application.commands import SealLedger
from ejournal.domain.ledger import LedgerSeal, seal_id
from tests.ledger import reference
from tests.scheduler.conftest import Compliance, count_events, make_school

pytestmark = pytest.mark.storage

SEALED = "ejournal.domain.ledger:LedgerSeal.Sealed"
MON, TUE = date(2026, 11, 23), date(2026, 11, 24)


def _seal(c: Compliance, school_id: object, day: date) -> LedgerSeal:
    found = c.app.repository.get(seal_id(school_id, day))  # type: ignore[arg-type]
    assert isinstance(found, LedgerSeal)
    return found


def test_each_school_day_is_sealed_once_with_the_head_as_of_its_position(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, timetable=[(1, 1)])
    # The night after Monday (00:30 Moscow on Tuesday: 21:30 UTC on Monday) seals Tuesday.
    before = c.app.store.head() or 0
    run = c.night_after(s, MON)
    assert run.sealed
    seal = _seal(c, s.school, TUE)
    assert seal.day == TUE
    assert seal.sealed_at == datetime(2026, 11, 23, 21, 30, tzinfo=UTC)
    # Its head is the chain over the log up to the seal's position: the log as the night's
    # findings left it, before the seal itself.
    assert seal.position > before
    assert seal.head == reference.head_at(c.database.settings, seal.position)
    sealed_at_position = [p for p, t in reference.execute(
        c.database.settings, "SELECT {pos}, topic FROM {table} ORDER BY 1") if t == SEALED]
    assert sealed_at_position == [seal.position + 1]
    # Later the same school-local day: no second seal.
    again = c.run_on(s, TUE, 22)
    assert not again.sealed
    assert count_events(c.app, SEALED) == {seal.id: 1}
    # The next day is sealed with the grown log's head.
    c.night_after(s, TUE)
    wednesday = _seal(c, s.school, date(2026, 11, 25))
    assert wednesday.position > seal.position
    assert wednesday.head == reference.head_at(c.database.settings, wednesday.position)
    assert len(count_events(c.app, SEALED)) == 2


def test_two_schools_each_seal_their_own_day_and_a_repeat_is_left_out(
    compliance: Compliance,
) -> None:
    c = compliance
    moscow = make_school(c.app, tag="m")
    vladivostok = make_school(c.app, timezone="Asia/Vladivostok", tag="v")
    # 15:30 UTC on Monday: still Monday in Moscow, already Tuesday in Vladivostok.
    c.clock.set(datetime(2026, 11, 23, 15, 30, tzinfo=UTC))
    runs = {run.school_id: run for run in c.runner.run_all()}
    assert runs[moscow.school].sealed
    assert runs[vladivostok.school].sealed
    assert _seal(c, moscow.school, MON).school_id == moscow.school
    assert _seal(c, vladivostok.school, TUE).school_id == vladivostok.school
    # Recorded again for the same day (another process, a restart): left out.
    head = c.app.store.head()
    repeat = c.app.execute(SealLedger(moscow.school, MON, 1, "0" * 64))
    assert not repeat.sealed
    assert c.app.store.head() == head


def test_a_seal_refuses_what_is_not_a_head(compliance: Compliance) -> None:
    c = compliance
    s = make_school(c.app)
    for position, sha in ((-1, "0" * 64), (1, "0" * 63), (1, "A" * 64)):
        with pytest.raises(ValueError, match=r"position|hex"):
            c.app.execute(SealLedger(s.school, MON, position, sha))
    assert count_events(c.app, SEALED) == {}
