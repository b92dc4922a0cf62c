"""Reads: diaries, journal grids, period summaries, mark histories, the late-entry audit, the
guardian feed and the access log - from the read models, never by replaying aggregates (but
"as of" a moment, which replays the log by design)."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Connection

from ejournal.api import histories, queries
from ejournal.api.access import (
    log_access,
    may_audit_school,
    may_read_grid,
    may_read_journal,
    may_read_student,
    student_access,
)
from ejournal.api.closures import period_closures
from ejournal.api.consistency import FreshReads
from ejournal.api.deps import (
    AccessLogReader,
    DiaryReader,
    FeedReader,
    JournalReader,
    SchoolAuditor,
    ServicesDep,
)
from ejournal.api.diary_cache import matches
from ejournal.api.paging import CursorQuery, position_cursor
from ejournal.api.queries import AsOf, From, To
from ejournal.api.responses import (
    AccessLogOut,
    DiaryOut,
    FeedOut,
    GridLessonOut,
    GridOut,
    GridStudentOut,
    HistoryOut,
    LateEntriesOut,
    SummaryOut,
    history_out,
    period_mark_out,
)
from ejournal.projections.diary import (
    DiaryDay,
    PeriodMarkRow,
    Span,
    read_diary,
    read_period_marks,
)
from ejournal.projections.feed import read_feed
from ejournal.projections.grid import GridView, read_grid, window_span, within_windows
from ejournal.projections.summary import read_summary
from ejournal.projections.timeliness import read_late_entries
from ejournal.projections.timetravel import diary_with_period_marks_as_of, grid_as_of

router = APIRouter(prefix="/api/v1", tags=["reads"])
PAGE = 1000
FEED_PAGE = 50
LATE_ENTRIES = position_cursor("late-entries")
ACCESS_LOG = position_cursor("access-log")
FEED = position_cursor("feed")

def _diary_body(student_id: UUID, days: list[DiaryDay], finals: list[PeriodMarkRow]
                ) -> bytes:
    """The diary as ``DiaryOut`` documents it, encoded straight from the read model's rows: the
    most read answer of the API skips building and re-validating models, and orjson encodes
    it (with the building, a quarter of ``json.dumps``'s time: docs/performance.md)."""
    body = {"student_id": str(student_id), "days": [
        {"date": d.date.isoformat(), "lessons": [
            {"journal_id": lesson.journal_id, "lesson_id": lesson.lesson_id,
             "slot": lesson.slot,
             "subject": lesson.subject, "subject_name": lesson.subject,
             "teacher_name": lesson.teacher_name, "topic": lesson.topic,
             "homework": lesson.homework, "marks": lesson.marks,  # {id, value, work} each
             "absent": lesson.absent, "attachments": lesson.attachments}
            for lesson in d.lessons]}
        for d in days], "period_marks": [period_mark_out(p) for p in finals]}
    return orjson.dumps(body)


def read_diary_body(conn: Connection, student_id: UUID, first: date, last: date,
                    spans: Sequence[Span] | None) -> bytes:
    """The encoded diary answer, read from the read model."""
    return _diary_body(student_id, read_diary(conn, student_id, first, last, spans),
                       read_period_marks(conn, student_id, first=first, last=last, spans=spans))


#: The answer's documented shape: in its ETag, so that a release that changes the shape does
#: not answer 304 to a client holding the old one.
_SHAPE = hashlib.sha256(orjson.dumps(DiaryOut.model_json_schema(),
                                     option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]


def diary_key(student_id: UUID, first: date, last: date, spans: Sequence[Span] | None
              ) -> Hashable:
    """What a diary answer is kept under: the question, the reader's days and the shape."""
    return (student_id, first, last, None if spans is None else tuple(spans), _SHAPE)


@router.get("/students/{student_id}/diary", response_model=DiaryOut)
def diary(request: Request, svc: ServicesDep, user: DiaryReader, student_id: UUID,
          reads: FreshReads, first: From = None, last: To = None, as_of: AsOf = None
          ) -> Response:
    """Each day's lessons, and the period marks (итоговые отметки) of the periods that overlap
    the days asked; a teacher reads the days the student was in their class. The answer may
    come from the process's diary cache, which checks it against the read model's versions
    on every read (``api/diary_cache.py``), and carries an ``ETag`` from those versions: a
    client that names it in ``If-None-Match`` gets ``304`` while the answer holds."""
    now = svc.now()
    spans = student_access(svc, user, student_id).spans
    span = queries.span(first, last, now.date())
    log_access(svc, user, student_id, "diary", now)
    moment = queries.moment(as_of)
    if moment is not None:
        return Response(_diary_body(student_id, *diary_with_period_marks_as_of(
            svc.app, svc.reader, student_id, *span, as_of=moment, spans=spans)),
            media_type="application/json")

    key = diary_key(student_id, *span, spans)
    found = reads.run(lambda conn: svc.diary_cache.answer(
        conn, key, student_id, lambda c: read_diary_body(c, student_id, *span, spans)))
    etag = found.etag(key)
    if etag is None:
        return Response(found.body, media_type="application/json")
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(found.body, media_type="application/json", headers={"ETag": etag})


def _grid_out(view: GridView) -> GridOut:
    return GridOut(
        lessons=[GridLessonOut(id=x.id, date=x.date, slot=x.slot, topic=x.topic)
                 for x in view.lessons],
        students=[GridStudentOut(id=s.id, full_name=s.full_name,
                                 cells={str(k): list(v) for k, v in s.cells.items()})
                  for s in view.students])


@router.get("/journals/{journal_id}/grid", response_model=GridOut)
def grid(svc: ServicesDep, user: JournalReader, journal_id: UUID, reads: FreshReads,
         first: From = None, last: To = None, as_of: AsOf = None) -> GridOut:
    """A substitute reads the lessons of the days they substitute on (R-4.4) only."""
    now = svc.now()
    windows = may_read_grid(svc, user, journal_id)[1]
    span = queries.span(first, last, now.date())
    if windows is not None:
        narrowed = window_span(*span, windows)
        if narrowed is None:
            return GridOut(lessons=[], students=[])
        span = narrowed
    moment = queries.moment(as_of)
    if moment is not None:
        view = grid_as_of(svc.app, svc.reader, journal_id, *span, as_of=moment)
    else:
        view = reads.run(lambda conn: read_grid(conn, journal_id, *span))
    if windows is not None:
        view = within_windows(view, windows)
    log_access(svc, user, (s.id for s in view.students), "grid", now)
    return _grid_out(view)


@router.get("/journals/{journal_id}/summary", response_model=SummaryOut)
def summary(svc: ServicesDep, user: JournalReader, journal_id: UUID,
            period_id: Annotated[UUID, Query()], reads: FreshReads) -> dict[str, Any]:
    may_read_journal(svc, user, journal_id)
    found = svc.app.journal(journal_id)
    weights = svc.app.work_weights(found.school_id) if found is not None else None
    view = reads.run(lambda conn: read_summary(conn, journal_id, period_id, weights))
    log_access(svc, user, (s.student_id for s in view.students), "summary", svc.now())
    return {
        "students": [{"student_id": str(s.student_id), "full_name": s.full_name,
                      "marks": list(s.marks),
                      "average": float(s.average) if s.average is not None else None,
                      "weighted_average": (float(s.weighted_average)
                                           if s.weighted_average is not None else None),
                      "absences": s.absences, "period_mark": s.period_mark}
                     for s in view.students],
        "quality_percent": (float(view.quality_percent)
                            if view.quality_percent is not None else None),
        "success_percent": (float(view.success_percent)
                            if view.success_percent is not None else None),
    }


@router.get("/journals/{journal_id}/marks/{mark_id}/history", response_model=HistoryOut)
def mark_history(svc: ServicesDep, user: JournalReader, journal_id: UUID, mark_id: UUID,
                 reads: FreshReads) -> dict[str, Any]:
    may_read_journal(svc, user, journal_id)
    return history_out(histories.mark_history(svc, user, journal_id, mark_id, reads))


@router.get("/schools/{school_id}/late-entries", response_model=LateEntriesOut)
def late_entries(svc: ServicesDep, user: SchoolAuditor, school_id: UUID, first: From = None,
                 last: To = None, teacher_id: UUID | None = None,
                 journal_id: UUID | None = None,
                 rule: Annotated[str | None, Query(pattern=r"^R-[0-9][0-9.]*[a-z]?$",
                                                   max_length=16)] = None,
                 cursor: CursorQuery = None) -> dict[str, Any]:
    may_audit_school(user, school_id)
    first, last = queries.span(first, last, svc.now().date())
    with svc.reader.connect() as conn:
        rows = read_late_entries(conn, school_id, first=first, last=last,
                                 teacher_id=teacher_id, journal_id=journal_id, rule=rule,
                                 after_position=LATE_ENTRIES.decode(cursor),
                                 limit=PAGE + 1)
    page, following = LATE_ENTRIES.page(rows, PAGE, lambda r: r.position)
    return {
        "items": [{"rule": r.rule, "journal_id": str(r.journal_id), "entry": r.entry,
                   "date": r.business_date.isoformat(), "due": r.due.isoformat(),
                   "recorded_at": r.recorded_at.isoformat(),
                   "recorded_on": r.recorded_on.isoformat(), "by": str(r.by),
                   "by_name": r.by_name, "class_name": r.class_name,
                   "subject_name": r.subject_name,
                   "student_id": str(r.student_id) if r.student_id else None,
                   "student_name": r.student_name, "days": r.days,
                   "working_days": r.working_days} for r in page],
        "next": following,
        "closures": [] if cursor else [
            c.model_dump(mode="json") for c in period_closures(svc, school_id, first, last)],
    }


@router.get("/students/{student_id}/access-log", response_model=AccessLogOut)
def student_access_log(svc: ServicesDep, user: AccessLogReader, student_id: UUID,
                       cursor: CursorQuery = None) -> dict[str, Any]:
    may_read_student(svc, user, student_id)
    rows = svc.access_log.of_student(student_id, after=ACCESS_LOG.decode(cursor) or 0,
                                     limit=PAGE + 1)
    page, following = ACCESS_LOG.page(rows, PAGE, lambda r: r.id)
    return {"items": [{"viewer_id": str(r.viewer_id), "viewer_name": r.viewer_name,
                       "viewer_role": r.viewer_role, "what": r.what, "at": r.at.isoformat()}
                      for r in page],
            "next": following}


@router.get("/me/feed", response_model=FeedOut)
def feed(svc: ServicesDep, user: FeedReader, reads: FreshReads,
         cursor: CursorQuery = None) -> dict[str, Any]:
    """Newest first. A page never splits the items of one event: it may hold a few more than
    50."""
    before = FEED.decode(cursor)
    items = reads.run(lambda conn: read_feed(conn, user.user_id, before=before,
                                             limit=FEED_PAGE))
    return {"items": [{"position": i.position, "student_id": i.student_id,
                       "student_name": i.student_name, "kind": i.kind,
                       "journal_id": i.journal_id, "lesson_date": i.lesson_date,
                       "subject": i.subject, "subject_name": i.subject,
                       "period_id": i.period_id, "period_name": i.period_name,
                       "period_kind": i.period_kind, "guardian_id": i.guardian_id,
                       "guardian_name": i.guardian_name, "value": i.value, "work": i.work,
                       "reason": i.reason,
                       "by_name": i.by_name, "recorded_at": i.recorded_at} for i in items],
            "next": FEED.encode(items[-1].position) if len(items) >= FEED_PAGE else None}
