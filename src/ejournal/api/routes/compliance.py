"""Compliance reads (issue #5): the entries the scheduler found missing (``overdue``) and the
per-teacher timeliness report (``timeliness``, R-3.4d), for the school's admin and auditor.
Any other role (a teacher, the operator, ...) may never read them: 403. Another school's admin
or auditor gets 404: the school does not exist for them (ids cannot be probed)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, get_args
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query

from ejournal.api.access import not_found
from ejournal.api.deps import CurrentUser, Principal, ServicesDep
from ejournal.api.paging import CursorQuery, dated_cursor
from ejournal.domain.errors import NotPermitted
from ejournal.domain.findings import RULES
from ejournal.domain.values import Role
from ejournal.projections.findings import read_overdue, read_timeliness

router = APIRouter(prefix="/api/v1", tags=["compliance"])
PAGE = 1000
OVERDUE = dated_cursor("overdue")

#: The rules the scheduler checks (domain.md).
Rule = Literal["R-4.5", "R-4.6", "R-6.1d", "R-6.2"]
From = Annotated[date | None, Query(alias="from", description="first business date "
                                                              "(inclusive)")]
To = Annotated[date | None, Query(alias="to", description="last business date (inclusive)")]


def _range(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """Left out, the dates cover the current school year (1 September - 31 August)."""
    start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    chosen = (first or start, last or date(start.year + 1, 8, 31))
    if chosen[1] < chosen[0]:
        raise HTTPException(422, "`to` is before `from`")
    return chosen


assert set(get_args(Rule)) == set(RULES)  # noqa: S101 - one list of rules


def may_audit(user: Principal, school_id: UUID) -> None:
    """The school's admin and auditor (api-v1.md: 403 for a role that may never read this, 404
    for a school that is not the user's)."""
    if user.role not in (Role.ADMIN, Role.AUDITOR):
        raise NotPermitted("only the school's administration and auditors")
    if user.school_id != school_id:
        raise not_found("school", school_id)


@router.get("/schools/{school_id}/overdue", summary="Missing entries the scheduler found")
def overdue(svc: ServicesDep, user: CurrentUser, school_id: UUID, first: From = None,
            last: To = None,
            rule: Annotated[Rule | None, Query(description="R-4.5, R-4.6, R-6.1d or R-6.2")
                            ] = None,
            journal_id: UUID | None = None, cursor: CursorQuery = None) -> dict[str, Any]:
    """Each finding: the rule, the journal, the business date (the lesson's, or the period's
    last day), the student (null for a whole lesson), when it was detected, and when the entry
    was recorded after all (``resolved_at``, null while it is missing). Oldest first: by
    business date, then in the order found."""
    may_audit(user, school_id)
    span = _range(first, last, svc.now().date())
    with svc.reader.connect() as conn:
        rows = read_overdue(conn, school_id, first=span[0], last=span[1],
                            rule=rule, journal_id=journal_id,
                            after=OVERDUE.decode(cursor), limit=PAGE + 1)
    page, following = OVERDUE.page(rows, PAGE, lambda r: (r.business_date, r.position))
    return {
        "items": [{"rule": r.rule, "journal_id": str(r.journal_id),
                   "date": r.business_date.isoformat(),
                   "student_id": str(r.student_id) if r.student_id else None,
                   "detected_at": r.detected_at.isoformat(),
                   "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
                   "slot": r.slot, "due": r.due.isoformat(), "teacher_id": str(r.teacher_id),
                   "resolved_by": str(r.resolved_by) if r.resolved_by else None}
                  for r in page],
        "next": following,
    }


@router.get("/schools/{school_id}/timeliness", summary="Per teacher and rule: on time, late, "
                                                       "missing")
def timeliness(svc: ServicesDep, user: CurrentUser, school_id: UUID, first: From = None,
               last: To = None) -> dict[str, Any]:
    """Per teacher and rule over business dates ``from``..``to``: entries recorded on time and
    late (by their author), and entries missing (by the teacher who answered for them, from
    the scheduler's findings still open). ``resolved``: findings whose entry arrived later
    (those entries count as late too)."""
    may_audit(user, school_id)
    span = _range(first, last, svc.now().date())
    with svc.reader.connect() as conn:
        rows = read_timeliness(conn, school_id, *span)
    return {
        "from": span[0].isoformat(), "to": span[1].isoformat(),
        "items": [{"teacher_id": str(r.teacher_id), "rule": r.rule, "on_time": r.on_time,
                   "late": r.late, "missing": r.missing, "resolved": r.resolved}
                  for r in rows],
        "next": None,
    }
