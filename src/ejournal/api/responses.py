"""What the API answers, as the OpenAPI document describes it: one model per answer (errors
are ``openapi.PROBLEM_SCHEMA``), and ``written_response`` for every write."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ejournal.api.paging import Page
from ejournal.application import Result

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


# --- diaries, grids, summaries, histories ------------------------------------------------


class MarkOut(BaseModel):
    id: str
    value: str
    work: str


class DiaryLessonOut(BaseModel):
    journal_id: UUID
    slot: int
    subject: str
    topic: str
    homework: str | None
    marks: list[MarkOut]
    absent: bool


class DiaryDayOut(BaseModel):
    date: Day
    lessons: list[DiaryLessonOut]


class DiaryOut(BaseModel):
    student_id: UUID
    days: list[DiaryDayOut]


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
    recorded_at: datetime


class HistoryOut(Page[HistoryItemOut]):
    pass


# --- audits: late entries, the access log, the feed --------------------------------------


class LateEntryOut(BaseModel):
    rule: str
    journal_id: UUID
    entry: str = Field(description="lesson | attendance | absence_cancellation | mark | "
                                   "period_mark")
    date: Day
    due: Day
    recorded_at: datetime
    recorded_on: Day
    by: UUID
    days: int
    working_days: int


class LateEntriesOut(Page[LateEntryOut]):
    pass


class AccessOut(BaseModel):
    viewer_id: UUID
    viewer_role: str
    what: str = Field(description="diary | grid | summary | mark_history")
    at: datetime


class AccessLogOut(Page[AccessOut]):
    pass


class FeedItemOut(BaseModel):
    position: int
    student_id: UUID
    kind: str = Field(description="mark_given | mark_corrected | mark_cancelled | absent | "
                                  "absence_cancelled")
    journal_id: UUID
    lesson_date: Day
    subject: str
    value: str | None
    work: str | None
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
    resolved_by: UUID | None


class OverdueOut(Page[OverdueItemOut]):
    pass


class TimelinessItemOut(BaseModel):
    teacher_id: UUID
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
