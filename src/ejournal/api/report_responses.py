"""What the reports answer (R-3.4d, R-3.4g), as the OpenAPI document describes it: programme
completion per journal; homework load, attendance and performance per class."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field


class TopicDoneOut(BaseModel):
    title: str
    planned_hours: int
    held_lessons: int


class ProgrammeCompletionOut(BaseModel):
    topics: list[TopicDoneOut]
    planned_total: int
    held_total: int = Field(description="lessons held on the programme's topics")
    other_lessons: int = Field(description="lessons held on no topic of the programme")
    percent: float | None = Field(
        description="planned hours delivered, 0-100, one decimal: each topic's lessons count "
                    "up to its planned hours; null without a programme")


class HomeworkItemOut(BaseModel):
    journal_id: UUID
    subject_name: str
    homework: str
    minutes: int | None


class LoadDayOut(BaseModel):
    date: date
    items: list[HomeworkItemOut]
    minutes: int = Field(description="the day's homework minutes (items without them add 0)")
    limit_minutes: int | None = Field(
        description="СанПиН 1.2.3685-21 daily limit for the class's grade; null without one")
    over_limit: bool
    unmeasured: int = Field(description="items without minutes")


class HomeworkLoadOut(BaseModel):
    days: list[LoadDayOut]


class ByReasonOut(BaseModel):
    illness: int
    excused: int
    unexcused: int
    unknown: int


class StudentAttendanceOut(BaseModel):
    id: UUID
    full_name: str
    lessons: int
    absent: int
    by_reason: ByReasonOut


class WeekAttendanceOut(BaseModel):
    week_of: date = Field(description="the week's Monday")
    student_lessons: int
    absent: int


class AttendanceOut(BaseModel):
    students: list[StudentAttendanceOut]
    weeks: list[WeekAttendanceOut]


class SubjectResultOut(BaseModel):
    journal_id: UUID
    subject_name: str
    average: float | None
    weighted_average: float | None
    period_mark: str | None


class WeekAverageOut(BaseModel):
    week_of: date = Field(description="the week's Monday")
    average: float | None
    running_average: float | None


class StudentPerformanceOut(BaseModel):
    id: UUID
    full_name: str
    subjects: list[SubjectResultOut]
    weeks: list[WeekAverageOut]


class SubjectAverageOut(BaseModel):
    journal_id: UUID
    subject_name: str
    average: float | None


class PerformanceOut(BaseModel):
    students: list[StudentPerformanceOut]
    subjects: list[SubjectAverageOut]
    weeks: list[WeekAverageOut] = Field(description="the class's: all its marks of each week")
