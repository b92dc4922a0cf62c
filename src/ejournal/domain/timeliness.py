"""Which rule an entry answers to, its due date, and how late it was (domain.md): a lesson held
answers to R-4.5, attendance, a cancelled absence and oral, practical or homework marks to R-4.6
(due the lesson's date), written and test marks to R-6.1d (three working days later), a period
mark to R-6.2 (the period's last day); corrections and cancellations are never late. An entry
is late when its school-local recording date is after its due date.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from ejournal.domain.calendar import WorkingCalendar
from ejournal.domain.values import Late, Work

R_LESSON = "R-4.5"
R_SAME_DAY = "R-4.6"
R_WRITTEN = "R-6.1d"
R_PERIOD = "R-6.2"
WRITTEN_WORK_DAYS = 3


def local_date(moment: datetime, timezone: str) -> date:
    """The school-local date of a moment (schools sit in 11 time zones)."""
    if moment.tzinfo is None:
        raise ValueError("moments must be timezone-aware")
    return moment.astimezone(ZoneInfo(timezone)).date()


def lateness(
    rule: str, due: date, recorded_at: datetime, timezone: str, working: WorkingCalendar
) -> Late | None:
    recorded_on = local_date(recorded_at, timezone)
    if recorded_on <= due:
        return None
    return Late(
        rule=rule,
        due=due,
        days=(recorded_on - due).days,
        working_days=working.working_days_between(due, recorded_on),
    )


def mark_rule_and_due(work: Work, lesson_date: date, working: WorkingCalendar) -> tuple[str, date]:
    if work.is_written:
        return R_WRITTEN, working.add_working_days(lesson_date, WRITTEN_WORK_DAYS)
    return R_SAME_DAY, lesson_date
