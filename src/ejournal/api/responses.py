"""What the API answers, as the OpenAPI document describes it: one model per answer (errors
are ``openapi.PROBLEM_SCHEMA``), and ``written_response`` for every write."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ejournal.api.closures import PeriodClosureOut
from ejournal.api.paging import Page
from ejournal.application import Result
from ejournal.projections.diary import PeriodMarkRow
from ejournal.projections.feed import KINDS as FEED_KINDS
from ejournal.projections.history import HistoryItem

Day = date  # the type, where a field is called ``date``

# --- writes ------------------------------------------------------------------------------


class LateOut(BaseModel):
    rule: str = Field(examples=["R-4.6"])
    due: date
    days: int
    working_days: int


class WrittenOut(BaseModel):
    late: LateOut | None = Field(description="null when the entry is on time")


class CreatedOut(WrittenOut):
    id: UUID


class PeriodOut(BaseModel):
    id: UUID
    name: str
    starts_on: date
    ends_on: date
    kind: str = "term"


class YearOut(CreatedOut):
    periods: list[PeriodOut]


def written_response(written: Result, status: int = 201,
                     body: dict[str, Any] | None = None) -> JSONResponse:
    """A write's answer: ``{id?, late}`` (or ``body``), ``Idempotent-Replayed`` on a replay."""
    made, late = getattr(written, "id", None), getattr(written, "late", None)
    content = body if body is not None else {
        **({"id": str(made)} if made else {}),
        "late": late.as_dict() if late else None,
    }
    headers = {"Idempotent-Replayed": "true"} if written.replayed else None
    return JSONResponse(content, status_code=status, headers=headers)


# --- accounts ----------------------------------------------------------------------------


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class MeOut(BaseModel):
    id: UUID
    username: str
    full_name: str
    school_id: UUID | None
    role: str
    class_teacher_of: list[UUID]
    children: list[UUID]
    must_change_password: bool = False
    mfa_enabled: bool = False


# --- diaries, grids, summaries, histories ------------------------------------------------


class MarkOut(BaseModel):
    id: str
    value: str
    work: str


class AttachmentRefOut(BaseModel):
    id: UUID
    name: str


class DiaryLessonOut(BaseModel):
    journal_id: UUID
    lesson_id: UUID = Field(description="the lesson (its homework files are under it)")
    slot: int
    subject: str
    subject_name: str = Field(description="the journal's subject (as `subject`)")
    teacher_name: str = Field(description="the journal's teacher")
    topic: str
    homework: str | None
    marks: list[MarkOut]
    absent: bool
    attachments: list[AttachmentRefOut] = Field(
        description="the homework's files, oldest first: GET /api/v1/journals/{journal_id}/"
                    "lessons/{lesson_id}/attachments/{id}")


class DiaryDayOut(BaseModel):
    date: Day
    lessons: list[DiaryLessonOut]


class PeriodMarkOut(BaseModel):
    """A period mark (итоговая отметка) as it stands."""

    id: UUID
    journal_id: UUID
    subject_name: str
    period_id: UUID
    period_name: str
    period_kind: str = Field(description="term | year")
    value: str


def period_mark_out(row: PeriodMarkRow) -> dict[str, Any]:
    return {"id": str(row.id), "journal_id": str(row.journal_id),
            "subject_name": row.subject_name, "period_id": str(row.period_id),
            "period_name": row.period_name, "period_kind": row.period_kind,
            "value": row.value}


class DiaryOut(BaseModel):
    student_id: UUID
    days: list[DiaryDayOut]
    period_marks: list[PeriodMarkOut] = Field(
        description="the period marks of the periods that overlap the days asked")


class PeriodMarksOut(Page[PeriodMarkOut]):
    pass


class GridLessonOut(BaseModel):
    id: UUID
    date: Day
    slot: int
    topic: str


class GridStudentOut(BaseModel):
    id: UUID
    full_name: str
    cells: dict[str, list[str]]


class GridOut(BaseModel):
    lessons: list[GridLessonOut]
    students: list[GridStudentOut]


class SummaryStudentOut(BaseModel):
    student_id: UUID
    full_name: str
    marks: list[str]
    average: float | None
    weighted_average: float | None = Field(
        description="the mean weighted by the kind of work, with the school's weights now "
                    "(each 1 until it sets them: then equal to average)")
    absences: int
    period_mark: str | None


class SummaryOut(BaseModel):
    students: list[SummaryStudentOut]
    quality_percent: float | None
    success_percent: float | None


class HistoryItemOut(BaseModel):
    kind: str = Field(description="given | corrected | cancelled")
    value: str
    reason: str | None
    by: UUID
    by_name: str
    recorded_at: datetime


class HistoryOut(Page[HistoryItemOut]):
    pass


def history_out(items: list[HistoryItem]) -> dict[str, Any]:
    return {"items": [{"kind": i.kind, "value": i.value, "reason": i.reason, "by": str(i.by),
                       "by_name": i.by_name, "recorded_at": i.recorded_at.isoformat()}
                      for i in items], "next": None}


# --- audits: late entries, the access log, the feed --------------------------------------


class LateEntryOut(BaseModel):
    rule: str
    journal_id: UUID
    entry: str = Field(description="lesson | attendance | absence_cancellation | mark | "
                                   "period_mark | period_mark_correction")
    date: Day
    due: Day
    recorded_at: datetime
    recorded_on: Day
    by: UUID
    by_name: str
    class_name: str
    subject_name: str
    student_id: UUID | None = Field(description="whose mark, absence or period mark; null "
                                                "for a lesson or its attendance")
    student_name: str | None
    days: int
    working_days: int


class LateEntriesOut(Page[LateEntryOut]):
    closures: list[PeriodClosureOut] = Field(
        default_factory=list, description="R-3.4b: the closings and reopenings of the "
                                          "school's periods that overlap the dates asked, "
                                          "oldest first (on the first page)")


class AccessOut(BaseModel):
    viewer_id: UUID
    viewer_name: str
    viewer_role: str
    what: str = Field(description="diary | grid | summary | mark_history")
    at: datetime


class AccessLogOut(Page[AccessOut]):
    pass


class FeedItemOut(BaseModel):
    position: int
    student_id: UUID
    student_name: str
    kind: str = Field(description=" | ".join(FEED_KINDS))
    journal_id: UUID | None = Field(description="null for a guardian's link")
    lesson_date: Day | None = Field(description="null for a period mark or a link")
    subject: str | None
    subject_name: str | None = Field(description="as `subject`")
    period_id: UUID | None
    period_name: str | None
    period_kind: str | None = Field(description="term | year")
    guardian_id: UUID | None = Field(description="the guardian linked, or whose link ended")
    guardian_name: str | None
    value: str | None
    work: str | None
    reason: str | None = Field(description="an absence's reason, a correction's or a "
                                           "cancellation's")
    by_name: str = Field(description="who recorded it")
    recorded_at: datetime


class FeedOut(Page[FeedItemOut]):
    pass


# --- compliance --------------------------------------------------------------------------


class OverdueItemOut(BaseModel):
    rule: str = Field(examples=["R-4.5"])
    journal_id: UUID
    date: Day = Field(description="the lesson's date, or the period's last day")
    student_id: UUID | None = Field(description="null where the finding is about a whole "
                                                "lesson")
    detected_at: datetime
    resolved_at: datetime | None = Field(description="when the missing entry was recorded "
                                                     "after all; null while it is missing")
    slot: int | None
    due: Day
    teacher_id: UUID = Field(description="who answered for the entry")
    teacher_name: str
    resolved_by: UUID | None
    resolved_by_name: str | None
    student_name: str | None
    class_name: str
    subject_name: str


class OverdueOut(Page[OverdueItemOut]):
    pass


class TimelinessItemOut(BaseModel):
    teacher_id: UUID
    teacher_name: str
    rule: str = Field(examples=["R-4.6"])
    on_time: int
    late: int
    missing: int = Field(description="findings whose entry never arrived")
    resolved: int = Field(description="findings whose entry arrived later (counted as late "
                                      "too)")


class TimelinessOut(Page[TimelinessItemOut]):
    from_: Day = Field(alias="from", description="the first business date counted")
    to: Day = Field(description="the last business date counted")


# --- the ledger --------------------------------------------------------------------------


class LedgerHeadOut(BaseModel):
    position: int = Field(description="the log position the head is as of")
    sha256: str = Field(pattern="^[0-9a-f]{64}$",
                        description="the chain's head after every event up to it")
