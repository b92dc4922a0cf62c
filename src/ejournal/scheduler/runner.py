"""Running the compliance checks for a school: which days, under which lock, recorded how.

A run takes the school's lock (``application.locks.SchoolLocks``), checks every deadline day
after the last one its ``ComplianceAudit`` records, saves each day's findings with "day checked"
in one transaction, then resolves the findings whose entry has arrived (docs/scheduler.md).
Each run then seals the ledger's head for the school's day (``LedgerSeal``), once a
school-local day. ``check`` is ``ejournal check``: on demand, records what is new.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from ejournal.application import EJournal
from ejournal.application.commands import RecordFindings, ResolveFindings, SealLedger
from ejournal.application.locks import SchoolLocks
from ejournal.domain.errors import InvalidEntry, NotFound
from ejournal.domain.findings import Finding
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.timeliness import local_date
from ejournal.ledger import Follower
from ejournal.projections.base import create_read_engine
from ejournal.projections.catalog import compliance_models
from ejournal.projections.findings import answered_before, answered_findings
from ejournal.projections.runner import Projector
from ejournal.projections.structure import known_schools, school_structure
from ejournal.scheduler import checks
from ejournal.scheduler.expected import expected_entries
from ejournal.settings import Settings

log = logging.getLogger("ejournal.scheduler")

#: The scheduler keeps a school's structure (its classes and journals) in memory between days.
MIN_CACHE = 20_000
#: Findings resolved per transaction.
RESOLVE_CHUNK = 500


@dataclass
class SchoolRun:
    """What one run did for one school."""

    school_id: UUID
    held_elsewhere: bool = False  # another process was checking it: nothing done here
    days: list[date] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # every finding of those days
    new: set[UUID] = field(default_factory=set)  # the ids recorded by this run
    expected: Counter[str] = field(default_factory=Counter)  # rule -> entries due (check)
    resolved: int = 0
    sealed: bool = False  # this run recorded the day's seal of the ledger's head


class ComplianceRunner:
    """Checks schools; thread-safe enough for APScheduler (each school under its lock)."""

    def __init__(self, app: EJournal, projector: Projector, locks: SchoolLocks,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.app = app
        self.projector = projector
        self.locks = locks
        self.clock = clock or (lambda: datetime.now(tz=UTC))
        #: The scheduler keeps the ledger's chain too, so that a seal's head is cheap to take.
        self.ledger = Follower(app.store, projector.engine, projector.reader)
        self.ledger.setup()
        #: Set to stop a run between two days (what is recorded stays; the next run goes on).
        self.stopping = threading.Event()

    @classmethod
    def open(cls, settings: Settings,
             clock: Callable[[], datetime] | None = None) -> ComplianceRunner:
        """Its own application (connections and aggregate cache) and its own projector of the
        compliance read models, so that it needs no other process to be running."""
        own = settings.model_copy(update={
            "aggregate_cache_size": max(settings.aggregate_cache_size, MIN_CACHE)})
        app = EJournal(own, clock=clock)
        projector = Projector(app, create_read_engine(settings, writer=True),
                              compliance_models(), reader=create_read_engine(settings))
        projector.setup()
        return cls(app, projector, SchoolLocks(settings, projector.reader), clock)

    def close(self) -> None:
        self.app.close()
        self.projector.engine.dispose()
        self.projector.reader.dispose()

    # --- reading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Brings the compliance read models up to the end of the log."""
        self.projector.catch_up()

    def schools(self) -> dict[UUID, str]:
        """Every school and its IANA time zone."""
        with self.projector.reader.connect() as conn:
            return known_schools(conn)

    def state(self, school_id: UUID) -> checks.SchoolState | None:
        """The school, its years, classes and journals as they stand now (None if unknown)."""
        with self.projector.reader.connect() as conn:
            structure = school_structure(conn, school_id)
        if structure is None:
            return None
        loaded = self.app.load_many([school_id, *structure.years, *structure.classes,
                                     *structure.journals])
        school = loaded.get(school_id)
        if not isinstance(school, School):
            return None
        years = {k: v for k, v in loaded.items() if isinstance(v, AcademicYear)}
        classes = {k: v for k, v in loaded.items() if isinstance(v, SchoolClass)}
        journals = {k: v for k, v in loaded.items() if isinstance(v, ClassJournal)}
        # A timetable names journals the read model may not have reached yet.
        named = {e.journal_id for c in classes.values() for _, row in c.timetables for e in row}
        if named - set(journals):
            journals.update({k: v for k, v in self.app.load_many(named - set(journals)).items()
                             if isinstance(v, ClassJournal)})
        return checks.SchoolState(school, years, classes, journals)

    def facts_of(self, state: checks.SchoolState, day: date) -> checks.DayFacts:
        """What the check of one deadline day reads, and only that."""
        want = checks.wanted(state, day)
        # A day's lessons are read once: replayed in a few statements, not cached.
        lessons = {k: v for k, v in self.app.read_many(want.lessons).items()
                   if isinstance(v, Lesson)}
        given = frozenset(self.app.existing(want.period_marks))
        return checks.DayFacts(lessons, given)

    def findings_of(self, state: checks.SchoolState, day: date) -> list[Finding]:
        """The check of one deadline day: loads only what it needs, then decides."""
        return checks.check_day(state, day, self.facts_of(state, day))

    # --- the nightly run -----------------------------------------------------------------------

    def run_all(self, now: datetime | None = None) -> list[SchoolRun]:
        """Every school: the days due since the last one checked, and resolutions."""
        moment = now or self.clock()
        self.refresh()
        return [self.run_school(school_id, moment, refreshed=True)
                for school_id in sorted(self.schools(), key=str)]

    def run_school(self, school_id: UUID, now: datetime | None = None, *, wait: bool = False,
                   refreshed: bool = False) -> SchoolRun:
        moment = now or self.clock()
        run = SchoolRun(school_id)
        with self.locks.hold(school_id, wait=wait) as held:
            if not held:
                run.held_elsewhere = True
                log.info("school %s: being checked by another process; skipped", school_id)
                return run
            if not refreshed:
                self.refresh()
            state = self.state(school_id)
            if state is None:
                return run
            audit = self.app.compliance_audit(school_id)
            days = checks.deadline_days(moment, state.school.timezone,
                                        audit.last_checked if audit else None,
                                        state.first_day())
            for n, day in enumerate(days):
                if self.stopping.is_set():
                    break
                if n:
                    state = self.state(school_id) or state  # it may change during a catch-up
                found = self.findings_of(state, day)
                written = self.app.execute(RecordFindings(school_id, found, day_checked=day),
                                           at=moment)
                run.days.append(day)
                run.findings += found
                run.new.update(written.new)
            run.resolved = self._resolve(school_id, moment, recent=run.new)
            run.sealed = self.seal(school_id, local_date(moment, state.school.timezone), moment)
        if run.days:
            log.info("school %s: checked %s..%s, %d new findings, %d resolved", school_id,
                     run.days[0], run.days[-1], len(run.new), run.resolved)
        return run

    def seal(self, school_id: UUID, day: date, moment: datetime) -> bool:
        """Seals the ledger's head as of the log's last event for the school's ``day``
        (once: False when that day is sealed already)."""
        self.ledger.catch_up()
        head = self.ledger.chain.head()
        return self.app.execute(SealLedger(school_id, day, head.position, head.sha256),
                                at=moment).sealed

    def _resolve(self, school_id: UUID, moment: datetime,
                 recent: set[UUID] | None = None) -> int:
        """Findings whose entry has arrived are recorded as resolved, with its time: those the
        read model marked (the entry came after them), and among ``recent`` (or every open
        one, when None) those whose entry came while they were being checked and saved."""
        self.refresh()
        with self.projector.reader.connect() as conn:
            answered = answered_findings(conn, school_id)
            if recent is None or recent:
                answered += answered_before(conn, school_id, recent)
        resolved = 0
        for i in range(0, len(answered), RESOLVE_CHUNK):
            chunk = answered[i:i + RESOLVE_CHUNK]
            answers = [(a.finding_id, a.entered_at, a.entered_by) for a in chunk]
            written = self.app.execute(ResolveFindings(answers), at=moment)
            resolved += written.resolved
        if resolved:
            self.refresh()
        return resolved

    # --- on demand (``ejournal check``) ----------------------------------------------------------

    def check(self, school_id: UUID, as_of: date, now: datetime | None = None) -> SchoolRun:
        """Every deadline day of the school's years before ``as_of`` (school-local), with the
        data known now: records what is new (idempotently), resolves what has arrived, and
        returns every finding that stands. ``as_of`` after today is refused."""
        moment = now or self.clock()
        self.refresh()
        timezone = self.schools().get(school_id)
        if timezone is None:
            raise NotFound(f"no school {school_id}", field="school_id")
        today = local_date(moment, timezone)
        if as_of > today:
            raise InvalidEntry(f"--as-of {as_of} is in the future (today is {today} in "
                               f"{timezone})", field="as_of")
        run = SchoolRun(school_id)
        with self.locks.hold(school_id, wait=True):
            state = self.state(school_id)
            if state is None:
                return run
            start = datetime.combine(as_of, time(0), tzinfo=ZoneInfo(timezone))
            for day in checks.deadline_days(start, timezone, None, state.first_day()):
                facts = self.facts_of(state, day)
                found = checks.check_day(state, day, facts)
                run.expected.update(expected_entries(state, day, facts))
                if found:
                    written = self.app.execute(RecordFindings(school_id, found), at=moment)
                    run.new.update(written.new)
                run.days.append(day)
                run.findings += found
            run.resolved = self._resolve(school_id, moment, recent=None)
        return run


def describe_finding(finding: Finding) -> dict[str, Any]:
    """A finding as the CLI prints it and the API lists it."""
    return {"rule": finding.rule, "journal_id": str(finding.journal_id),
            "date": finding.business_date.isoformat(), "slot": finding.slot,
            "student_id": str(finding.student_id) if finding.student_id else None,
            "due": finding.due.isoformat(), "teacher_id": str(finding.teacher_id)}
