"""Which rule an entry answers to, its due date, and how late it was (domain.md).

| entry                                                   | rule    | due                        |
|---------------------------------------------------------|---------|----------------------------|
| a lesson held (date, topic, homework)                   | R-4.5   | the lesson's date          |
| attendance, an absence cancelled, oral/practical/homework mark | R-4.6 | the lesson's date    |
| a written or test mark                                  | R-6.1d  | lesson date + 3 working days |
| a period mark                                           | R-6.2   | the period's last day      |
| a correction or cancellation of a mark                  | never late                   |

An entry is late when its school-local recording date is after its due date; ``days`` is the
calendar difference, ``working_days`` the working days in (due, recorded].
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
