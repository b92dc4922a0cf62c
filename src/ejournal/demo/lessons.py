"""Recording the demo school's days: every timetabled lesson with its programme topic and
homework, attendance (children ill for a few days, now and then one excused or truant), oral
marks for a few students, written work marked for everyone present within the three working
days R-6.1d allows, and the quarters' period marks from each student's marks.

A real school is not perfect, and neither is the demo: about one lesson in twenty is recorded a
day or two late (R-4.5, with its attendance and marks, R-4.6), one written work in ten is
marked after its deadline (R-6.1d) and one journal's period marks a few days after the
quarter (R-6.2); two lessons were never recorded, two lessons lack their attendance, a few
students' written work and period marks were forgotten - each rule has a finding and a late
entry to show, and the missing ones stay well under 1 % of what was due."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from ejournal.application import EJournal
from ejournal.application.commands import (
    CancelMark,
    Command,
    CorrectMark,
    CorrectPeriodMark,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    TakeAttendance,
)
from ejournal.demo.people import TIMEZONE
from ejournal.demo.programmes import TEST_WORDS
from ejournal.demo.school import DemoJournal, DemoSchool, Student
from ejournal.domain import ids
from ejournal.domain.timeliness import R_LESSON, R_PERIOD, R_SAME_DAY, R_WRITTEN
from ejournal.domain.values import Late

#: Marks of the written work are entered this many working days after it (≤ 3: R-6.1d).
CHECKING_DAYS = (0, 1, 1, 2, 2, 3)


@dataclass
class Done:
    lessons: int = 0
    marks: int = 0
    absences: int = 0
    corrections: int = 0
    period_marks: int = 0
    late: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Planned:
    """A timetabled lesson: its journal, date and slot, and what the programme says of it."""

    journal: DemoJournal
    day: date
    slot: int
    section: str
    title: str
    work: str | None  # "test" or "written": the whole class writes


@dataclass(frozen=True)
class Step:
    command: Command[Any]
    at: datetime
    follow: Callable[[UUID], Command[Any]] | None = None
    follow_at: datetime | None = None


def _run(app: EJournal, steps: list[Step]) -> Counter[str]:
    """The steps in order; the rules of the entries recorded late."""
    late: Counter[str] = Counter()
    for step in steps:
        result = app.execute(step.command, at=step.at)
        entry_id = getattr(result, "id", None)
        results = [result]
        if step.follow is not None and isinstance(entry_id, UUID):
            results.append(app.execute(step.follow(entry_id), at=step.follow_at or step.at))
        late.update(verdict.rule for verdict in (getattr(r, "late", None) for r in results)
                    if isinstance(verdict, Late))
    return late


def _period_mark_fixed(journal: DemoJournal, value: str,
                       period_mark_id: UUID) -> CorrectPeriodMark:
    return CorrectPeriodMark(journal.teacher_id, journal.id, period_mark_id, value=value,
                             reason="исправлена ошибка ввода")


class LessonRecorder:
    def __init__(self, app: EJournal, rng: random.Random, demo: DemoSchool, *,
                 now: datetime, today: date) -> None:
        self.app, self.rng, self.demo, self.now, self.today = app, rng, demo, now, today
        self.local = ZoneInfo(TIMEZONE)
        self.working = demo.calendar.working
        self.done = Done()
        #: (journal, student) -> [(date, value)] of current marks, for period marks
        self.marks: dict[tuple[UUID, UUID], list[tuple[date, int]]] = defaultdict(list)
        self.ill: dict[UUID, tuple[date, str]] = {}  # student -> (back on, reason)
        self.steps: dict[UUID, list[Step]] = defaultdict(list)  # journal -> its entries

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        moment = datetime.combine(day, time(hour, minute), self.local).astimezone(UTC)
        return min(moment, self.now)

    def _plan(self, days: list[date]) -> list[Planned]:
        """Every timetabled lesson of ``days``, each journal following its programme."""
        taught: Counter[UUID] = Counter()
        plans = {j.id: j.subject.plan() for j in self.demo.journals}
        out = []
        for day in days:
            for (_, weekday, slot), journal in sorted(self.demo.timetable.items()):
                if weekday != day.isoweekday():
                    continue
                plan = plans[journal.id]
                section, title = plan[min(taught[journal.id], len(plan) - 1)]
                sections = journal.subject.sections
                hours = next(s.hours for s in sections if s.title == section)
                start = next(n for n, (s, _) in enumerate(plan) if s == section)
                work = "test" if title.startswith(TEST_WORDS) else None
                if work is None and hours >= 8 and taught[journal.id] - start == hours // 2:
                    work, title = "written", f"{title}. Самостоятельная работа"
                taught[journal.id] += 1
                out.append(Planned(journal, day, slot, section, title, work))
        return out

    def record(self, days: list[date]) -> None:
        plan = self._plan(days)
        old = [n for n, p in enumerate(plan) if p.day < self.today - timedelta(days=14)]
        written = [n for n in old if plan[n].work]
        not_held = self._pick(old, 2)
        no_attendance = self._pick([n for n in old if n not in not_held and not plan[n].work],
                                   2)
        forgotten = self._pick(written, 3)
        late_marking = self._pick([n for n in written if n not in forgotten],
                                  max(1, len(written) // 10))
        absent_by_day: dict[tuple[str, date], list[tuple[UUID, str | None]]] = {}
        for n, lesson in enumerate(plan):
            key = (lesson.journal.class_name, lesson.day)
            if key not in absent_by_day:
                absent_by_day[key] = self._absent(lesson.journal.students, lesson.day)
            if n in not_held:
                self.done.left_out[R_LESSON] += 1
                continue
            self._lesson(lesson, absent_by_day[key], attendance=n not in no_attendance,
                         forgotten=n in forgotten, late_marking=n in late_marking)

    def _pick(self, among: list[int], k: int) -> set[int]:
        return set(self.rng.sample(among, min(k, len(among))))

    def _absent(self, students: tuple[Student, ...], day: date) -> list[tuple[UUID, str | None]]:
        """Who is away the whole day: an illness lasts a few days, a family's excuse one."""
        away: list[tuple[UUID, str | None]] = []
        for s in students:
            spell = self.ill.get(s.id)
            if spell is not None and spell[0] > day:
                away.append((s.id, spell[1]))
                continue
            roll = self.rng.random()
            if roll < 0.012:
                self.ill[s.id] = (day + timedelta(days=self.rng.randint(2, 7)), "illness")
                away.append((s.id, "illness"))
            elif roll < 0.016:
                away.append((s.id, "excused"))
        return away

    def _lesson(self, p: Planned, absent: list[tuple[UUID, str | None]], *, attendance: bool,
                forgotten: bool, late_marking: bool) -> None:
        journal, rng = p.journal, self.rng
        late_by = rng.choice([0] * 19 + [1, 2])
        if p.day + timedelta(days=late_by) > self.today:
            late_by = 0
        recorded = self.at(p.day + timedelta(days=late_by), 15, 5 * p.slot)
        number = 1 + self.done.lessons % 40
        homework = journal.subject.homework.format(p=number, n=rng.randint(2, 9) * 10 + 4)
        lesson_id = ids.lesson_id(journal.id, p.day, p.slot)
        self._then(journal, HoldLesson(journal.teacher_id, journal.id, lesson_date=p.day,
                                       slot=p.slot, topic=p.title, homework=homework,
                                       programme_topic=p.section,
                                       homework_minutes=journal.subject.homework_minutes,
                                       written_work=p.work is not None), recorded)
        self.done.lessons += 1
        truant: list[tuple[UUID, str | None]] = [(s.id, "unexcused") for s in journal.students
                  if rng.random() < 0.002 and all(s.id != a for a, _ in absent)]
        away = {a for a, _ in absent + truant}
        if attendance:
            self._then(journal, TakeAttendance(journal.teacher_id, journal.id, lesson_id,
                                               absent=absent + truant), recorded)
            self.done.absences += len(away)
        else:
            self.done.left_out[R_SAME_DAY] += 1
        present = [s for s in journal.students if s.id not in away]
        oral = rng.sample(present, k=min(len(present), rng.choice([1, 2, 2, 3])))
        for student in oral:
            kind = rng.choice(["oral", "oral", "oral", "homework", "practical"])
            self._mark(p, lesson_id, student, kind, recorded, may_cancel=True)
        if p.work is None:
            return
        days = rng.choice(CHECKING_DAYS)
        marked_on = self.working.add_working_days(p.day, days)
        if late_marking:
            marked_on = self.working.add_working_days(p.day, 3 + rng.randint(1, 2))
        if marked_on > self.today:
            return  # still being marked; not due yet either
        skipped = rng.choice(present) if forgotten else None
        for student in present:
            if student is skipped:
                self.done.left_out[R_WRITTEN] += 1
                continue
            self._mark(p, lesson_id, student, p.work, self.at(marked_on, 17), may_cancel=False)

    def _value(self, student: Student) -> int:
        return max(2, min(5, round(self.rng.gauss(student.ability, 0.8))))

    def _mark(self, p: Planned, lesson_id: UUID, student: Student, work: str, at: datetime,
              *, may_cancel: bool) -> None:
        journal, value = p.journal, self._value(student)
        give = GiveMark(journal.teacher_id, journal.id, lesson_id, student_id=student.id,
                        value=str(value), work=work)
        self.done.marks += 1
        roll, later = self.rng.random(), at + timedelta(minutes=10)
        if roll < 0.02:
            value = value + 1 if value < 5 else 4
            self.done.corrections += 1
            self._then(journal, give, at, lambda mark_id: CorrectMark(
                journal.teacher_id, journal.id, mark_id, value=str(value),
                reason="исправлена ошибка ввода"), later)
        elif roll < 0.025 and may_cancel:
            self._then(journal, give, at, lambda mark_id: CancelMark(
                journal.teacher_id, journal.id, mark_id,
                reason="отметка выставлена не тому ученику"), later)
            return
        else:
            self._then(journal, give, at)
        self.marks[(journal.id, student.id)].append((p.day, value))

    def _then(self, journal: DemoJournal, command: Command[Any], at: datetime,
              follow: Callable[[UUID], Command[Any]] | None = None,
              follow_at: datetime | None = None) -> None:
        """Queues ``command`` in the journal's own order of entries; ``follow`` (a correction
        or a cancellation) is given the id the command answers."""
        self.steps[journal.id].append(Step(command, at, follow, follow_at))

    def execute(self) -> None:
        """Runs each journal's entries in their order, the journals side by side: entries
        saving at the same moment share a transaction (the application's group commit)."""
        with ThreadPoolExecutor(max_workers=len(self.steps) or 1) as pool:
            for late in pool.map(lambda steps: _run(self.app, steps), self.steps.values()):
                self.done.late.update(late)

    def give_period_marks(self) -> None:
        """Each ended quarter: every student's mark in each journal, the rounded mean of their
        marks in it, on the quarter's last day - one journal a few days late, two students'
        marks forgotten in another; once the year has ended, the year marks from the
        quarters' in the same way."""
        ended = [p for p in self.demo.periods if p[3] < self.today]
        journals = self.demo.journals
        quarters: dict[tuple[UUID, UUID], list[int]] = defaultdict(list)
        for period_id, name, first, last in ended:
            year = name == "Год"
            late_one, forgetful = self.rng.sample(journals, 2)
            corrected = self.rng.choice(journals[0].students)  # in the first journal
            for journal in journals:
                day = last + timedelta(days=4 if journal is late_one else 0)
                skipped = set(self.rng.sample(journal.students, 2)) if journal is forgetful \
                    else set()
                for student in journal.students:
                    if student in skipped:
                        self.done.left_out[R_PERIOD] += 1
                        continue
                    key = (journal.id, student.id)
                    values = quarters[key] if year else [
                        v for d, v in self.marks[key] if first <= d <= last]
                    value = int(sum(values) / len(values) + 0.5) if values else 4
                    if not year:
                        quarters[key].append(value)
                    give = GivePeriodMark(journal.teacher_id, journal.id, student_id=student.id,
                                          period_id=period_id, value=str(value))
                    self.done.period_marks += 1
                    if journal is not journals[0] or student is not corrected:
                        self._then(journal, give, self.at(day, 16))
                        continue
                    # A mark entered wrong is corrected after the period: late.
                    fixed = str(value + 1 if value < 5 else 4)
                    self.done.late[R_PERIOD] += 1
                    self._then(journal, give, self.at(day, 16),
                               partial(_period_mark_fixed, journal, fixed),
                               self.at(day + timedelta(days=3), 12))
