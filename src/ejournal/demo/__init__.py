"""A demo school, recorded through the application's commands exactly as its people would
enter them: Гимназия № 7 in Novosibirsk, two 7th classes of 25 students with their guardians,
six subjects taught by four named teachers to a timetable and a work programme, from the first
of September to the day it is recorded - lessons, attendance, oral marks, written work marked
for the whole class, period marks of the quarters that have ended, and the few late and
missing entries a real school has (docs/demo.md)."""

from __future__ import annotations

import random
import secrets
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.demo import people
from ejournal.demo.lessons import LessonRecorder
from ejournal.demo.school import DemoRecordedAlready, record_school, school_days, username

__all__ = ["LOGINS", "DemoRecordedAlready", "DemoSummary", "grant_logins", "load_demo",
           "username"]

#: The logins the demo prints, in this order: one person of each kind.
LOGINS = ("guardian", "student", "teacher", "admin", "auditor")
#: A day's lessons are recorded once its lessons are over (school-local).
LESSONS_OVER = time(14)


@dataclass
class DemoSummary:
    school_id: UUID
    usernames: dict[str, str] = field(default_factory=dict)  # role label -> username
    user_ids: dict[str, UUID] = field(default_factory=dict)  # role label -> user id
    lessons: int = 0
    marks: int = 0
    absences: int = 0
    corrections: int = 0
    period_marks: int = 0
    late: Counter[str] = field(default_factory=Counter)  # rule -> entries recorded late
    left_out: Counter[str] = field(default_factory=Counter)  # rule -> entries never made

    @property
    def late_entries(self) -> int:
        return sum(self.late.values())


def load_demo(app: EJournal, *, now: datetime, seed: int = 7) -> DemoSummary:
    """Records the demo school as of ``now``: its year began on the last 1 September, and its
    lessons run to today's (school-local) once they are over, else to yesterday's - or to the
    year's last day (26 May). Refuses
    (:class:`DemoRecordedAlready`) when this seed's school is recorded already."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    local = ZoneInfo(people.TIMEZONE)
    here = now.astimezone(local)
    today = here.date()
    year_start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    set_up = datetime.combine(year_start - timedelta(days=7), time(10), local).astimezone(UTC)
    demo = record_school(app, rng, seed=seed, year_start=year_start, at=min(set_up, now))
    last = today if here.time() >= LESSONS_OVER else today - timedelta(days=1)
    recorder = LessonRecorder(app, rng, demo, now=now, today=today)
    recorder.record(school_days(demo, year_start, min(last, demo.periods[-1][3])))
    recorder.give_period_marks()
    recorder.execute()
    done = recorder.done
    return DemoSummary(demo.school_id, demo.usernames, demo.user_ids, lessons=done.lessons,
                       marks=done.marks, absences=done.absences, corrections=done.corrections,
                       period_marks=done.period_marks, late=done.late, left_out=done.left_out)


def grant_logins(accounts: Accounts, summary: DemoSummary, *, now: datetime,
                 password: str | None = None) -> dict[str, tuple[str, str]]:
    """Personal passwords (argon2-hashed, R-4.8) for the people the demo prints: role label
    -> (username, password). Each gets a random password unless ``password`` is given."""
    logins = {role: (summary.usernames[role], password or secrets.token_urlsafe(9))
              for role in LOGINS}
    # argon2 is slow by design and releases the GIL: the five hashes are made side by side.
    with ThreadPoolExecutor(max_workers=len(LOGINS)) as pool:
        list(pool.map(lambda role: accounts.set_password(
            summary.user_ids[role], logins[role][1], now=now), LOGINS))
    return logins
