"""The compliance scheduler over a real database (SQLite file and PostgreSQL schema), with an
injected clock: a school built through the application, a runner, and the log's own count of
findings (each must be recorded exactly once)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from ejournal.application import EJournal
from ejournal.domain.findings import ComplianceAudit, MissingEntry
from ejournal.projections.findings import OverdueItem, read_overdue
from ejournal.scheduler.runner import ComplianceRunner, SchoolRun
from ejournal.settings import Settings
from tests.builders import PeriodSpec, SmallSchool, build_school
from tests.conftest import Clock, Database

FOUND = "ejournal.domain.findings:MissingEntry.Found"
RESOLVED = "ejournal.domain.findings:MissingEntry.Resolved"
DAY_CHECKED = "ejournal.domain.findings:ComplianceAudit.DayChecked"


#: The scheduler's school year starts on a Monday late in 2026, so that its tests check a few
#: weeks, not a whole term.
STARTS_ON = date(2026, 11, 23)


def make_school(app: EJournal, *, starts_on: date = STARTS_ON, ends_on: date = date(2027, 5, 31),
                periods: Sequence[PeriodSpec] | None = None,
                holidays: Sequence[tuple[str, date, date]] = (), timezone: str = "Europe/Moscow",
                days_per_week: int = 5, students: int = 3,
                timetable: Sequence[tuple[int, int]] = (), tag: str | None = None) -> SmallSchool:
    """``build_school`` with one year from ``starts_on``: one period, the whole year, unless
    ``periods``; no каникулы unless ``holidays``; no class teacher."""
    return build_school(app, starts_on=starts_on, ends_on=ends_on,
                        periods=list(periods or [("год", starts_on, ends_on)]),
                        holidays=holidays, class_teacher=False, timezone=timezone,
                        days_per_week=days_per_week, students=students, timetable=timetable,
                        tag=tag)


def local(timezone: str, day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A school-local moment, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


@dataclass
class Compliance:
    app: EJournal
    runner: ComplianceRunner
    clock: Clock
    database: Database

    def at(self, s: SmallSchool, day: date, hour: int = 12, minute: int = 0) -> datetime:
        """Sets the clock to this school-local moment."""
        moment = local(s.timezone, day, hour, minute)
        self.clock.set(moment)
        return moment

    def run_on(self, s: SmallSchool, day: date, hour: int = 23, minute: int = 0) -> SchoolRun:
        """The scheduler runs for the school at this school-local moment."""
        return self.runner.run_school(s.school, self.at(s, day, hour, minute))

    def night_after(self, s: SmallSchool, day: date) -> SchoolRun:
        """The nightly run after ``day`` (00:30 school-local the next day)."""
        return self.run_on(s, day + timedelta(days=1), 0, 30)

    def overdue(self, s: SmallSchool, **filters: object) -> list[OverdueItem]:
        self.runner.refresh()
        with self.runner.projector.reader.connect() as conn:
            return read_overdue(conn, s.school, **filters)  # type: ignore[arg-type]

    def logged(self, topic: str) -> Counter[UUID]:
        """How many events of this topic each aggregate has in the log."""
        return count_events(self.app, topic)

    def days_checked(self, s: SmallSchool) -> list[date]:
        events = self.app.events.get(audit_id_of(s))
        return [e.day for e in events if isinstance(e, ComplianceAudit.DayChecked)]

    def finding(self, finding_id: UUID) -> MissingEntry:
        found = self.app.repository.get(finding_id)
        assert isinstance(found, MissingEntry)
        return found


def audit_id_of(s: SmallSchool) -> UUID:
    from ejournal.domain.findings import audit_id

    return audit_id(s.school)


def count_events(app: EJournal, topic: str) -> Counter[UUID]:
    notifications = app.recorder.select_notifications(start=1, limit=1_000_000,
                                                      topics=[topic])
    return Counter(UUID(str(n.originator_id)) for n in notifications)


@pytest.fixture
def compliance(database: Database, clock: Clock) -> Iterator[Compliance]:
    app = database.app(clock)
    runner = ComplianceRunner.open(database.settings, clock=clock)
    yield Compliance(app, runner, clock, database)
    runner.close()
    app.close()


def cli_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "EJOURNAL_DATABASE_URL": settings.database_url,
            "EJOURNAL_DATABASE_SCHEMA": settings.database_schema}
