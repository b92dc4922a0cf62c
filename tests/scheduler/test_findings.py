"""The findings' events and the pure parts of the checks (no database): given events, when a
command, then these events; replaying them rebuilds equal state."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from ejournal.domain.calendar import DayKind, WorkingCalendar
from ejournal.domain.errors import ConflictWithJournal
from ejournal.domain.findings import (
    ComplianceAudit,
    Finding,
    FindingResolvedAlready,
    MissingEntry,
    audit_id,
    finding_id,
)
from ejournal.domain.ids import NAMESPACE, lesson_id
from ejournal.scheduler.checks import deadline_days, lesson_dates_due, written_work_due

AT = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
SCHOOL, JOURNAL, TEACHER, STUDENT = uuid4(), uuid4(), uuid4(), uuid4()


def _replayed(aggregate: MissingEntry | ComplianceAudit) -> object:
    events = aggregate.collect_events()
    copy: Any = None
    for event in events:
        copy = event.mutate(copy)
    return copy


def test_a_found_missing_entry_replays_to_equal_state_and_resolves_once() -> None:
    finding = Finding(rule="R-6.1d", school_id=SCHOOL, journal_id=JOURNAL,
                      business_date=date(2026, 11, 23), due=date(2026, 11, 26),
                      teacher_id=TEACHER, slot=3, student_id=STUDENT)
    entry = MissingEntry.find(finding, at=AT)
    assert entry.id == finding.id == finding_id("R-6.1d", JOURNAL, date(2026, 11, 23), 3,
                                                STUDENT)
    assert finding.target_id == lesson_id(JOURNAL, date(2026, 11, 23), 3)
    entered = datetime(2026, 11, 27, 8, tzinfo=UTC)
    entry.resolve(entered_at=entered, entered_by=TEACHER, at=AT)
    with pytest.raises(FindingResolvedAlready):
        entry.resolve(entered_at=entered, entered_by=TEACHER, at=AT)
    pending = entry.collect_events()
    assert [type(e).__name__ for e in pending] == ["Found", "Resolved"]
    replayed: Any = None
    for event in pending:
        replayed = event.mutate(replayed)
    assert isinstance(replayed, MissingEntry)
    assert vars(replayed) == vars(entry)
    assert (replayed.rule, replayed.student_id, replayed.entered_at) == ("R-6.1d", STUDENT,
                                                                         entered)


def test_finding_ids_are_frozen_name_strings() -> None:
    from uuid import uuid5

    day = date(2026, 11, 23)
    assert finding_id("R-4.5", JOURNAL, day, 2, None) == uuid5(
        NAMESPACE, f"finding/R-4.5/{JOURNAL}/2026-11-23/2/-")
    assert finding_id("R-6.2", JOURNAL, day, None, STUDENT) == uuid5(
        NAMESPACE, f"finding/R-6.2/{JOURNAL}/2026-11-23/-/{STUDENT}")
    assert audit_id(SCHOOL) == uuid5(NAMESPACE, f"compliance-audit/{SCHOOL}")


@pytest.mark.parametrize(("fields", "why"), [
    ({"rule": "R-9"}, "unknown rule"),
    ({"rule": "R-6.2", "slot": None}, "names the student and the period"),
    ({"rule": "R-4.5", "slot": None}, "names the lesson's slot"),
    ({"rule": "R-6.1d", "slot": 1}, "names the student"),
])
def test_a_finding_names_what_its_rule_needs(fields: dict[str, object], why: str) -> None:
    base: dict[str, object] = {"school_id": SCHOOL, "journal_id": JOURNAL,
                               "business_date": date(2026, 11, 23), "due": date(2026, 11, 23),
                               "teacher_id": TEACHER}
    with pytest.raises(ValueError, match=why):
        Finding(**{**base, **fields})  # type: ignore[arg-type]


def test_the_audit_checks_days_in_order_each_once() -> None:
    audit = ComplianceAudit.open(school_id=SCHOOL, at=AT)
    assert audit.id == audit_id(SCHOOL)
    audit.check_day(day=date(2026, 11, 23), found=2, at=AT)
    audit.check_day(day=date(2026, 11, 24), found=0, at=AT)
    with pytest.raises(ConflictWithJournal):
        audit.check_day(day=date(2026, 11, 24), found=0, at=AT)
    replayed = _replayed(audit)
    assert isinstance(replayed, ComplianceAudit)
    assert replayed.last_checked == date(2026, 11, 24)


def test_deadline_days_end_the_day_before_the_school_local_today() -> None:
    # 18:00 UTC is already Tuesday in Novosibirsk, still Monday in Moscow.
    moment = datetime(2026, 11, 23, 18, tzinfo=UTC)
    first = date(2026, 11, 20)
    assert deadline_days(moment, "Asia/Novosibirsk", None, first) == [
        date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23)]
    assert deadline_days(moment, "Europe/Moscow", None, first) == [
        date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]
    assert deadline_days(moment, "Europe/Moscow", date(2026, 11, 22), first) == []
    assert deadline_days(moment, "Europe/Moscow", None, None) == []


def test_written_work_is_due_three_working_days_on_with_the_schools_overlay() -> None:
    plain = WorkingCalendar()
    assert written_work_due(date(2026, 5, 8), plain) == date(2026, 5, 14)  # 9-11 May off
    assert lesson_dates_due(date(2026, 5, 14), plain) == [date(2026, 5, 8), date(2026, 5, 9),
                                                           date(2026, 5, 10),
                                                           date(2026, 5, 11)]
    assert lesson_dates_due(date(2026, 5, 9), plain) == []  # a day off is no deadline
    closed = WorkingCalendar({date(2026, 11, 25): DayKind.DAY_OFF})
    assert written_work_due(date(2026, 11, 23), closed) == date(2026, 11, 27)
    assert lesson_dates_due(date(2026, 11, 25), closed) == []  # closed: no deadline
    # Friday's written work skips the closed Wednesday, as Saturday's and Sunday's do.
    assert lesson_dates_due(date(2026, 11, 26), closed) == [
        date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]
