"""Compliance reads: the entries the scheduler found missing (``overdue``) and the per-teacher
timeliness report (``timeliness``, R-3.4d), for the school's admin and auditor. Any other role
(a teacher, the operator, ...) may never read them: 403. Another school's admin or auditor gets
404: the school does not exist for them (ids cannot be probed)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args
from uuid import UUID

from fastapi import APIRouter, Query

from ejournal.api import queries
from ejournal.api.access import may_audit_school
from ejournal.api.deps import SchoolAuditor, ServicesDep
from ejournal.api.paging import CursorQuery, dated_cursor
from ejournal.api.queries import From, To
from ejournal.api.responses import OverdueOut, TimelinessOut
from ejournal.domain.findings import RULES
from ejournal.projections.findings import read_overdue, read_timeliness

router = APIRouter(prefix="/api/v1", tags=["compliance"])
PAGE = 1000
OVERDUE = dated_cursor("overdue")

#: The rules the scheduler checks (domain.md).
Rule = Literal["R-4.5", "R-4.6", "R-6.1d", "R-6.2"]
assert set(get_args(Rule)) == set(RULES)  # noqa: S101 - one list of rules


@router.get("/schools/{school_id}/overdue", response_model=OverdueOut,
            summary="Missing entries the scheduler found")
def overdue(svc: ServicesDep, user: SchoolAuditor, school_id: UUID, first: From = None,
            last: To = None,
            rule: Annotated[Rule | None, Query(description="R-4.5, R-4.6, R-6.1d or R-6.2")
                            ] = None,
            journal_id: UUID | None = None, cursor: CursorQuery = None) -> dict[str, Any]:
    """Each finding: the rule, the journal, the business date (the lesson's, or the period's
    last day), the student (null for a whole lesson), when it was detected, and when the entry
    was recorded after all (``resolved_at``, null while it is missing). Oldest first: by
    business date, then in the order found."""
    may_audit_school(user, school_id)
    span = queries.span(first, last, svc.now().date())
    with svc.reader.connect() as conn:
        rows = read_overdue(conn, school_id, first=span[0], last=span[1],
                            rule=rule, journal_id=journal_id,
                            after=OVERDUE.decode(cursor), limit=PAGE + 1)
    page, following = OVERDUE.page(rows, PAGE, lambda r: (r.business_date, r.position))
    return {
        "items": [{"rule": r.rule, "journal_id": r.journal_id, "date": r.business_date,
                   "student_id": r.student_id, "detected_at": r.detected_at,
                   "resolved_at": r.resolved_at, "slot": r.slot, "due": r.due,
                   "teacher_id": r.teacher_id, "teacher_name": r.teacher_name,
                   "resolved_by": r.resolved_by, "resolved_by_name": r.resolved_by_name,
                   "student_name": r.student_name, "class_name": r.class_name,
                   "subject_name": r.subject_name}
                  for r in page],
        "next": following,
    }


@router.get("/schools/{school_id}/timeliness", response_model=TimelinessOut,
            summary="Per teacher and rule: on time, late, missing")
def timeliness(svc: ServicesDep, user: SchoolAuditor, school_id: UUID, first: From = None,
               last: To = None) -> dict[str, Any]:
    """Per teacher and rule over business dates ``from``..``to``: entries recorded on time and
    late (by their author), and entries missing (by the teacher who answered for them, from
    the scheduler's findings still open). ``resolved``: findings whose entry arrived later
    (those entries count as late too). One page holds them all."""
    may_audit_school(user, school_id)
    span = queries.span(first, last, svc.now().date())
    with svc.reader.connect() as conn:
        rows = read_timeliness(conn, school_id, *span)
    return {
        "from": span[0], "to": span[1],
        "items": [{"teacher_id": r.teacher_id, "teacher_name": r.teacher_name,
                   "rule": r.rule, "on_time": r.on_time,
                   "late": r.late, "missing": r.missing, "resolved": r.resolved}
                  for r in rows],
        "next": None,
    }
