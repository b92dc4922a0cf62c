"""A student's period mark in a journal (R-6.2), as the grid's «Итог» cell opens it: what it
is now, for which period, and the writes on it - given once, then corrected with a reason -
run as the API runs them (``commands``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ejournal.api.access import log_access, may_read_journal, not_found
from ejournal.api.deps import Principal
from ejournal.api.services import Services
from ejournal.application.commands import CorrectPeriodMark, GivePeriodMark
from ejournal.domain.ids import period_mark_id
from ejournal.domain.period_mark import PeriodMark
from ejournal.projections.lookup_reads import enrolment_spans
from ejournal.web import commands, i18n, lookups
from ejournal.web.commands import Outcome
from ejournal.web.lookups import Period, Person


@dataclass
class FinalView:
    journal_id: UUID
    student: Person
    period: Period
    id: UUID  # the period mark's (it derives from journal, student and period)
    value: str | None  # None: not given yet
    late: str | None  # «Внесено с опозданием, на 2 дня» when it was given late


def final(svc: Services, viewer: Principal, journal_id: UUID, student_id: UUID,
          period_id: UUID | None, day: date) -> FinalView:
    """The student's period mark in the journal for the period asked (else the one holding
    ``day``); the journal's readers only, the read logged as the summary's."""
    period = period_of(svc, viewer, journal_id, period_id, day)
    found = may_read_journal(svc, viewer, journal_id)
    student = lookups.user(svc, student_id)
    with svc.reader.connect() as conn:
        classes = {span[0] for span in enrolment_spans(conn, student_id)}
    if student is None or found.class_id not in classes:
        raise not_found("student", student_id)  # never in the journal's class
    ident = period_mark_id(journal_id, student_id, period.id)
    given = lookups.one(svc, PeriodMark, ident)
    log_access(svc, viewer, student_id, "summary", svc.now())
    late = None
    if given is not None and given.late is not None:
        late = i18n.late_notice(given.late.rule, given.late.days)
    return FinalView(journal_id, Person(student.id, student.full_name), period, ident,
                     given.value if given else None, late)


def period_of(svc: Services, viewer: Principal, journal_id: UUID, period_id: UUID | None,
              day: date) -> Period:
    """The journal's period asked (else the one holding ``day``); 404 for a journal the
    viewer may not read, or a period not of its year. Nothing is logged as read."""
    found = may_read_journal(svc, viewer, journal_id)
    period = lookups.period_for(lookups.periods(svc, found.year_id), period_id, day)
    if period is None:
        raise not_found("period", period_id or journal_id)
    return period


def give(svc: Services, viewer: Principal, journal_id: UUID, student_id: UUID,
         period_id: UUID, value: str) -> Outcome:
    return commands.run(svc, viewer, journal_id, GivePeriodMark(
        viewer.user_id, journal_id, student_id, period_id, value.strip()))


def correct(svc: Services, viewer: Principal, journal_id: UUID, student_id: UUID,
            period_id: UUID, value: str, reason: str) -> Outcome:
    return commands.run(svc, viewer, journal_id, CorrectPeriodMark(
        viewer.user_id, journal_id, period_mark_id(journal_id, student_id, period_id),
        value.strip(), reason))
