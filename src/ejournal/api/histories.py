"""A mark's and a period mark's history as every reader gets it - the API's answers and the
pages alike: the journal's readers only (404 otherwise, and for a mark not of that journal),
the read of the student's data logged."""

from __future__ import annotations

from uuid import UUID

from ejournal.api.access import log_access, mark_student, may_read_journal, not_found
from ejournal.api.deps import Principal
from ejournal.api.lookup_access import current
from ejournal.api.replicas import Reads
from ejournal.api.services import Services
from ejournal.projections.history import (
    HistoryItem,
    read_mark_history,
    read_period_mark_history,
)


def mark_history(svc: Services, user: Principal, journal_id: UUID, mark_id: UUID,
                 reads: Reads | None = None) -> list[HistoryItem]:
    """Given, then each correction or cancellation with its reason, who and when (R-7.2);
    read where ``reads`` says (the primary if None)."""
    may_read_journal(svc, user, journal_id)
    items = (reads or Reads(svc.reader)).run(
        lambda conn: read_mark_history(conn, journal_id, mark_id))
    if items is None:
        raise not_found("mark", mark_id)
    whose = mark_student(svc, journal_id, mark_id)
    if whose is not None:
        log_access(svc, user, whose, "mark_history", svc.now())
    return items


def period_mark_history(svc: Services, user: Principal, journal_id: UUID,
                        period_mark_id: UUID) -> list[HistoryItem]:
    """Given, then each correction with its reason, who and when (R-7.2)."""
    may_read_journal(svc, user, journal_id)
    current(svc)
    with svc.reader.connect() as conn:
        items = read_period_mark_history(conn, journal_id, period_mark_id)
    if items is None:
        raise not_found("period mark", period_mark_id)
    whose = svc.app.period_mark_student(period_mark_id)
    if whose is not None:
        log_access(svc, user, whose, "period_mark_history", svc.now())
    return items
